"""Writes on coupons: issue, claim, revoke, and flash-sale claims.

Locks are taken in one order everywhere: the member row (per-member limits),
then the flash sale, then the coupon template (issue counter), then coupons
by primary key. Counters move only by conditional ``UPDATE``s whose row count
says whether the unit was there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, Text, by_language, lazy_format
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record, snapshot
from patron.members import services as member_services
from patron.members.models import Member
from patron.promotions import codes, messages, selectors, tiering
from patron.promotions.models import (
    Coupon,
    CouponSource,
    CouponStatus,
    CouponTemplate,
    CouponType,
    FlashSale,
    FlashSaleClaim,
    ValidityKind,
)

CODE_ATTEMPTS = 5


def _validity(template: CouponTemplate, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if template.validity_kind == ValidityKind.FIXED_DATES:
        if template.valid_until is None:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(
                    _("template %(code)s has fixed dates but no end"), code=repr(template.code)
                ),
                field="valid_until",
            )
        return template.valid_from or at, template.valid_until
    return at, at + dt.timedelta(days=template.valid_days)


def check_tier(*, shop: Shop, member: Member, tier_codes: list[str]) -> None:
    if not tier_codes:
        return
    tier = tiering.member_tier(member)
    if tier.code not in tier_codes:
        names_zh, names_en = tiering.tier_names(shop.pk, tier_codes)
        raise PatronError(
            ErrorCode.TIER,
            lazy_format(
                _("only for %(tiers)s members"),
                tiers=by_language("、".join(names_zh), ", ".join(names_en)),
            ),
            field="member",
        )


def check_flash_sale_access(member: Member) -> None:
    """Flash sales are a tier benefit (``flash_sale_access``): a member whose
    tier lacks it may not claim, whatever the sale's own tier list says."""
    tier = tiering.member_tier(member)
    if not tier.flash_sale_access:
        raise PatronError(
            ErrorCode.TIER_NOT_ELIGIBLE,
            lazy_format(
                _("flash sales are not a benefit of the %(tier)s tier"),
                tier=by_language(tier.name or tier.code, tier.name_en or tier.code),
            ),
            field="member",
        )


