"""seed-demo step: messaging. Some members' preferences (changed in the
portal), the shop's webhook subscription (paused), and messages in the inbox: the
real reminder jobs run over the demo's points and coupons, and the demo
member is welcomed to their tier, one message already read.

Runs last: the reminders read the points lots and coupons the earlier steps
made, and the messages go through the outbox like any trigger's (so the
worker sends the e-mail ones when it runs).
"""

from __future__ import annotations

import secrets

from patron.core import clock
from patron.core.demo import DEMO_MEMBER_EXTERNAL_ID
from patron.demo.context import DemoContext
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.kinds import link
from patron.messaging.models import ConsentSource, Message, WebhookSubscription
from patron.points.messages import points_expiring_notify
from patron.promotions.messages import coupons_expiring_notify
from patron.tiers import selectors as tier_selectors
from patron.tiers.messages import UPGRADED

HOOK_URL = "https://shop.example.com/patron/hooks"
HOOK_TYPES = ["member.*", "points.*", "coupon.*", "reward.*"]
# Share of members who changed their preferences in the portal.
PREFERENCE_SHARE = 0.1


def step_messaging(ctx: DemoContext) -> None:
    assert ctx.shop is not None
    rng = ctx.rng("messaging")
    demo = next(m for m in ctx.members if m.external_id == DEMO_MEMBER_EXTERNAL_ID)
    # The demo member reads marketing e-mail and wants no SMS but the transactional ones.
    changed = messaging.preferences_set(
        member=demo,
        changes={("email", "marketing"): True, ("sms", "service"): False},
        source=ConsentSource.PORTAL,
        actor=demo.external_id,
    )
    others = [m for m in ctx.members if m.pk != demo.pk]
    for member in rng.sample(others, k=int(len(others) * PREFERENCE_SHARE)):
        choice = rng.choice(
            [
                {("email", "marketing"): True},
                {("sms", "marketing"): True, ("inapp", "marketing"): True},
                {("email", "transactional"): False},
            ]
        )
        changed += messaging.preferences_set(
            member=member, changes=choice, source=ConsentSource.PORTAL, actor=member.external_id
        )
    # Written directly: the service refuses a host that does not resolve, and
    # the demo shop has no server. Paused, so nothing is posted to it; an
    # operator points it at a real URL and switches it on.
    WebhookSubscription.objects.create(
        shop=ctx.shop,
        url=HOOK_URL,
        event_types=HOOK_TYPES,
        description="demo: paused; point it at your shop's server",
        active=False,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=clock.now(),
    )
    reminders = points_expiring_notify() + coupons_expiring_notify()
    _welcome(demo)
    ctx.summary["consent_changes"] = len(changed)
    ctx.summary["messages"] = Message.objects.filter(shop=ctx.shop).count()
    ctx.summary["reminders"] = reminders


def _welcome(demo: Member) -> None:
    """The demo member's tier, as the upgrade that got them there would have said it."""
    tier = tier_selectors.current_tier(demo)
    if tier is None:
        return
    name = tier.name_en if demo.language == "en" and tier.name_en else tier.name
    messaging.message_send(
        member=demo,
        kind=UPGRADED,
        cause="demo:welcome",
        context={
            "tier": name,
            "from_tier": "",
            "member_tier": name,
            "benefits_url": link("/benefits/"),
        },
    )
    first = Message.objects.filter(member=demo, channel="inapp").order_by("pk").first()
    if first is not None:
        messaging.inbox_mark_read(member=demo, message_ids=[first.pk])
