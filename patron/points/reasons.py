"""Why an entry exists, in words: a reason code plus params, rendered in zh or en.

Entries store the code and the params (never a rendered sentence), so a
wording change reaches old history too and each reader gets their language.
"""

from __future__ import annotations

from typing import Any

_TEMPLATES: dict[str, tuple[str, str]] = {
    "order_earn": ("订单 {order_id} 消费得积分（{rule}）", "Points for order {order_id} ({rule})"),
    "order_activate": ("订单 {order_id} 积分已到账", "Points for order {order_id} now available"),
    "order_redeem": ("订单 {order_id} 积分抵现", "Points used to pay for order {order_id}"),
    "order_refund": (
        "订单 {order_id} 退款，扣回积分",
        "Refund on order {order_id}: points reversed",
    ),
    "order_cancel": (
        "订单 {order_id} 取消，扣回积分",
        "Order {order_id} cancelled: points reversed",
    ),
    "points_returned": (
        "订单 {order_id} 退款，退回抵现积分",
        "Refund on order {order_id}: points used to pay returned",
    ),
    "action_earn": ("{rule}", "{rule}"),
    "signup": ("注册奖励（{rule}）", "Sign-up bonus ({rule})"),
    "profile_completed": ("完善资料奖励（{rule}）", "Profile completed ({rule})"),
    "birthday": ("生日积分（{rule}）", "Birthday points ({rule})"),
    "checkin": ("每日签到，连续 {streak} 天", "Daily check-in, day {streak} in a row"),
    "expire": ("积分过期", "Points expired"),
    "adjust": ("客服调整：{note}", "Adjusted by the service team: {note}"),
    # Points as cash at checkout (points.services.cash, promotions.services.holds)
    "checkout_hold": ("订单 {order_id} 结账预留积分", "Held at checkout for order {order_id}"),
    "checkout_capture": ("结账预留积分已用于支付", "Points held at checkout paid for the order"),
    "hold_released": ("结账预留已取消，积分退回", "Checkout hold released: points returned"),
    "hold_expired": ("结账预留超时，积分退回", "Checkout hold timed out: points returned"),
    "order_cancelled": ("订单取消，退回抵现积分", "Order cancelled: points used to pay returned"),
    "order_refunded": ("订单退款，退回抵现积分", "Refund: points used to pay returned"),
    # Rewards and tiers
    "reward_redeemed": ("兑换 {reward}", "Redeemed for {reward}"),
    "redemption_cancelled": ("兑换已取消，积分退回", "Redemption cancelled: points returned"),
    "tier_birthday_gift": ("会员等级生日礼", "Tier birthday gift"),
}
# Every reason code an entry may carry has its words here (a test holds the
# code base to it), so no history line ever shows a bare code.
REASON_CODES = frozenset(_TEMPLATES)

_SUFFIXES: dict[str, tuple[str, str]] = {
    "debt_repaid": ("（其中 {debt_repaid} 分抵还欠分）", " ({debt_repaid} repaid debt)"),
    "debt": ("（{debt} 分已使用，计为欠分）", " ({debt} already spent, recorded as debt)"),
    "forgiven": ("（{forgiven} 分已使用，不再扣回）", " ({forgiven} already spent, waived)"),
    "already_expired": (
        "（其中 {already_expired} 分已过期）",
        " ({already_expired} had already expired)",
    ),
    "capped_from": (
        "（已达上限，原为 {capped_from} 分）",
        " (capped; would have been {capped_from})",
    ),
    "streak_bonus": ("，连签奖励 {streak_bonus} 分", ", streak bonus {streak_bonus}"),
    "campaign": ("，{campaign}活动", ", {campaign}"),
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render_reason(code: str, params: dict[str, Any], language: str = "zh-hans") -> str:
    index = 1 if language.startswith("en") else 0
    template = _TEMPLATES.get(code, ("{code}", "{code}"))[index]
    values = _Lenient(params or {})
    values.setdefault("code", code)
    text = template.format_map(values)
    for key, pair in _SUFFIXES.items():
        if (params or {}).get(key):
            text += pair[index].format_map(values)
    return text
