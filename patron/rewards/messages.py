"""What members and the shop hear when a reward is redeemed: the message
kind (registered from ``RewardsConfig.ready``) and its trigger, called in the
redemption's transaction. Transactional: it confirms points the member spent
(docs/messaging.md, "Triggers")."""

from __future__ import annotations

from patron.messaging import services as messaging
from patron.messaging.kinds import MessageKind, kind_register, link, plain_wording, same_wording
from patron.messaging.models import Category, Channel
from patron.rewards.models import Redemption

REDEEMED = "reward.redeemed"
WEBHOOK_REDEEMED = "reward.redeemed"
CHANNELS = (Channel.EMAIL, Channel.INAPP)


def register_kinds() -> None:
    kind_register(
        MessageKind(
            code=REDEEMED,
            category=Category.TRANSACTIONAL,
            variables={
                "reward": "the reward's name",
                "points": "the points it cost",
                "redemptions_url": "the member's redemptions",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "兑换成功：{{ reward }}",
                    "{{ member.name }}，您已使用{{ points }}积分兑换「{{ reward }}」。\n\n"
                    "查看兑换记录：{{ redemptions_url }}",
                ),
                en=plain_wording(
                    "You redeemed {{ reward }}",
                    "{{ member.name }}, you redeemed {{ reward }} for {{ points }} points.\n\n"
                    "See your redemptions: {{ redemptions_url }}",
                ),
            ),
        )
    )


def redemption_notify(redemption: Redemption) -> None:
    """The member's confirmation and the shop's webhook, keyed by the
    redemption (a replayed request finds the first and places nothing)."""
    member, reward = redemption.member, redemption.reward
    key = f"redemption:{redemption.pk}"
    messaging.member_notify(
        member=member,
        kind=REDEEMED,
        cause=key,
        context={
            "reward": reward.name,
            "points": redemption.points,
            "redemptions_url": link("/redemptions/"),
        },
        event_type=WEBHOOK_REDEEMED,
        payload={
            "member": member.external_id,
            "redemption": redemption.pk,
            "request_id": redemption.request_id,
            "reward": reward.pk,
            "reward_name": reward.name,
            "points": redemption.points,
            "status": redemption.status,
            "coupon": redemption.coupon.code if redemption.coupon else None,
        },
    )
