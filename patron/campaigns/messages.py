"""What members and the shop hear when the birthday gift is handed out: the
message kind (registered from ``CampaignsConfig.ready``) and its trigger,
called where the gift is delivered. Transactional: it tells the member about
points and a coupon they now hold (docs/messaging.md, "Triggers"); keyed by
the gift, which is once per member and year."""

from __future__ import annotations

from patron.messaging import services as messaging
from patron.messaging.kinds import MessageKind, kind_register, link, plain_wording, same_wording
from patron.messaging.models import Category, Channel
from patron.promotions.models import Coupon
from patron.tiers.models import TierGift

BIRTHDAY_GIFT = "birthday.gift"
WEBHOOK_BIRTHDAY_GIFT = "member.birthday_gift"
CHANNELS = (Channel.EMAIL, Channel.INAPP)


def register_kinds() -> None:
    kind_register(
        MessageKind(
            code=BIRTHDAY_GIFT,
            category=Category.TRANSACTIONAL,
            variables={
                "points": "the gift's points (0 if none)",
                "coupon": "the gift coupon's name (empty if none)",
                "tier": "the tier whose gift it is",
                "benefits_url": "the member's benefits page",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "生日快乐，{{ member.name }}！",
                    "{{ member.name }}，{{ shop.name }}祝您生日快乐！作为{{ tier }}会员，"
                    "{% if points %}我们已为您送上{{ points }}积分{% endif %}"
                    "{% if points and coupon %}和{% endif %}"
                    "{% if coupon %}一张「{{ coupon }}」{% endif %}。\n\n"
                    "查看权益：{{ benefits_url }}",
                ),
                en=plain_wording(
                    "Happy birthday, {{ member.name }}!",
                    "Happy birthday from {{ shop.name }}! As a {{ tier }} member you get "
                    "{% if points %}{{ points }} points{% endif %}"
                    "{% if points and coupon %} and {% endif %}"
                    "{% if coupon %}a coupon: {{ coupon }}{% endif %}.\n\n"
                    "See your benefits: {{ benefits_url }}",
                ),
            ),
        )
    )


def birthday_gift_notify(gift: TierGift, coupon: Coupon | None) -> None:
    """In the gift's transaction: the member's message and the shop's webhook."""
    member, tier = gift.member, gift.tier
    key = f"tier_gift:{gift.pk}"
    tier_name = tier.name_en if member.language == "en" and tier.name_en else tier.name
    messaging.member_notify(
        member=member,
        kind=BIRTHDAY_GIFT,
        cause=key,
        context={
            "points": int(gift.points),
            "coupon": coupon.template.name if coupon else "",
            "tier": tier_name,
            "member_tier": tier_name,
            "benefits_url": link("/benefits/"),
        },
        event_type=WEBHOOK_BIRTHDAY_GIFT,
        payload={
            "member": member.external_id,
            "year": gift.year,
            "tier": tier.code,
            "points": int(gift.points),
            "coupon": coupon.code if coupon else None,
        },
    )
