"""Points adjustments and tier overrides: request, and the approval queue.

The owning apps decide whether a request needs a second operator and refuse
an operator deciding on their own request; these views only ask and show.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patron.console import once, selectors
from patron.console.auth import forbidden, operator_required, shop_id
from patron.core.errors import ErrorCode, PatronError
from patron.core.validation import TextForm, text_problem
from patron.members.models import Member

APPROVE_PERMS = (
    "points.approve_adjustment",
    "tiers.approve_tieroverride",
    "service.lead_team",
)


class AdjustPointsForm(TextForm):
    points = forms.IntegerField(
        label=gettext_lazy("Points (+ grant, − deduct)"),
        min_value=-10_000_000,
        max_value=10_000_000,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the member sees it)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_points(self) -> int:
        value = int(self.cleaned_data["points"])
        if value == 0:
            raise forms.ValidationError(_("Enter a number other than zero."))
        return value


class OverrideTierForm(TextForm):
    tier = forms.ChoiceField(label=gettext_lazy("Tier"))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


def _member_page(request: HttpRequest, member: Member, *, tab: str, **forms_: Any) -> HttpResponse:
    """The member page again with the refused form, on the tab that shows it
    (the POST has no ``?tab=``, which would open the overview)."""
    from patron.console.views.members import member_context

    context = member_context(request, member)
    context.update(forms_)
    context["tab"] = tab
    return render(request, "console/member.html", context, status=422)


@operator_required("points.adjust_points")
@require_POST
def adjust_points_view(request: HttpRequest, member_id: int) -> HttpResponse:
    from patron.points import services as points_services

    member = get_object_or_404(Member, pk=member_id, shop_id=shop_id(request))
    form = AdjustPointsForm(request.POST)
    if form.is_valid():

        def handler() -> tuple[int, dict[str, Any]]:
            adjustment = points_services.adjustment_request(
                member=member,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                actor=request.user,  # type: ignore[arg-type]
            )
            return 201, {"id": adjustment.pk, "state": adjustment.state}

        try:
            # A double submit replays the first answer: one adjustment, the same message.
            _status, body, _replayed = once.form_once(request, shop=member.shop, handler=handler)
        except PatronError as exc:
            if exc.code == ErrorCode.FORBIDDEN:
                return forbidden(request)
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            if body["state"] == "awaiting":
                messages.warning(
                    request,
                    _(
                        "The adjustment is above the approval threshold "
                        "and waits for a second operator."
                    ),
                )
            else:
                messages.success(request, _("The points have been adjusted."))
            return redirect(reverse("console:member", args=[member.pk]) + "?tab=points")
    return _member_page(request, member, tab="points", adjust_form=form)


@operator_required("tiers.add_tieroverride")
@require_POST
def override_tier_view(request: HttpRequest, member_id: int) -> HttpResponse:
    from patron.tiers.services import overrides as tier_services

    member = get_object_or_404(Member, pk=member_id, shop_id=shop_id(request))
    form = OverrideTierForm(request.POST)
    from patron.tiers.models import Tier

    tiers = Tier.objects.filter(shop=member.shop, is_active=True)
    form.fields["tier"].choices = [(t.code, str(t)) for t in tiers]  # type: ignore[attr-defined]
    if form.is_valid():
        tier = tiers.get(code=form.cleaned_data["tier"])

        def handler() -> tuple[int, dict[str, Any]]:
            override = tier_services.override_request(
                member=member,
                tier=tier,
                reason=form.cleaned_data["reason"],
                actor=request.user,  # type: ignore[arg-type]
            )
            return 201, {"id": override.pk}

        try:
            once.form_once(request, shop=member.shop, handler=handler)
        except PatronError as exc:
            if exc.code == ErrorCode.FORBIDDEN:
                return forbidden(request)
            if exc.code == ErrorCode.OVERRIDE_OPEN:
                # Shown beside the tier choice: the refusal is about the member's tier.
                form.add_error(
                    "tier",
                    _("This member already has a tier override pending or in force."),
                )
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            messages.warning(request, _("The tier override waits for a second operator."))
            return redirect(reverse("console:member", args=[member.pk]) + "?tab=tier")
    return _member_page(request, member, tab="tier", override_form=form)


@operator_required(APPROVE_PERMS)
def approvals_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/approvals.html",
        {"queue": selectors.approval_queue(shop_id=shop_id(request)), "idem": once.new_token()},
    )


@operator_required(APPROVE_PERMS)
@require_POST
def decide_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        raise Http404
    note = request.POST.get("note", "").strip()
    if text_problem(note, multiline=True):
        messages.error(request, _("Remove the control characters (such as NUL)."))
        return redirect("console:approvals")
    try:
        if kind == "adjustment" and not request.user.has_perm("points.approve_adjustment"):
            return forbidden(request)
        if kind == "override" and not request.user.has_perm("tiers.approve_tieroverride"):
            return forbidden(request)
        if kind == "compensation" and not request.user.has_perm("service.lead_team"):
            return forbidden(request)
        if kind == "adjustment":
            from patron.points import services as points_services
            from patron.points.models import PointsAdjustment

            adjustment = get_object_or_404(
                PointsAdjustment.objects.select_related("member__shop"),
                pk=pk,
                member__shop_id=shop_id(request),
            )
            shop = adjustment.member.shop

            def handler() -> tuple[int, dict[str, Any]]:
                if decision == "approve":
                    done = points_services.adjustment_approve(
                        adjustment=adjustment,
                        actor=request.user,  # type: ignore[arg-type]
                    )
                else:
                    done = points_services.adjustment_reject(
                        adjustment=adjustment,
                        actor=request.user,  # type: ignore[arg-type]
                        note=note,
                    )
                return 200, {"id": done.pk, "state": done.state}

        elif kind == "override":
            from patron.tiers.models import TierOverride
            from patron.tiers.services import overrides as tier_services

            override = get_object_or_404(
                TierOverride.objects.select_related("shop"), pk=pk, shop_id=shop_id(request)
            )
            shop = override.shop
            decide = (
                tier_services.override_approve
                if decision == "approve"
                else tier_services.override_reject
            )

            def handler() -> tuple[int, dict[str, Any]]:
                done = decide(override=override, actor=request.user, note=note)  # type: ignore[arg-type]
                return 200, {"id": done.pk, "status": done.status}

        elif kind == "compensation":
            from patron.service import services as service_services
            from patron.service.models import Compensation

            compensation = get_object_or_404(
                Compensation.objects.select_related("shop"), pk=pk, shop_id=shop_id(request)
            )
            shop = compensation.shop

            def handler() -> tuple[int, dict[str, Any]]:
                if decision == "approve":
                    done = service_services.compensation_approve(
                        compensation=compensation,
                        actor=request.user,  # type: ignore[arg-type]
                    )
                else:
                    done = service_services.compensation_reject(
                        compensation=compensation,
                        actor=request.user,  # type: ignore[arg-type]
                        note=note,
                    )
                return 200, {"id": done.pk, "state": done.state}

        else:
            raise Http404
        once.form_once(request, shop=shop, handler=handler)
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN:
            messages.error(
                request,
                _("You may not decide on this request (your own requests need another operator)."),
            )
        elif exc.code == ErrorCode.INVALID_TRANSITION:
            # A second click, or another operator was quicker: nothing changed twice.
            messages.info(request, _("This request has already been decided."))
        else:
            messages.error(request, exc.detail)
        return redirect("console:approvals")
    if decision == "approve":
        messages.success(request, _("Approved and applied."))
    else:
        messages.success(request, _("Rejected."))
    return redirect("console:approvals")
