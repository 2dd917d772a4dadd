"""The batch endpoint's set-based lane for plain ``order.paid`` events.

A batch of paid orders is most of what a shop sends when it catches up. Run
one by one, each event costs some twenty statements; here the plain ones share
a dozen for the whole batch: the events, orders, lines, history, lots, entries,
line attribution, growth and balances are written with one statement per
table. Everything else in the batch goes through the per-event pipeline
(``events.services``) afterwards.

An event takes this lane only when its effects cannot depend on another event
of the batch or need a per-event read: it is its member's first event in the
batch (the member's later events run afterwards, in order, as they would
anyway); its event id is new and unique in the batch; its order id is new and
appears in no earlier event and in no other member's; nothing of it was paid
with points or names a coupon; its order has no checkout hold; the order-earning rules in force
have no caps; the shop's tier programme exists and qualifies by growth value.
The lane writes what the pipeline would write and answers with the same
result, which ``tests/test_bulk.py`` checks by running the same random
batches both ways. A concurrent request that takes one of the
ids first fails the lane's savepoint; its events then go the per-event way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from pydantic import BaseModel

from patron.core import clock, config_cache
from patron.core.bulk import bulk_set
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events.models import Event
from patron.events.schemas import EventIn, OrderPaidData
from patron.events.services import event_validate, payload_hash
from patron.members.models import Member
from patron.members.services import members_lock
from patron.orders import services as order_services
from patron.orders.handlers import order_recorded_effect, paid_order_input
from patron.orders.models import Order
from patron.points.services import earn
from patron.points.services.ledger import accounts_lock
from patron.promotions.services.holds import orders_with_holds
from patron.tiers import selectors as tier_selectors
from patron.tiers.models import QualifyingMeasure, TierProgram
from patron.tiers.services.growth import orders_paid_progress

Valid = dict[int, tuple[EventIn, BaseModel]]


@dataclass
class _Paid:
    index: int
    envelope: EventIn
    data: OrderPaidData
    order_input: order_services.PaidOrderInput


def validated(raws: list[Any]) -> Valid:
    """Each event of the batch that passes validation, by index, as the
    pipeline will see it (ids stripped). The others are refused and change
    nothing, wherever they stand."""
    valid: Valid = {}
    for index, raw in enumerate(raws):
        try:
            valid[index] = event_validate(raw)
        except PatronError:
            continue
    return valid


def _plain(shop: Shop, valid: Valid) -> list[_Paid]:
    """The batch's order.paid events that pass the checks needing no query:
    each is its member's first event in the batch, its event id is unique in
    the batch, and its order id appears in no earlier event and in no event of
    another member (a later event of the same member may ship, complete or
    refund it: that runs afterwards, in order, as it would anyway)."""
    first_of_member: dict[str, int] = {}
    event_ids: Counter[str] = Counter()
    order_uses: dict[str, list[tuple[int, str]]] = {}
    for index, (envelope, data) in valid.items():
        first_of_member.setdefault(envelope.member, index)
        event_ids[envelope.id] += 1
        order_id = getattr(data, "order_id", None)
        if isinstance(order_id, str):
            order_uses.setdefault(order_id, []).append((index, envelope.member))
    found: list[_Paid] = []
    for index, (envelope, data) in valid.items():
        if not isinstance(data, OrderPaidData):
            continue
        if first_of_member[envelope.member] != index or event_ids[envelope.id] != 1:
            continue
        if any(i < index or m != envelope.member for i, m in order_uses[data.order_id]):
            continue
        if data.points_used or data.points_amount or data.coupon_codes:
            continue  # paid with points or coupons: the per-event path settles them
        order_input = paid_order_input(data)
        if order_services.paid_order_problem(shop, order_input) is not None:
            continue
        found.append(_Paid(index, envelope, data, order_input))
    return found


def _eligible(shop: Shop, paid: list[_Paid]) -> list[tuple[_Paid, Member]]:
    """Those of ``paid`` whose member exists and whose ids and order are new,
    with their member."""
    if not paid:
        return []
    taken = set(
        Event.objects.filter(shop=shop, external_id__in=[p.envelope.id for p in paid]).values_list(
            "external_id", flat=True
        )
    )
    members = {
        m.external_id: m
        for m in Member.objects.filter(shop=shop, external_id__in=[p.envelope.member for p in paid])
    }
    order_ids = [p.data.order_id for p in paid]
    known_orders = set(
        Order.objects.filter(shop=shop, external_id__in=order_ids).values_list(
            "external_id", flat=True
        )
    )
    held = orders_with_holds(shop, order_ids)
    out: list[tuple[_Paid, Member]] = []
    for p in paid:
        member = members.get(p.envelope.member)
        if member is None or p.envelope.id in taken:
            continue
        if p.data.order_id in known_orders or p.data.order_id in held:
            continue
        if earn.order_rules_capped(shop=shop, at=p.envelope.occurred_at):
            continue
        member.shop = shop
        out.append((p, member))
    return out


def lock_members_of(*, shop: Shop, valid: Valid) -> None:
    """Lock the points accounts, then the member rows, of every known member
    the batch's valid events name, each in id order: the order the lane and
    the pipeline take them in. Concurrent batches that share members then
    queue behind one another instead of deadlocking halfway (which
    ``core.conflicts`` would still recover from, by running a whole batch
    again)."""
    external_ids = {envelope.member for envelope, _ in valid.values()}
    member_ids = list(
        Member.objects.filter(shop=shop, external_id__in=external_ids).values_list("pk", flat=True)
    )
    if member_ids:
        accounts_lock(shop_id=shop.pk, member_ids=member_ids, create=False)
        members_lock(member_ids)


def paid_lane(*, shop: Shop, valid: Valid) -> dict[int, dict[str, Any]]:
    """Apply the batch's plain order.paid events together, in the caller's
    transaction. Answers by batch index; the events not answered are left for
    the per-event path."""
    if not settings.PATRON_BATCH_PAID_LANE:
        return {}
    with config_cache.scope():
        program = tier_selectors.tier_program_get(shop)
        if program.pk is None or program.qualifying_measure == QualifyingMeasure.LIFETIME_POINTS:
            return {}
        paid = _eligible(shop, _plain(shop, valid))
        if not paid:
            return {}
        try:
            with transaction.atomic():
                return _apply(shop, program, paid)
        except IntegrityError:
            return {}  # an id was taken meanwhile: the per-event path sorts it out


def _apply(
    shop: Shop, program: TierProgram, paid: list[tuple[_Paid, Member]]
) -> dict[int, dict[str, Any]]:
    now = clock.now()
    events = Event.objects.bulk_create(
        Event(
            shop=shop,
            external_id=p.envelope.id,
            type=p.envelope.type,
            member_external_id=p.envelope.member,
            occurred_at=p.envelope.occurred_at,
            received_at=now,
            payload_hash=payload_hash(p.envelope),
            payload=p.envelope.model_dump(mode="json"),
        )
        for p, _ in paid
    )
    orders = order_services.order_record_paid_many(
        shop=shop,
        rows=[
            order_services.PaidOrderRow(
                member=m, data=p.order_input, at=p.envelope.occurred_at, event_id=p.envelope.id
            )
            for p, m in paid
        ],
    )
    tiers = tier_selectors.members_tiers(shop.pk, [m.pk for _, m in paid])
    points = earn.order_earn_many(
        shop=shop,
        items=[
            earn.OrderToEarn(
                order=o,
                member=m,
                event=e,
                tier=tier_selectors.tier_code_and_multiplier(tiers[m.pk]),
            )
            for o, (_, m), e in zip(orders, paid, events, strict=True)
        ],
    )
    growth = orders_paid_progress(
        program=program,
        tiers=tier_selectors.active_tiers(shop),
        paid=[(m, o, p.envelope.id) for (p, m), o in zip(paid, orders, strict=True)],
    )
    answers: dict[int, dict[str, Any]] = {}
    for (p, member), event, order in zip(paid, events, orders, strict=True):
        event.result = {
            "id": p.envelope.id,
            "type": p.envelope.type,
            "member": p.envelope.member,
            "effects": [
                order_recorded_effect(order),
                *points.get(order.pk, []),
                *growth.get(member.pk, []),
            ],
        }
        answers[p.index] = {
            "index": p.index,
            "id": p.envelope.id,
            "status": "applied",
            "replayed": False,
            "result": event.result,
        }
    bulk_set(events, ["result"])
    return answers
