"""Coupon codes, issuing, claiming, limits and flash sales (single connection)."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions import codes, services
from patron.promotions.models import CouponTemplate, FlashSale
from patron.promotions.tests.conftest import issue, make_member, make_template

pytestmark = pytest.mark.django_db


def test_codes_carry_a_check_character_that_catches_typos() -> None:
    code = codes.generate()
    assert len(code) == 13 and codes.is_valid(code)
    assert codes.check_character("0000000000") == "0"
    # every single-character change is caught
    for i in range(len(code)):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert not codes.is_valid(code[:i] + ch + code[i + 1 :])
    # people type O for 0 and dashes between groups
    assert codes.normalize(codes.display(code).lower().replace("0", "o")) == code


def test_fixed_dates_and_days_after_issue(shop: Shop, member: Member) -> None:
    end = clock.now() + dt.timedelta(days=10)
    fixed = issue(make_template(shop, validity_kind="fixed_dates", valid_until=end), member)
    assert (fixed.valid_from, fixed.valid_until) == (clock.now(), end)
    rolling = issue(make_template(shop, valid_days=7), member)
    assert rolling.valid_until == clock.now() + dt.timedelta(days=7)


def test_per_member_and_total_limits(shop: Shop, member: Member) -> None:
    t = make_template(shop, per_member_limit=2, total_limit=3, claimable=True)
    services.coupon_claim(shop=shop, member=member, template_code=t.code)
    services.coupon_claim(shop=shop, member=member, template_code=t.code)
    with pytest.raises(PatronError) as exc:
        services.coupon_claim(shop=shop, member=member, template_code=t.code)
    assert exc.value.code == ErrorCode.LIMIT_REACHED
    services.coupon_claim(shop=shop, member=make_member(shop), template_code=t.code)
    with pytest.raises(PatronError) as exc:
        services.coupon_claim(shop=shop, member=make_member(shop), template_code=t.code)
    assert exc.value.code == ErrorCode.SOLD_OUT
    assert CouponTemplate.objects.get(pk=t.pk).issued_count == 3


def test_claim_by_public_code_and_refusals(shop: Shop, member: Member) -> None:
    t = make_template(shop, per_member_limit=1)
    code = services.template_public_code_assign(template=t, actor=None)
    coupon = services.coupon_claim(shop=shop, member=member, public_code=codes.display(code))
    assert coupon.template_id == t.pk and coupon.source == "public_code"
    assert coupon.code != code  # the member's coupon has its own code
    with pytest.raises(PatronError) as exc:
        wrong_check = "Y" if code[-1] == "X" else "X"  # never the code's own last character
        services.coupon_claim(shop=shop, member=member, public_code=code[:-1] + wrong_check)
    assert exc.value.field == "code"
    hidden = make_template(shop)  # not claimable
    with pytest.raises(PatronError):
        services.coupon_claim(shop=shop, member=member, template_code=hidden.code)


def test_tier_restricted_claim(shop: Shop, member: Member) -> None:
    t = make_template(shop, claimable=True, tier_codes=["gold"])
    with pytest.raises(PatronError) as exc:
        services.coupon_claim(shop=shop, member=member, template_code=t.code)
    assert exc.value.detail_en == "only for gold members"


def make_sale(shop: Shop, **kw) -> FlashSale:
    now = clock.now()
    fields = {
        "name": "618 flash",
        "template": make_template(shop, amount=2000),
        "quantity": 2,
        "starts_at": now,
        "ends_at": now + dt.timedelta(hours=1),
        "per_member_limit": 1,
    }
    fields.update(kw)
    return FlashSale.objects.create(shop=shop, **fields)


def test_flash_sale_issues_exactly_its_quantity_within_its_window(
    shop: Shop, member: Member
) -> None:
    sale = make_sale(shop, starts_at=clock.now() + dt.timedelta(minutes=5))
    with pytest.raises(PatronError) as exc:
        services.flash_sale_claim(sale=sale, member=member)
    assert "not started" in exc.value.detail_en
    clock.advance(dt.timedelta(minutes=5))
    services.flash_sale_claim(sale=sale, member=member)
    with pytest.raises(PatronError) as exc:
        services.flash_sale_claim(sale=sale, member=member)
    assert exc.value.code == ErrorCode.LIMIT_REACHED
    services.flash_sale_claim(sale=sale, member=make_member(shop))
    with pytest.raises(PatronError) as exc:
        services.flash_sale_claim(sale=sale, member=make_member(shop))
    assert exc.value.code == ErrorCode.SOLD_OUT
    sale.refresh_from_db()
    assert sale.claimed_count == 2 and sale.claims.count() == 2
    clock.advance(dt.timedelta(hours=1))
    with pytest.raises(PatronError) as exc:
        services.flash_sale_claim(sale=sale, member=make_member(shop))
    assert "ended" in exc.value.detail_en


def test_revoking_an_unused_coupon_gives_its_issue_back(shop: Shop, member: Member) -> None:
    # Given a template with two coupons in all and one per member, both issued
    template = make_template(shop, per_member_limit=1, total_limit=2)
    other = make_member(shop, "M2")
    first = issue(template, member)
    issue(template, other)
    with pytest.raises(PatronError) as exc:
        issue(template, make_member(shop, "M3"))
    assert exc.value.code == ErrorCode.SOLD_OUT

    # When the member's unused coupon is revoked (twice: the second does nothing)
    assert services.coupon_revoke(coupon=first, actor=None) is True
    assert services.coupon_revoke(coupon=first, actor=None) is False

    # Then its issue is back: one more coupon may go out, and the member may have it
    template.refresh_from_db()
    assert template.issued_count == 1
    again = issue(template, member)
    assert again.status == "available"
    template.refresh_from_db()
    assert template.issued_count == 2
    with pytest.raises(PatronError) as exc:
        issue(template, member)
    assert exc.value.code == ErrorCode.LIMIT_REACHED
    with pytest.raises(PatronError) as exc:
        issue(template, make_member(shop, "M4"))
    assert exc.value.code == ErrorCode.SOLD_OUT
    template.refresh_from_db()
    assert template.issued_count == 2


def test_revoking_a_used_coupon_changes_nothing(shop: Shop, member: Member) -> None:
    template = make_template(shop, total_limit=1)
    coupon = issue(template, member)
    type(coupon).objects.filter(pk=coupon.pk).update(status="used")
    assert services.coupon_revoke(coupon=coupon, actor=None) is False
    template.refresh_from_db()
    assert template.issued_count == 1
