"""Reads for the portal pages. Points, tiers, coupons and rewards come from their
apps' selectors; what is gathered here is the member's own export."""

from __future__ import annotations

from typing import Any

from patron.core import clock
from patron.core.apps import installed
from patron.members.models import Member
from patron.orders.models import Order
from patron.portal.models import MemberCredential


def _orders(member: Member) -> list[dict[str, Any]]:
    rows = []
    for order in (
        Order.objects.filter(member=member).prefetch_related("lines").order_by("placed_at")
    ):
        rows.append(
            {
                "order_id": order.external_id,
                "status": order.status,
                "currency": order.currency,
                "paid_amount_fen": order.paid_amount,
                "refunded_amount_fen": order.refunded_amount,
                "points_used": order.points_used,
                "coupon_codes": order.coupon_codes,
                "placed_at": order.placed_at,
                "paid_at": order.paid_at,
                "lines": [
                    {
                        "sku": line.sku,
                        "name": line.name,
                        "quantity": line.quantity,
                        "unit_price_fen": line.unit_price,
                        "paid_amount_fen": line.paid_amount,
                        "refunded_quantity": line.refunded_quantity,
                    }
                    for line in order.lines.all()
                ],
            }
        )
    return rows


def member_data_export(*, member: Member) -> dict[str, Any]:
    """Everything held about the member, for their personal-information request."""
    credential = MemberCredential.objects.filter(member=member).first()
    data: dict[str, Any] = {
        "exported_at": clock.now(),
        "shop": member.shop.name,
        "profile": {
            "member_id": member.external_id,
            "name": member.name,
            "phone": member.phone,
            "email": member.email,
            "birthday": member.birthday,
            "gender": member.gender,
            "language": member.language,
            "registered_at": member.registered_at,
            "registration_channel": member.registration_channel,
        },
        "consents": {
            "email": member.consent_email,
            "sms": member.consent_sms,
            "in_app": member.consent_in_app,
        },
        "portal_account": {
            "has_password": credential is not None,
            "last_sign_in": credential.last_login if credential else None,
        },
        "orders": _orders(member),
    }
    # Points, tiers, coupons and redemptions, from the apps installed.
    if installed("points"):
        from patron.points import selectors as points_selectors

        data["points"] = points_selectors.member_points_export(member)
    if installed("tiers"):
        from patron.tiers import member_selectors as tier_member_selectors

        data.update(tier_member_selectors.member_tier_export(member))
    if installed("promotions"):
        from patron.promotions import selectors as promotion_selectors

        data["coupons"] = promotion_selectors.member_coupons_export(member)
    if installed("rewards"):
        from patron.rewards import selectors as reward_selectors

        data["redemptions"] = reward_selectors.member_redemptions_export(member)
    return data


def sign_in_secret_dates(*, shop_id: int | None = None) -> dict[int, Any]:
    """When each shop's sign-in (SSO) secret was made, by shop id (not the
    secret); only ``shop_id``'s when given."""
    from patron.portal.models import ShopSignInSecret

    rows = ShopSignInSecret.objects.all()
    if shop_id is not None:
        rows = rows.filter(shop_id=shop_id)
    return dict(rows.values_list("shop_id", "created_at"))