def coupon_build(
    *,
    template: CouponTemplate,
    member: Member,
    source: CouponSource | str,
    source_ref: str = "",
    issued_at: dt.datetime,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
) -> Coupon:
    """An unsaved coupon of ``template`` for ``member`` under a fresh code:
    ``coupon_issue`` saves one after its checks; demo seeding bulk-creates
    them."""
    return Coupon(
        shop_id=template.shop_id,
        template=template,
        member=member,
        code=codes.generate(),
        source=source,
        source_ref=source_ref,
        issued_at=issued_at,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def coupon_issue(
    *,
    template: CouponTemplate,
    member: Member,
    source: CouponSource | str,
    source_ref: str = "",
    check_member_limit: bool = True,
) -> Coupon:
    """Issue one coupon of ``template`` to ``member``.

    Refuses an inactive or ended template, the member's limit (counted under
    the member row lock) and the template's total limit (a conditional update
    of ``issued_count``). One transaction; callers may nest it in theirs.
    """
    now = clock.now()
    if template.shop_id != member.shop_id:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such coupon template"), field="template")
    if not template.active:
        raise PatronError(
            ErrorCode.INACTIVE, _("this coupon is no longer offered"), field="template"
        )
    valid_from, valid_until = _validity(template, now)
    if valid_until <= now:
        raise PatronError(ErrorCode.ENDED, _("this coupon offer has ended"), field="template")
    with transaction.atomic():
        if check_member_limit and template.per_member_limit:
            member_services.member_lock(member)
            held = (
                Coupon.objects.filter(template=template, member=member)
                .filter(selectors.held_toward_limit())
                .count()
            )
            if selectors.limit_reached(template, held):
                raise PatronError(
                    ErrorCode.LIMIT_REACHED,
                    lazy_format(
                        _("at most %(per_member_limit)s of this coupon per member"),
                        per_member_limit=template.per_member_limit,
                    ),
                    field="template",
                )
        counter = CouponTemplate.objects.filter(pk=template.pk)
        if template.total_limit:
            counter = counter.filter(issued_count__lt=F("total_limit"))
        if not counter.update(issued_count=F("issued_count") + 1):
            raise PatronError(
                ErrorCode.SOLD_OUT, _("all of these coupons are gone"), field="template"
            )
        for _attempt in range(CODE_ATTEMPTS):
            try:
                with transaction.atomic():
                    coupon = coupon_build(
                        template=template,
                        member=member,
                        source=source,
                        source_ref=source_ref,
                        issued_at=now,
                        valid_from=valid_from,
                        valid_until=valid_until,
                    )
                    coupon.save(force_insert=True)
                    messages.coupon_issued_notify(coupon)
                    return coupon
            except IntegrityError:  # pragma: no cover - 60 random bits; astronomically rare
                continue
        raise PatronError(
            ErrorCode.CONFLICT, _("could not allocate a coupon code")
        )  # pragma: no cover


# The largest money amount a template may name: ¥10 billion, far above any real
# coupon and far below what the columns hold, so input never overflows them.
MAX_FEN = 10**12
MAX_COUNT = 2**31 - 1
# Free shipping combines with an order coupon unless the operator says otherwise
# (docs/decisions/promotions.md, "Evaluation order and stacking").
DEFAULT_STACKING_GROUP = {CouponType.FREE_SHIPPING.value: "shipping"}
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass(frozen=True, kw_only=True)
class TemplateSpec:
    """What an operator says when making a coupon template (every way in)."""

    code: str
    name: str
    type: str
    description: str = ""
    amount: int = 0
    percent: int = 0
    max_discount: int = 0
    threshold: int = 0
    repeating: bool = False
    skus: Sequence[str] = ()
    categories: Sequence[str] = ()
    tier_codes: Sequence[str] = ()
    new_members_only: bool = False
    validity_kind: str = ValidityKind.DAYS_AFTER_ISSUE
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    valid_days: int = 30
    per_member_limit: int = 1
    total_limit: int = 0
    budget: int = 0
    stacking_group: str = ""  # empty: the type's default group
    exclusive: bool = False
    claimable: bool = False
    active: bool = True


def _bad(field: str, message: Text) -> PatronError:
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        lazy_format(_("%(field)s: %(message)s"), field=field, message=message),
        field=field,
    )


def _check_range(spec: TemplateSpec, field: str, low: int, high: int) -> None:
    value = getattr(spec, field)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(
            field,
            lazy_format(_("must be a whole number from %(low)s to %(high)s"), low=low, high=high),
        )


def template_validate(spec: TemplateSpec) -> None:
    """Refuse a template that evaluation could not apply, naming the first bad field.

    The one check every way of making a template goes through (console form,
    console API, admin), so a bad type or amount never reaches checkout.
    """
    if not 1 <= len(spec.code) <= 64 or not _SLUG.match(spec.code):
        raise _bad("code", _("1 to 64 letters, digits, dashes or underscores"))
    if not spec.name.strip() or len(spec.name) > 100:
        raise _bad("name", _("1 to 100 characters"))
    if len(spec.description) > 300:
        raise _bad("description", _("at most 300 characters"))
    if spec.type not in CouponType.values:
        raise _bad("type", "one of " + ", ".join(CouponType.values))
    for money in ("amount", "max_discount", "threshold", "budget"):
        _check_range(spec, money, 0, MAX_FEN)
    _check_range(spec, "percent", 1 if spec.type == CouponType.PERCENT else 0, 99)
    if spec.type in (CouponType.FIXED, CouponType.THRESHOLD) and spec.amount == 0:
        raise _bad("amount", _("a fixed or threshold coupon needs an amount off"))
    if spec.type == CouponType.THRESHOLD:
        if spec.threshold == 0:
            raise _bad("threshold", _("a threshold coupon needs a minimum spend"))
        if spec.amount >= spec.threshold:
            raise _bad("amount", _("must be below the minimum spend"))
    if spec.validity_kind not in ValidityKind.values:
        raise _bad("validity_kind", "one of " + ", ".join(ValidityKind.values))
    if spec.validity_kind == ValidityKind.FIXED_DATES:
        if spec.valid_until is None:
            raise _bad("valid_until", _("fixed dates need an end"))
        if spec.valid_from is not None and spec.valid_from >= spec.valid_until:
            raise _bad("valid_until", _("must be after valid_from"))
    _check_range(spec, "valid_days", 1, 3650)
    _check_range(spec, "per_member_limit", 0, MAX_COUNT)
    _check_range(spec, "total_limit", 0, MAX_COUNT)
    for names in ("skus", "categories", "tier_codes"):
        value = getattr(spec, names)
        if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
            raise _bad(names, _("a list of non-empty strings"))
    if len(spec.stacking_group) > 30:
        raise _bad("stacking_group", _("at most 30 characters"))


