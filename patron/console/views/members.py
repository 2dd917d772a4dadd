"""Member search and the 360° view."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from patron.console import once, selectors
from patron.console.auth import operator_required, shop_id
from patron.members.models import Member
from patron.orders.models import Order


@operator_required("members.view_member")
def members_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    show_pii = request.user.has_perm("members.view_member_pii")
    members = selectors.member_search(shop_id=shop_id(request), query=query, include_pii=show_pii)
    if not show_pii and selectors.looks_like_contact(query):
        messages.info(
            request,
            _(
                "Your role sees phone numbers and e-mail addresses masked, so it cannot "
                "search by them. Search by member number or name."
            ),
        )
    return render(
        request,
        "console/members.html",
        {
            "members": members,
            "query": query,
            "show_pii": show_pii,
        },
    )


def member_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    from patron.console.views.approvals import AdjustPointsForm, OverrideTierForm

    user = request.user
    context: dict[str, Any] = {
        "member": member,
        "show_pii": user.has_perm("members.view_member_pii"),
        "orders": Order.objects.filter(member=member).order_by("-placed_at")[:20],
        "audit": selectors.member_audit_trail(member=member, limit=30),
        "tab": request.GET.get("tab", "overview"),
        "adjust_form": AdjustPointsForm(),
        "override_form": OverrideTierForm(),
        "idem": once.new_token(),
    }
    context.update(selectors.member_loyalty(member=member, user=user))
    context["override_form"].fields["tier"].choices = [
        (t.code, str(t))
        for t in context["tiers"]  # type: ignore[attr-defined]
    ]
    return context


@operator_required("members.view_member")
def member_view(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(
        Member.objects.select_related("shop"), pk=member_id, shop_id=shop_id(request)
    )
    return render(request, "console/member.html", member_context(request, member))
