"""Points as cash (积分抵现): the rate, the cap, and holds on a member's points.

Checkout (promotions) calls these. The shop's rates are points' own
(``PointsCashSettings``, with a row per tier for a tier's own rate).

A checkout hold takes the points out of the member's available balance at
once (ledger kind ``hold``, drawn from lots earliest-expiry first, so two
orders can never spend the same points); paying the order ``capture``s them
(an entry of zero that closes the hold), cancelling or timing out
``release``s them back into the very lots they came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.core.money import Rounding, divide
from patron.members.models import Member
from patron.points.models import PointsCashSettings

FEN_PER_YUAN = 100


@dataclass(frozen=True)
class Rate:
    enabled: bool
    points_per_yuan: int
    max_share_percent: int
    min_points: int
    step_points: int
    combine_with_coupons: bool
    hold_minutes: int

    def value_of(self, points: int) -> int:
        """What ``points`` are worth in fen (rounded down)."""
        return divide(points * FEN_PER_YUAN, self.points_per_yuan, Rounding.DOWN)

    def cost_of(self, fen: int) -> int:
        """The fewest points worth ``fen`` (rounded up): what ``fen`` of discount costs."""
        return divide(fen * self.points_per_yuan, FEN_PER_YUAN, Rounding.UP)

    def trim(self, points: int) -> int:
        """``points`` less any that buy nothing: at an uneven rate (150 points = ¥1)
        151 points are worth ¥1.00, the same as 150, so 150 are charged."""
        return self.cost_of(self.value_of(points))

    def points_for(self, fen: int) -> int:
        """The most points, in whole steps, whose value does not exceed ``fen``."""
        points = divide(fen * self.points_per_yuan, FEN_PER_YUAN, Rounding.DOWN)
        return points - points % self.step_points


_DEFAULT_SETTINGS = PointsCashSettings()


def rate_for(*, shop: Shop, tier_code: str = "") -> Rate:
    """The shop's points-as-cash rate for a member of this tier ("" for none):
    the shop's settings, or the defaults."""
    settings = PointsCashSettings.objects.filter(shop=shop).first() or _DEFAULT_SETTINGS
    per_yuan = settings.points_per_yuan
    if settings.pk is not None and tier_code:
        tier_rate = settings.tier_rates.filter(tier_code=tier_code).first()
        if tier_rate is not None:
            per_yuan = tier_rate.points_per_yuan
    return Rate(
        enabled=settings.enabled,
        points_per_yuan=per_yuan,
        max_share_percent=settings.max_share_percent,
        min_points=settings.min_points,
        step_points=settings.step_points,
        combine_with_coupons=settings.combine_with_coupons,
        hold_minutes=settings.hold_minutes,
    )


@dataclass(frozen=True)
class Quote:
    max_points: int  # the most this order may use (balance, cap, step, minimum)
    max_value: int
    used: int
    value: int


def quote(*, rate: Rate, payable: int, balance: int, wanted: int) -> Quote:
    """How many points an order of ``payable`` fen (goods after discounts) may use.

    The cap is ``max_share_percent`` of ``payable``; points go in whole steps;
    below ``min_points`` none can be used. ``wanted`` is trimmed to the cap.
    Steps and the minimum apply to the points asked for; then the points that
    buy nothing are dropped (``Rate.trim``), so ``used`` is exactly what
    ``value`` costs and is what the hold takes, captures and gives back.
    """
    if not rate.enabled or payable <= 0 or balance <= 0:
        return Quote(0, 0, 0, 0)
    cap_fen = divide(payable * rate.max_share_percent, 100, Rounding.DOWN)
    usable = min(rate.points_for(cap_fen), balance - balance % rate.step_points)
    if usable < rate.min_points:
        usable = 0
    used = min(max(wanted, 0), usable)
    used -= used % rate.step_points
    if used < rate.min_points:
        used = 0
    return Quote(rate.trim(usable), rate.value_of(usable), rate.trim(used), rate.value_of(used))


def points_balance(*, member: Member) -> int:
    """The member's available points (0 without an account)."""
    from patron.points import selectors

    account = selectors.account_get(member=member)
    return account.available if account is not None else 0


# --- Holds on points ----------------------------------------------------------
# Built on the points ledger's primitives: ``do_debit`` (draws lots earliest
# expiry first and records the draws) and ``do_credit`` (a new lot). A release
# credits one new lot per drawn lot with that lot's own expiry, so returned
# points expire when the points they replace would have.


def points_hold(*, member: Member, points: int, order_id: str, hold_key: str) -> int:
    """Take ``points`` out of the member's available balance for an order; the
    ledger entry's id. Refuses (409 insufficient_points) when they are not there."""
    from patron.points.models import EntryKind
    from patron.points.services import ledger

    account = ledger.account_lock(member=member)
    entry = ledger.do_debit(
        account,
        points=points,
        kind=EntryKind.HOLD,
        refs=ledger.Refs(
            reason_code="checkout_hold",
            reason_params={"order_id": order_id},
            idempotency_key=f"hold:{hold_key}",
        ),
    )
    return entry.pk


def points_capture(*, member: Member, hold_entry_id: int, order_pk: int, hold_key: str) -> None:
    """Close a hold: the order was paid. Balances do not move (the hold took them)."""
    from patron.points.models import EntryKind
    from patron.points.services import ledger

    account = ledger.account_lock(member=member)
    hold_entry = account.entries.get(pk=hold_entry_id)
    # A zero entry: the points left the balance at hold time; this line of history
    # says they were spent on the order rather than given back.
    ledger._write_entry(
        account,
        kind=EntryKind.CAPTURE,
        points=0,
        refs=ledger.Refs(
            reason_code="checkout_capture",
            reason_params={"held": -hold_entry.points, "hold_entry": hold_entry_id},
            order_id=order_pk,
            idempotency_key=f"capture:{hold_key}",
        ),
    )


def points_release(
    *,
    member: Member,
    hold_entry_id: int,
    points: int,
    already_returned: int,
    reason_code: str,
    key: str,
    order_pk: int | None = None,
) -> int:
    """Give back ``points`` of a hold, of which ``already_returned`` went back before.

    Returned points go back to the drawn lots latest-expiring first, one new lot
    per drawn lot with that lot's expiry (an already-expired one is swept by the
    next expiry run, as the original would have been). Returns the points given.
    """
    from patron.points.models import EntryKind, LotDraw
    from patron.points.services import ledger

    if points <= 0:
        return 0
    account = ledger.account_lock(member=member)
    draws = list(
        LotDraw.objects.filter(entry_id=hold_entry_id, entry__account=account)
        .select_related("lot")
        .order_by("-id")
    )
    skip = already_returned
    left = points
    for i, draw in enumerate(draws):
        from_this = draw.points
        if skip >= from_this:
            skip -= from_this
            continue
        give = min(left, from_this - skip)
        skip = 0
        ledger.do_credit(
            account,
            points=give,
            kind=EntryKind.RELEASE,
            refs=ledger.Refs(
                reason_code=reason_code,
                reason_params={"hold_entry": hold_entry_id, "lot": draw.lot_id},
                order_id=order_pk,
                idempotency_key=f"release:{key}:{i}",
            ),
            expires_at=draw.lot.expires_at,
            lifetime=False,
        )
        left -= give
        if left == 0:
            break
    if left:
        raise PatronError(
            ErrorCode.CONFLICT,
            lazy_format(
                _("hold %(hold_entry_id)s has %(left)s fewer points than asked back"),
                hold_entry_id=hold_entry_id,
                left=left,
            ),
        )
    return points