def template_create(*, shop: Shop, actor: User | None, spec: TemplateSpec) -> CouponTemplate:
    """Create a coupon template; audited. An empty ``stacking_group`` takes the
    type's default (free shipping: ``shipping``; the others: ``order``)."""
    require_perm(actor, "promotions.add_coupontemplate", shop=shop, what="create coupon templates")
    template_validate(spec)
    fields = asdict(spec)
    for names in ("skus", "categories", "tier_codes"):
        fields[names] = list(fields[names])
    fields["stacking_group"] = spec.stacking_group or DEFAULT_STACKING_GROUP.get(spec.type, "order")
    try:
        with transaction.atomic():
            template = CouponTemplate.objects.create(shop=shop, created_at=clock.now(), **fields)
            audit_record(
                actor=actor, action="coupon_template.create", obj=template, after=snapshot(template)
            )
    except IntegrityError:
        if not CouponTemplate.objects.filter(shop=shop, code=spec.code).exists():
            raise  # pragma: no cover - validated above; only the code can clash
        raise PatronError(
            ErrorCode.DUPLICATE, _("a coupon template with this code exists"), field="code"
        ) from None
    return template


def template_get(*, shop: Shop, code: str) -> CouponTemplate:
    template = CouponTemplate.objects.filter(shop=shop, code=code).first()
    if template is None:
        raise PatronError(
            ErrorCode.NOT_FOUND,
            lazy_format(_("no coupon template %(code)s"), code=repr(code)),
            field="template",
        )
    return template


def coupon_claim(
    *, shop: Shop, member: Member, template_code: str = "", public_code: str = ""
) -> Coupon:
    """A member claims a coupon: from a claimable template, or by typing a public code."""
    if bool(template_code) == bool(public_code):
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, _("give either template or code"), field="template"
        )
    source: str
    if public_code:
        code = codes.normalize(public_code)
        if not codes.is_valid(code):
            raise PatronError(
                ErrorCode.VALIDATION_ERROR, _("not a valid coupon code"), field="code"
            )
        template = CouponTemplate.objects.filter(shop=shop, public_code=code).first()
        if template is None:
            raise PatronError(ErrorCode.NOT_FOUND, _("no coupon with this code"), field="code")
        source = CouponSource.PUBLIC_CODE
    else:
        template = template_get(shop=shop, code=template_code)
        if not template.claimable:
            raise PatronError(
                ErrorCode.NOT_CLAIMABLE, _("this coupon cannot be claimed"), field="template"
            )
        source = CouponSource.CLAIM
    check_tier(shop=shop, member=member, tier_codes=list(template.tier_codes or []))
    return coupon_issue(template=template, member=member, source=source)


