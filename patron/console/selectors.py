"""Reads for console pages that no owning app offers as a selector (noted in
docs/decisions/ui.md): member search, a member's audit trail, dashboard series."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from patron.core.apps import installed
from patron.core.models import AuditLog
from patron.core.pii import normalize_phone
from patron.members.models import Member


def member_search(
    *, shop_id: int, query: str, include_pii: bool = False, limit: int = 50
) -> QuerySet[Member]:
    """Members of the shop by their id in the shop or name, and by phone (any
    form) or e-mail only with ``include_pii`` (the searcher sees them
    unmasked); newest first.

    Without it a phone or e-mail is not looked up at all: a hit would confirm
    whose number it is, which the masked column hides.
    """
    members = (
        Member.objects.filter(shop_id=shop_id)
        .select_related("shop")
        .order_by("-registered_at", "-id")
    )
    text = query.strip()
    if not text:
        return members[:limit]
    condition = Q(external_id__iexact=text) | Q(name__icontains=text)
    if include_pii and "@" in text:
        condition |= Q(email__iexact=text)
    elif include_pii:
        with contextlib.suppress(ValidationError):
            condition |= Q(phone=normalize_phone(text))
    return members.filter(condition)[:limit]


def looks_like_contact(query: str) -> bool:
    """Whether a search text is an e-mail address or a phone number (by its form
    alone, never by whether anyone has it)."""
    text = query.strip()
    if "@" in text:
        return True
    try:
        normalize_phone(text)
    except ValidationError:
        return False
    return True


# Audited objects that belong to one member: (app label, model) of rows with a
# ``member`` foreign key. Their audit rows are matched by object type and id.
_MEMBER_OWNED = (
    ("points", "PointsAdjustment"),
    ("tiers", "TierOverride"),
    ("tiers", "TierGift"),
)


def member_audit_trail(*, member: Member, limit: int = 100) -> QuerySet[AuditLog]:
    """Audit entries about the member or naming them (adjustments, overrides, ...).

    Matched exactly, never by substring (member ``M1`` must not see ``M10``'s
    entries): by object type and id for the member and the rows they own, by
    the ``member`` the entry records, else by a representation that is the
    member's (``str(member)`` is "<external id> <name>", and an adjustment's
    starts with it).
    """
    from django.apps import apps
    from django.db.models import CharField
    from django.db.models.functions import Cast

    condition = (
        Q(object_type="members.member", object_id=str(member.pk))
        | Q(after__member=member.external_id)
        | Q(after__member_id=member.pk)
        | Q(object_repr=member.external_id)
        | Q(object_repr__startswith=f"{member.external_id} ")
    )
    for app_label, model_name in _MEMBER_OWNED:
        if not apps.is_installed(f"patron.{app_label}"):
            continue
        model = apps.get_model(app_label, model_name)
        ids = (
            model.objects.filter(member=member)
            .annotate(id_text=Cast("pk", CharField()))
            .values("id_text")
        )
        condition |= Q(object_type=model._meta.label_lower, object_id__in=ids)
    # External ids repeat across shops: only the member's shop's entries.
    return AuditLog.objects.filter(condition, shop_id=member.shop_id).order_by("-at", "-id")[:limit]


def audit_search(
    *, shop_id: int, query: str = "", action: str = "", actor: str = "", limit: int = 200
) -> QuerySet[AuditLog]:
    """The shop's audit entries (entries about no shop are for superusers, in the admin)."""
    entries = AuditLog.objects.filter(shop_id=shop_id).order_by("-at", "-id")
    if query.strip():
        q = query.strip()
        entries = entries.filter(
            Q(object_repr__icontains=q)
            | Q(object_id=q)
            | Q(reason__icontains=q)
            | Q(action__icontains=q)
        )
    if action.strip():
        entries = entries.filter(action__istartswith=action.strip())
    if actor.strip():
        entries = entries.filter(actor_label__iexact=actor.strip())
    return entries[:limit]


