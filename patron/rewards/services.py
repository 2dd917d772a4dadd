"""Writes on the rewards catalogue: redeem, fulfil, cancel.

A redemption is an order of its own: placed (points taken, stock taken),
fulfilled (shipped or issued), or cancelled (points and stock given back).
Lock order: the redemption's request_id (its unique index), the member row
(per-member limit), the reward row (stock, by a conditional update), coupon
template (a coupon reward), the points account.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, Text, lazy_format
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.core.validation import text_problem
from patron.members.models import Member
from patron.rewards import messages
from patron.rewards.models import Redemption, RedemptionStatus, Reward, RewardKind

# The longest shipping address accepted, from the API and the portal alike.
MAX_SHIPPING_ADDRESS = 500


def _refuse(code: ErrorCode, detail: Text, field: str = "reward") -> PatronError:
    return PatronError(code, detail, field=field)


def redemption_place(
    *,
    shop: Shop,
    member: Member,
    reward: Reward,
    request_id: str,
    shipping_address: str = "",
) -> tuple[Redemption, bool]:
    """Exchange points for one reward; (redemption, created).

    Idempotent per (shop, request_id): a retry returns the first redemption.
    Stock moves by ``UPDATE ... SET stock = stock - 1 WHERE stock >= 1``, so
    the last unit goes to exactly one of any number of simultaneous requests.
    """
    from patron.members import services as member_services
    from patron.points.models import EntryKind
    from patron.points.services import ledger
    from patron.promotions import services as promotion_services
    from patron.promotions.models import CouponSource

    if not request_id or len(request_id) > 64:
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("1 to 64 characters"), "request_id")
    # The API's schema checks these too; the portal's form posts reach here directly.
    for field, value, multiline in (
        ("request_id", request_id, False),
        ("shipping_address", shipping_address, True),
    ):
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise _refuse(ErrorCode.VALIDATION_ERROR, problem, field)
    now = clock.now()
    with transaction.atomic():
        existing = Redemption.objects.filter(shop=shop, request_id=request_id).first()
        if existing is not None:
            return _same_or_conflict(existing, member, reward), False
        if reward.shop_id != shop.pk:
            raise _refuse(ErrorCode.NOT_FOUND, _("no such reward"))
        if not reward.active:
            raise _refuse(ErrorCode.INACTIVE, _("this reward is no longer offered"))
        if reward.ends_at is not None and now >= reward.ends_at:
            raise _refuse(ErrorCode.ENDED, _("this reward is no longer offered"))
        if reward.starts_at is not None and now < reward.starts_at:
            raise _refuse(ErrorCode.NOT_STARTED, _("this reward is not offered yet"))
        if len(shipping_address.strip()) > MAX_SHIPPING_ADDRESS:
            raise _refuse(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(_("at most %(limit)s characters"), limit=MAX_SHIPPING_ADDRESS),
                "shipping_address",
            )
        if reward.kind == RewardKind.PHYSICAL and not shipping_address.strip():
            raise _refuse(
                ErrorCode.VALIDATION_ERROR, _("a gift needs a shipping address"), "shipping_address"
            )
        promotion_services.check_tier(
            shop=shop, member=member, tier_codes=list(reward.tier_codes or [])
        )
        # The request_id is claimed first, before any lock or counter: a retry that
        # arrives while the first attempt is still running waits on the unique index
        # here and then answers with the first redemption (not sold_out, not a 500).
        redemption, created = insert_or_first(
            lambda: Redemption.objects.create(
                shop=shop,
                member=member,
                reward=reward,
                request_id=request_id,
                points=reward.points_price,
                shipping_address=shipping_address.strip(),
                placed_at=now,
            ),
            # The same request_id committed meanwhile; only the insert rolled back.
            lambda: Redemption.objects.get(shop=shop, request_id=request_id),
        )
        if not created:
            return _same_or_conflict(redemption, member, reward), False
        # core.locks' order, as on the event path: the points account, then the member.
        account = ledger.account_lock(member=member) if reward.points_price else None
        member_services.member_lock(member)
        if reward.per_member_limit:
            taken = (
                Redemption.objects.filter(member=member, reward=reward)
                .exclude(status=RedemptionStatus.CANCELLED)
                .exclude(pk=redemption.pk)
                .count()
            )
            if taken >= reward.per_member_limit:
                raise _refuse(
                    ErrorCode.LIMIT_REACHED,
                    lazy_format(
                        _("at most %(per_member_limit)s of this reward per member"),
                        per_member_limit=reward.per_member_limit,
                    ),
                )
        rows = Reward.objects.filter(pk=reward.pk)
        if reward.stock is not None:
            rows = rows.filter(stock__gte=1)
            changed = rows.update(stock=F("stock") - 1, redeemed_count=F("redeemed_count") + 1)
        else:
            changed = rows.update(redeemed_count=F("redeemed_count") + 1)
        if not changed:
            raise _refuse(ErrorCode.SOLD_OUT, _("this reward is out of stock"))
        if reward.kind == RewardKind.COUPON:
            assert reward.coupon_template is not None
            redemption.coupon = promotion_services.coupon_issue(
                template=reward.coupon_template,
                member=member,
                source=CouponSource.POINTS,
                source_ref=f"redemption:{redemption.pk}",
            )
            redemption.status = RedemptionStatus.FULFILLED
            redemption.fulfilled_at = now
        if account is not None:
            entry = ledger.do_debit(
                account,
                points=reward.points_price,
                kind=EntryKind.REDEEM,
                refs=ledger.Refs(
                    reason_code="reward_redeemed",
                    reason_params={"reward": reward.name, "redemption": redemption.pk},
                    idempotency_key=f"redemption:{redemption.pk}",
                ),
            )
            redemption.points_entry_id = entry.pk
        redemption.save()
        messages.redemption_notify(redemption)
    return redemption, True


def _same_or_conflict(existing: Redemption, member: Member, reward: Reward) -> Redemption:
    if existing.member_id != member.pk or existing.reward_id != reward.pk:
        raise _refuse(
            ErrorCode.IDEMPOTENCY_MISMATCH,
            _("this request_id was used for a different redemption"),
            "request_id",
        )
    return existing


def redemption_fulfil(*, redemption: Redemption, actor: User | None) -> Redemption:
    """Mark a placed redemption shipped. ``actor`` is the operator (checked for
    the permission in the redemption's shop) or None for Patron itself."""
    require_perm(
        actor, "rewards.fulfil_redemption", shop=redemption.shop_id, what="fulfil redemptions"
    )
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.status == RedemptionStatus.FULFILLED:
            return locked
        if locked.status != RedemptionStatus.PLACED:
            raise _refuse(
                ErrorCode.INVALID_TRANSITION,
                lazy_format(_("a %(status)s redemption cannot be fulfilled"), status=locked.status),
            )
        locked.status = RedemptionStatus.FULFILLED
        locked.fulfilled_at = clock.now()
        locked.save(update_fields=["status", "fulfilled_at"])
        audit_record(
            actor=actor,
            action="redemption.fulfil",
            obj=locked,
            before={"status": RedemptionStatus.PLACED},
            after={"status": locked.status},
        )
    return locked


def redemption_cancel(
    *, redemption: Redemption, actor: User | None, reason: str = ""
) -> Redemption:
    """Cancel a placed redemption (or a coupon one whose coupon is unused): the
    points go back to the lots they came from and the unit back into stock.
    ``actor`` is the operator (checked) or None for the shop's API."""
    from patron.points.models import EntryKind, LotDraw
    from patron.points.services import ledger
    from patron.promotions import services as promotion_services

    require_perm(
        actor, "rewards.cancel_redemption", shop=redemption.shop_id, what="cancel redemptions"
    )
    with transaction.atomic():
        locked = (
            Redemption.objects.select_for_update(of=("self",))
            .select_related("reward", "coupon", "member")
            .get(pk=redemption.pk)
        )
        if locked.status == RedemptionStatus.CANCELLED:
            return locked
        if locked.reward.kind == RewardKind.COUPON:
            if locked.coupon is None or not promotion_services.coupon_revoke(
                coupon=locked.coupon, actor=None
            ):
                raise _refuse(
                    ErrorCode.INVALID_TRANSITION,
                    _("the coupon from this redemption was already used"),
                    "redemption",
                )
        elif locked.status != RedemptionStatus.PLACED:
            raise _refuse(
                ErrorCode.INVALID_TRANSITION,
                lazy_format(_("a %(status)s redemption cannot be cancelled"), status=locked.status),
                "redemption",
            )
        if locked.reward.stock is not None:
            Reward.objects.filter(pk=locked.reward_id).update(
                stock=F("stock") + 1, redeemed_count=F("redeemed_count") - 1
            )
        else:
            Reward.objects.filter(pk=locked.reward_id).update(
                redeemed_count=F("redeemed_count") - 1
            )
        if locked.points_entry_id:
            account = ledger.account_lock(member=locked.member)
            for i, draw in enumerate(
                LotDraw.objects.filter(entry_id=locked.points_entry_id)
                .select_related("lot")
                .order_by("id")
            ):
                ledger.do_credit(
                    account,
                    points=draw.points,
                    kind=EntryKind.RELEASE,
                    refs=ledger.Refs(
                        reason_code="redemption_cancelled",
                        reason_params={"redemption": locked.pk, "reason": reason},
                        idempotency_key=f"redemption-cancel:{locked.pk}:{i}",
                    ),
                    expires_at=draw.lot.expires_at,
                    lifetime=False,
                )
        previous = locked.status
        locked.status = RedemptionStatus.CANCELLED
        locked.cancelled_at = clock.now()
        locked.note = reason[:200]
        locked.save(update_fields=["status", "cancelled_at", "note"])
        audit_record(
            actor=actor,
            action="redemption.cancel",
            obj=locked,
            before={"status": previous},
            after={"status": locked.status},
            reason=reason,
        )
    return locked