def template_public_code_assign(*, template: CouponTemplate, actor: User | None) -> str:
    """Give a template a fresh public code (unique, with a check character);
    the old code stops working. Audited; ``actor`` needs the permission."""
    require_perm(
        actor,
        "promotions.assign_public_code",
        shop=template.shop_id,
        what="change coupon templates' public codes",
    )
    for _attempt in range(CODE_ATTEMPTS):
        code = codes.generate()
        try:
            with transaction.atomic():
                previous = template.public_code
                updated = CouponTemplate.objects.filter(pk=template.pk).update(public_code=code)
                if updated:
                    audit_record(
                        actor=actor,
                        action="coupon_template.public_code",
                        obj=template,
                        before={"public_code": previous},
                        after={"public_code": code},
                    )
        except IntegrityError:  # pragma: no cover
            continue
        if updated:
            template.public_code = code
            return code
    raise PatronError(ErrorCode.CONFLICT, _("could not allocate a code"))  # pragma: no cover


def coupon_revoke(*, coupon: Coupon, actor: User | None) -> bool:
    """Withdraw an unused coupon; a held or used one stays as it is.

    A revoked coupon gives its issue back: the template's ``issued_count`` drops
    by one (so a ``total_limit`` loses nothing) and it no longer counts against
    the member's ``per_member_limit``. The coupon row is taken first and then the
    template, the order checkout holds use (coupons, then their templates).
    """
    require_perm(actor, "promotions.revoke_coupon", shop=coupon.shop_id, what="revoke coupons")
    with transaction.atomic():
        revoked = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.AVAILABLE).update(
            status=CouponStatus.REVOKED
        )
        if revoked:
            CouponTemplate.objects.filter(pk=coupon.template_id, issued_count__gt=0).update(
                issued_count=F("issued_count") - 1
            )
            audit_record(
                actor=actor,
                action="coupon.revoke",
                obj=coupon,
                before={"status": CouponStatus.AVAILABLE},
                after={"status": CouponStatus.REVOKED},
            )
    return bool(revoked)


def flash_sale_claim(*, sale: FlashSale, member: Member) -> Coupon:
    """Claim one coupon from a flash sale.

    Exactly ``quantity`` claims succeed however many arrive at once: the sale's
    counter moves by ``UPDATE ... WHERE claimed_count < quantity``. The member's
    limit is checked under the member row lock and backed by a unique index on
    (sale, member, seq).
    """
    now = clock.now()
    if sale.shop_id != member.shop_id:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such flash sale"), field="sale")
    if not sale.active:
        raise PatronError(
            ErrorCode.INACTIVE, _("this flash sale is no longer offered"), field="sale"
        )
    if now >= sale.ends_at:
        raise PatronError(ErrorCode.ENDED, _("this flash sale has ended"), field="sale")
    if now < sale.starts_at:
        raise PatronError(ErrorCode.NOT_STARTED, _("this flash sale has not started"), field="sale")
    check_flash_sale_access(member)
    check_tier(shop=member.shop, member=member, tier_codes=list(sale.tier_codes or []))
    # Once sold out, the crowd is turned away without taking any lock; while units
    # are left, the conditional update below is what decides.
    if not FlashSale.objects.filter(pk=sale.pk, claimed_count__lt=F("quantity")).exists():
        raise PatronError(ErrorCode.SOLD_OUT, _("this flash sale is sold out"), field="sale")
    with transaction.atomic():
        member_services.member_lock(member)
        seq = FlashSaleClaim.objects.filter(sale=sale, member=member).count() + 1
        if sale.per_member_limit and seq > sale.per_member_limit:
            raise PatronError(
                ErrorCode.LIMIT_REACHED,
                lazy_format(
                    _("at most %(per_member_limit)s per member in this flash sale"),
                    per_member_limit=sale.per_member_limit,
                ),
                field="sale",
            )
        taken = FlashSale.objects.filter(Q(pk=sale.pk) & Q(claimed_count__lt=F("quantity"))).update(
            claimed_count=F("claimed_count") + 1
        )
        if not taken:
            raise PatronError(ErrorCode.SOLD_OUT, _("this flash sale is sold out"), field="sale")
        coupon = coupon_issue(
            template=sale.template,
            member=member,
            source=CouponSource.FLASH_SALE,
            source_ref=str(sale.pk),
            check_member_limit=False,
        )
        FlashSaleClaim.objects.create(sale=sale, member=member, seq=seq, coupon=coupon, at=now)
    return coupon