def audit_actions(*, shop_id: int) -> list[str]:
    return list(
        AuditLog.objects.filter(shop_id=shop_id)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def member_loyalty(*, member: Member, user: object) -> dict[str, object]:
    """Points (ledger and lots), tier and growth, coupons, redemptions and open
    requests for the 360° view. Sections of apps that are not installed are empty."""
    from django.utils.translation import get_language

    language = get_language() or "zh-hans"
    data: dict[str, object] = {
        "points": {"available": 0, "pending": 0, "debt": 0, "expiring": [], "expiring_total": 0},
        "tier": None,
        "tier_history": [],
        "coupons": {"usable": [], "used": [], "expired": []},
        "redemptions": [],
        "ledger": [],
        "lots": [],
        "growth": [],
        "adjustments": [],
        "overrides": [],
        "tiers": [],
    }
    if installed("points"):
        from patron.points import selectors as points_selectors

        data["points"] = points_selectors.member_points_summary(member)
    if installed("tiers"):
        from patron.tiers import member_selectors as tier_member_selectors

        data["tier"] = tier_member_selectors.member_tier_card(member, language)
        data["tier_history"] = tier_member_selectors.member_tier_history(member, language)
    if installed("promotions"):
        from patron.promotions import selectors as promotion_selectors

        data["coupons"] = promotion_selectors.coupon_wallet(member)
    if installed("rewards"):
        from patron.rewards import selectors as reward_selectors

        data["redemptions"] = reward_selectors.member_redemptions(member)
    if installed("points"):
        from patron.points.models import LedgerEntry, PointsAdjustment, PointsLot

        entries = list(
            LedgerEntry.objects.filter(account__member=member)
            .select_related("operator", "rule")
            .order_by("-created_at", "-id")[:50]
        )
        for entry in entries:
            entry.reason_text = points_selectors.entry_reason_text(entry)  # type: ignore[attr-defined]
        data["ledger"] = entries
        data["lots"] = list(
            PointsLot.objects.filter(account__member=member).order_by("-earned_at", "-id")[:50]
        )
        data["adjustments"] = list(
            PointsAdjustment.objects.filter(member=member)
            .select_related("requested_by", "decided_by")
            .order_by("-requested_at")[:20]
        )
    if installed("tiers"):
        from patron.tiers.models import GrowthEntry, Tier, TierOverride

        data["growth"] = list(
            GrowthEntry.objects.filter(member=member).order_by("-occurred_at", "-id")[:30]
        )
        data["overrides"] = list(
            TierOverride.objects.filter(member=member).select_related(
                "tier", "requested_by", "decided_by"
            )[:10]
        )
        data["tiers"] = list(Tier.objects.filter(shop=member.shop, is_active=True).order_by("rank"))
    return data


def approval_queue(*, shop_id: int) -> dict[str, list[object]]:
    """The shop's requests waiting for a second operator: points adjustments and
    tier overrides, and the service desk's compensation above an agent's limit."""
    queue: dict[str, list[object]] = {"adjustments": [], "overrides": [], "compensations": []}
    if installed("points"):
        from patron.points.models import AdjustmentState, PointsAdjustment

        queue["adjustments"] = list(
            PointsAdjustment.objects.filter(
                state=AdjustmentState.AWAITING_APPROVAL, member__shop_id=shop_id
            )
            .select_related("member", "requested_by")
            .order_by("requested_at")
        )
    if installed("tiers"):
        from patron.tiers.models import OverrideStatus, TierOverride

        queue["overrides"] = list(
            TierOverride.objects.filter(status=OverrideStatus.PENDING, shop_id=shop_id)
            .select_related("member", "tier", "requested_by")
            .order_by("requested_at")
        )
    if installed("service"):
        from patron.service.models import Compensation, CompensationState

        queue["compensations"] = list(
            Compensation.objects.filter(state=CompensationState.AWAITING, shop_id=shop_id)
            .select_related("member", "agent", "ticket", "team", "coupon_template")
            .order_by("requested_at")
        )
    return queue
