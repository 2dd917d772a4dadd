"""Home, benefits, points and tier history, rewards, coupons, flash sales, check-in."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patron.core import services as core_services
from patron.core.errors import ErrorCode, PatronError
from patron.members.models import Member
from patron.points import selectors as points_selectors
from patron.portal.auth import member_required, safe_next
from patron.promotions import selectors as promotion_selectors
from patron.rewards import selectors as reward_selectors
from patron.rewards.services import MAX_SHIPPING_ADDRESS
from patron.tiers import member_selectors as tier_member_selectors
from patron.tiers import selectors as tier_selectors


def _language() -> str:
    return get_language() or "zh-hans"


def friendly(exc: PatronError) -> str:
    """A refusal in words a member understands, in their language."""
    messages_by_code = {
        ErrorCode.INSUFFICIENT_POINTS: _("You do not have enough points for this."),
        ErrorCode.SOLD_OUT: _("Sorry, this is sold out."),
        ErrorCode.LIMIT_REACHED: _("You have reached the limit for this."),
        ErrorCode.TIER: _("This offer is not available to your tier."),
        ErrorCode.TIER_NOT_ELIGIBLE: _("This offer is not available to your tier."),
        ErrorCode.RATE_LIMITED: _("Too many attempts. Please wait a moment and try again."),
    }
    if exc.code in messages_by_code:
        return messages_by_code[exc.code]
    if exc.code in {
        ErrorCode.NOT_STARTED,
        ErrorCode.ENDED,
        ErrorCode.INACTIVE,
        ErrorCode.NOT_CLAIMABLE,
        ErrorCode.CONFLICT,
    }:
        return _("This offer is not available at the moment.")
    return _("That did not work: %(detail)s") % {"detail": exc.detail}


def new_token() -> str:
    """A one-time key put in each form that spends; a double submit replays the first answer."""
    return uuid.uuid4().hex


_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,64}")


def run_once(
    request: HttpRequest, member: Member, handler: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    token = request.POST.get("idem") or ""
    if not _TOKEN.fullmatch(token):
        token = new_token()  # absent or tampered with: this submit stands alone
    fields = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    return core_services.idempotent_call(
        shop=member.shop,
        key=f"portal:{member.pk}:{token}",
        method="POST",
        path=request.path,
        body=json.dumps(fields, sort_keys=True).encode(),
        handler=handler,
    )


@member_required
def home_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    language = _language()
    return render(
        request,
        "portal/home.html",
        {
            "member": member,
            "points": points_selectors.member_points_summary(member),
            "tier": tier_member_selectors.member_tier_card(member, language),
            "check_in": points_selectors.member_check_in_status(member),
            "coupon_count": len(promotion_selectors.coupon_wallet(member)["usable"]),
            "recent": points_selectors.member_points_history(member, limit=5),
            "idem": new_token(),
        },
    )


@member_required
def benefits_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    language = _language()
    return render(
        request,
        "portal/benefits.html",
        {
            "table": tier_member_selectors.benefits_table(member, language),
            "tier": tier_member_selectors.member_tier_card(member, language),
        },
    )


@member_required
def points_history_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "portal/points_history.html",
        {
            "points": points_selectors.member_points_summary(member),
            "rows": points_selectors.member_points_history(member),
        },
    )


@member_required
def tier_history_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    language = _language()
    return render(
        request,
        "portal/tier_history.html",
        {
            "rows": tier_member_selectors.member_tier_history(member, language),
            "tier": tier_member_selectors.member_tier_card(member, language),
        },
    )


@member_required
def rewards_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "portal/rewards.html",
        {
            "rewards": reward_selectors.rewards_on_offer(shop=member.shop),
            "points": points_selectors.member_points_summary(member),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def reward_view(request: HttpRequest, reward_id: int) -> HttpResponse:
    """Confirm step (GET) and the redemption itself (POST, once per form token)."""
    member: Member = request.member  # type: ignore[attr-defined]
    reward = reward_selectors.reward_get(shop=member.shop, reward_id=reward_id)
    if reward is None:
        raise Http404
    points = points_selectors.member_points_summary(member)
    error = address_error = ""
    status = 200
    if request.method == "POST":
        from patron.portal import actions

        try:
            _code, _body, _replayed = run_once(
                request,
                member,
                lambda: actions.redeem(member=member, reward=reward, request=request),
            )
        except PatronError as exc:
            address = request.POST.get("shipping_address", "")
            if exc.field == "shipping_address" and not address.strip():
                address_error = _("Please enter the address the gift should be sent to.")
            elif exc.field == "shipping_address" and len(address.strip()) > MAX_SHIPPING_ADDRESS:
                address_error = _("The address can be at most %(count)s characters.") % {
                    "count": MAX_SHIPPING_ADDRESS
                }
            elif exc.field == "shipping_address":
                address_error = _("Remove the control characters (such as NUL).")
            else:
                error = friendly(exc)
            status = 409 if exc.status == 409 else 422
        else:
            messages.success(
                request,
                _("Redeemed: %(name)s. Your order is in My redemptions.") % {"name": reward.name},
            )
            return redirect("portal:redemptions")
    left = reward.stock  # what is left; None = unlimited
    return render(
        request,
        "portal/reward_confirm.html",
        {
            "reward": reward,
            "points": points,
            "left": left,
            "after": points["available"] - reward.points_price,
            "enough": points["available"] >= reward.points_price,
            "error": error,
            "address_error": address_error,
            "idem": request.POST.get("idem") if (error or address_error) else new_token(),
            "address": request.POST.get("shipping_address", ""),
        },
        status=status,
    )


@member_required
def redemptions_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request, "portal/redemptions.html", {"rows": reward_selectors.member_redemptions(member)}
    )


@member_required
def coupons_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    tab = request.GET.get("tab", "usable")
    if tab not in {"usable", "used", "expired"}:
        tab = "usable"
    wallet = promotion_selectors.coupon_wallet(member)
    return render(
        request,
        "portal/coupons.html",
        {"tab": tab, "coupons": wallet[tab], "counts": {k: len(v) for k, v in wallet.items()}},
    )


@member_required
@require_http_methods(["GET", "POST"])
def claim_centre_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        from patron.portal import actions

        try:
            run_once(request, member, lambda: actions.claim(member=member, post=request.POST))
        except PatronError as exc:
            messages.error(request, friendly(exc))
            status = 403 if exc.code == ErrorCode.TIER_NOT_ELIGIBLE else 409
        else:
            messages.success(request, _("Claimed. The coupon is in My coupons."))
            return redirect(f"{reverse('portal:claim_centre')}")
    benefits = tier_selectors.member_benefits(member)
    return render(
        request,
        "portal/claim_centre.html",
        {
            "sales": promotion_selectors.member_flash_sales(
                member, tier_allowed=benefits is None or benefits.flash_sale_access
            ),
            "templates": list(promotion_selectors.claimable_templates(member)),
            "idem": new_token(),
        },
        status=status,
    )


@member_required
@require_http_methods(["GET", "POST"])
def check_in_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        from patron.portal import actions

        try:
            _code, body, _replayed = run_once(
                request, member, lambda: actions.check_in(member=member)
            )
        except PatronError as exc:
            if exc.code == ErrorCode.LIMIT_REACHED:
                messages.info(request, _("You have already checked in today. Come back tomorrow!"))
            else:
                messages.error(request, friendly(exc))
        else:
            messages.success(
                request,
                _("Checked in: +%(points)s points. Streak: %(streak)s days.")
                % {"points": body["points"], "streak": body["streak"]},
            )
        return redirect(safe_next(request, reverse("portal:check_in")))
    return render(
        request,
        "portal/check_in.html",
        {"check_in": points_selectors.member_check_in_status(member), "idem": new_token()},
    )
