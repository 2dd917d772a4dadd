"""The portal's step of ``patron seed-demo``: the demo member gets a portal password."""

from __future__ import annotations

from typing import Any

from patron.core.demo import DEMO_MEMBER_EXTERNAL_ID, DEMO_PASSWORD
from patron.members.models import Member
from patron.portal import services


def step_portal(ctx: Any) -> None:
    member = Member.objects.filter(shop=ctx.shop, external_id=DEMO_MEMBER_EXTERNAL_ID).first()
    if member is None:
        return
    services.credential_set_password(member=member, raw_password=DEMO_PASSWORD)
    services.sign_in_secret_rotate(shop=ctx.shop)
    ctx.summary["portal_passwords"] = 1
