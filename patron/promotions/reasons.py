"""Why a coupon (or points) cannot be used, in words a member understands.

Each reason is a stable machine code plus the sentence in both languages the
programme speaks, so the shop can show it as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from patron.core.errors import ErrorCode
from patron.core.money import format_money


@dataclass(frozen=True)
class Reason:
    # The same code a refused reserve answers at the top level of its problem.
    code: ErrorCode
    zh_hans: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": {"zh-Hans": self.zh_hans, "en": self.en}}


def _day(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def not_found() -> Reason:
    return Reason(
        ErrorCode.NOT_FOUND, "券码无效，请检查后重新输入", "This coupon code is not valid"
    )


def not_yours() -> Reason:
    return Reason(
        ErrorCode.NOT_YOURS, "这张优惠券不属于您的账户", "This coupon belongs to another account"
    )


def used() -> Reason:
    return Reason(ErrorCode.USED, "这张优惠券已经使用过了", "This coupon has already been used")


def held() -> Reason:
    return Reason(
        ErrorCode.HELD,
        "这张优惠券正被另一笔未支付的订单占用",
        "This coupon is reserved for another order that has not been paid yet",
    )


def revoked() -> Reason:
    return Reason(ErrorCode.REVOKED, "这张优惠券已失效", "This coupon has been withdrawn")


def expired(until: dt.datetime) -> Reason:
    return Reason(
        ErrorCode.EXPIRED,
        f"这张优惠券已于 {_day(until)} 过期",
        f"This coupon expired on {_day(until)}",
    )


def not_started(start: dt.datetime) -> Reason:
    return Reason(
        ErrorCode.NOT_STARTED,
        f"这张优惠券 {_day(start)} 起才能使用",
        f"This coupon can be used from {_day(start)}",
    )


def inactive() -> Reason:
    return Reason(ErrorCode.INACTIVE, "该优惠活动已结束", "This promotion has ended")


def tier(names: tuple[list[str], list[str]]) -> Reason:
    zh, en = names
    return Reason(ErrorCode.TIER, f"仅限{'、'.join(zh)}使用", f"Only for {', '.join(en)} members")


def new_members_only() -> Reason:
    return Reason(
        ErrorCode.NEW_MEMBERS_ONLY,
        "仅限新会员首单使用",
        "Only for a new member's first order",
    )


def scope() -> Reason:
    return Reason(
        ErrorCode.SCOPE,
        "购物车中没有这张优惠券适用的商品",
        "None of the items in your cart are eligible for this coupon",
    )


def threshold(base: int, needed: int, currency: str) -> Reason:
    short = format_money(needed - base, currency)
    need = format_money(needed, currency)
    return Reason(
        ErrorCode.THRESHOLD,
        f"适用商品满{need}可用，还差{short}",
        f"Spend {short} more on eligible items to use it (minimum {need})",
    )


def no_shipping() -> Reason:
    return Reason(ErrorCode.NO_SHIPPING, "本单无需运费", "This order has no shipping fee")


def nothing_left() -> Reason:
    return Reason(
        ErrorCode.NOTHING_LEFT,
        "其他优惠后适用商品已无可减金额",
        "Other discounts already cover the eligible items",
    )


def budget() -> Reason:
    return Reason(
        ErrorCode.BUDGET, "该优惠活动的预算已用完", "This promotion has run out of budget"
    )


def not_combinable(other_name: str) -> Reason:
    return Reason(
        ErrorCode.NOT_COMBINABLE,
        f"不能与「{other_name}」同时使用",
        f"Cannot be combined with “{other_name}”",
    )


def points_not_with_coupons() -> Reason:
    return Reason(
        ErrorCode.POINTS_NOT_WITH_COUPONS,
        "使用优惠券时不能同时使用积分抵现",
        "Points cannot be used together with coupons on this order",
    )


def points_below_minimum(minimum: int) -> Reason:
    return Reason(
        ErrorCode.POINTS_BELOW_MINIMUM,
        f"满{minimum}积分才能抵现",
        f"At least {minimum} points are needed to pay with points",
    )


def points_capped(points: int) -> Reason:
    return Reason(
        ErrorCode.POINTS_CAPPED,
        f"本单最多可用{points}积分",
        f"At most {points} points can be used on this order",
    )


def points_trimmed(wanted: int, used: int) -> Reason:
    return Reason(
        ErrorCode.POINTS_TRIMMED,
        f"{wanted}积分与{used}积分抵扣金额相同，请使用{used}积分",
        f"{wanted} points are worth no more than {used} at this rate: use {used}",
    )


def points_disabled() -> Reason:
    return Reason(
        ErrorCode.POINTS_DISABLED, "暂不支持积分抵现", "Paying with points is not available"
    )
