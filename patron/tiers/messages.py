"""What members and the shop hear about tier changes: the message kinds
(registered from ``TiersConfig.ready``) and the triggers the upgrade, the
reversal and the period evaluation call in their transactions.

Tier changes are transactional messages (the member's standing in the
programme, like an order notice): on by default, and in the inbox always.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.kinds import (
    MessageKind,
    cause_key,
    kind_register,
    link,
    plain_wording,
    same_wording,
)
from patron.messaging.models import Category, Channel
from patron.messaging.webhooks.bulk import webhooks_emit_bulk
from patron.tiers.listeners import tier_changes_announce
from patron.tiers.models import Tier

UPGRADED = "tier.upgraded"
DOWNGRADED = "tier.downgraded"
GRACE_STARTED = "tier.grace_started"
# Webhook event types (docs/messaging.md, "Triggers").
WEBHOOK_CHANGED = "member.tier_changed"
WEBHOOK_GRACE = "member.tier_grace_started"

BATCH = 2000
CHANNELS = (Channel.EMAIL, Channel.INAPP)

_VARIABLES = {
    "tier": "the tier's name in the member's language",
    "from_tier": "the tier before the change",
    "benefits_url": "the member's benefits page",
}


def register_kinds() -> None:
    channels = CHANNELS
    kind_register(
        MessageKind(
            code=UPGRADED,
            category=Category.TRANSACTIONAL,
            variables=_VARIABLES,
            channels=channels,
            defaults=same_wording(
                channels,
                zh=plain_wording(
                    "恭喜升级为{{ tier }}",
                    "{{ member.name }}，恭喜您从{{ from_tier }}升级为{{ tier }}！\n\n"
                    "查看您的新权益：{{ benefits_url }}",
                ),
                en=plain_wording(
                    "Welcome to {{ tier }}",
                    "{{ member.name }}, you have moved up from {{ from_tier }} to {{ tier }}.\n\n"
                    "See your new benefits: {{ benefits_url }}",
                ),
            ),
        )
    )
    kind_register(
        MessageKind(
            code=DOWNGRADED,
            category=Category.TRANSACTIONAL,
            variables=_VARIABLES,
            channels=channels,
            defaults=same_wording(
                channels,
                zh=plain_wording(
                    "您的会员等级已调整为{{ tier }}",
                    "{{ member.name }}，您的会员等级已由{{ from_tier }}调整为{{ tier }}。\n\n"
                    "了解如何升级：{{ benefits_url }}",
                ),
                en=plain_wording(
                    "Your tier is now {{ tier }}",
                    "{{ member.name }}, your tier has changed from {{ from_tier }} to {{ tier }}."
                    "\n\nSee how to move up again: {{ benefits_url }}",
                ),
            ),
        )
    )
    kind_register(
        MessageKind(
            code=GRACE_STARTED,
            category=Category.TRANSACTIONAL,
            variables={**_VARIABLES, "grace_until": "the last day of the grace period"},
            channels=channels,
            defaults=same_wording(
                channels,
                zh=plain_wording(
                    "保级提醒：{{ tier }}保留至{{ grace_until }}",
                    "{{ member.name }}，您本期未达到{{ tier }}的保级要求。"
                    "您的等级将保留至{{ grace_until }}，在此之前达到要求即可保级。\n\n"
                    "查看进度：{{ benefits_url }}",
                ),
                en=plain_wording(
                    "Keep your {{ tier }} tier: grace until {{ grace_until }}",
                    "{{ member.name }}, you did not reach what {{ tier }} needs this period. "
                    "You keep it until {{ grace_until }}; reach it by then to stay.\n\n"
                    "See your progress: {{ benefits_url }}",
                ),
            ),
        )
    )


def tier_name(tier: Tier | None, member: Member) -> str:
    if tier is None:
        return ""
    return tier.name_en if member.language == "en" and tier.name_en else tier.name


def _context(member: Member, from_tier: Tier | None, to_tier: Tier, **extra: Any) -> dict[str, Any]:
    return {
        "tier": tier_name(to_tier, member),
        "from_tier": tier_name(from_tier, member),
        "member_tier": tier_name(to_tier, member),
        "benefits_url": link("/benefits/"),
        **extra,
    }


def _payload(
    member: Member, from_tier: Tier | None, to_tier: Tier, direction: str, **extra: Any
) -> dict[str, Any]:
    return {
        "member": member.external_id,
        "from": from_tier.code if from_tier else None,
        "to": to_tier.code,
        "direction": direction,
        **extra,
    }


def tier_changes_notify(
    *,
    changes: Sequence[tuple[Member, Tier | None, Tier, str]],
    direction: int,
    cause: str,
) -> None:
    """Tell each (member, from tier, to tier, event id) of one shop about its
    upgrade (``direction`` 1) or downgrade (-1), in the caller's transaction.
    Members are grouped by event: the event path has one; a batch import has
    one event per member. ``cause`` prefixes the event id, so a replay of the
    same event sends nothing twice."""
    if not changes:
        return
    tier_changes_announce(changes[0][0].shop_id, (c[0].pk for c in changes))
    kind = UPGRADED if direction > 0 else DOWNGRADED
    # One bulk send per round, each member once a round with their own
    # event as the cause (a batch of events is one round, whatever its size).
    rounds: list[dict[int, tuple[Member, Tier | None, Tier, str]]] = []
    for member, from_tier, to_tier, event_id in changes:
        free = next((r for r in rounds if member.pk not in r), None)
        if free is None:
            free = {}
            rounds.append(free)
        free[member.pk] = (member, from_tier, to_tier, event_id)
    for found in rounds:

        def cause_of(member: Member, found: Mapping[int, Any] = found) -> str:
            return cause_key(cause, found[member.pk][3])

        def context_of(member: Member, found: Mapping[int, Any] = found) -> dict[str, Any]:
            return _context(member, found[member.pk][1], found[member.pk][2])

        messaging.messages_send_bulk(
            kind=kind,
            cause=cause_of,
            members=[row[0] for row in found.values()],
            context=context_of,
        )
    webhooks_emit_bulk(
        shop_id=changes[0][0].shop_id,
        event_type=WEBHOOK_CHANGED,
        events=[
            (
                cause_key(cause, event_id, member.external_id),
                _payload(member, f, t, "up" if direction > 0 else "down", event=event_id),
            )
            for member, f, t, event_id in changes
        ],
    )


def period_run_notify(
    *, shop_id: int, run_id: int, decisions: Sequence[tuple[int, int, int, str]], grace_until: Any
) -> None:
    """The period evaluation's changes (member id, from tier id, to tier id,
    action ``up``/``down``/``grace``), in batches: one query for the members
    of a batch, one bulk send per kind, one webhook insert per kind."""
    tier_changes_announce(shop_id, (d[0] for d in decisions if d[3] in ("up", "down")))
    tiers = {t.pk: t for t in Tier.objects.filter(shop_id=shop_id)}
    cause = f"tier_run:{run_id}"
    for start in range(0, len(decisions), BATCH):
        batch = decisions[start : start + BATCH]
        members = Member.objects.in_bulk([d[0] for d in batch])
        for action, kind, webhook, direction in (
            ("up", UPGRADED, WEBHOOK_CHANGED, "up"),
            ("down", DOWNGRADED, WEBHOOK_CHANGED, "down"),
            ("grace", GRACE_STARTED, WEBHOOK_GRACE, "grace"),
        ):
            rows = [(members[m], tiers.get(f), tiers[t]) for m, f, t, a in batch if a == action]
            if not rows:
                continue
            extra = {"grace_until": grace_until.isoformat()} if action == "grace" else {}
            tiers_of = {m.pk: (f, t) for m, f, t in rows}
            messaging.messages_send_bulk(
                kind=kind,
                cause=cause,
                members=[m for m, _, _ in rows],
                context=lambda m, tiers_of=tiers_of, extra=extra: _context(
                    m, *tiers_of[m.pk], **extra
                ),
            )
            webhooks_emit_bulk(
                shop_id=shop_id,
                event_type=webhook,
                events=[
                    (cause_key(cause, action, m.external_id), _payload(m, f, t, direction, **extra))
                    for m, f, t in rows
                ],
            )
