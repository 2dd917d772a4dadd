"""Compensation (补偿): an agent grants a member points or a coupon on a
ticket, with a reason. Up to the agent's limit per grant it applies at once;
above it, it waits for a lead of the ticket's team (never the requester:
four eyes) in the console's approval queue. Each agent and each team has a
monthly budget; a grant that would overrun either is refused. Grants still
waiting count against the budgets, so approvals cannot overrun them.

Points land in the member's points history (reason "adjusted by the
service team"), coupons in their wallet; every step in the audit log and on
the ticket's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.points.models import EntryKind as PointsEntryKind
from patron.points.services.ledger import (
    Refs,
    account_lock,
    do_credit,
    expiry_for,
    points_program_get,
)
from patron.promotions.models import CouponSource, CouponTemplate, CouponType
from patron.promotions.services import coupon_issue
from patron.service.models import (
    AgentCompensation,
    AgentProfile,
    Compensation,
    CompensationKind,
    CompensationSettings,
    CompensationState,
    EntryKind,
    Team,
    TeamCompensation,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketEntry,
)
from patron.service.services.tickets import _text

CS = CompensationState
Actor = User | AnonymousUser | None
MAX_POINTS = 1_000_000
COUNTED = (CS.AWAITING, CS.APPLIED)


def compensation_settings(shop: Shop | int) -> CompensationSettings:
    shop_id = shop.pk if isinstance(shop, Shop) else shop
    return CompensationSettings.objects.filter(shop_id=shop_id).first() or CompensationSettings(
        shop_id=shop_id
    )


def month_start(at: dt.datetime | None = None) -> dt.datetime:
    """The first instant of the current month, in the shop's time zone."""
    local = timezone.localtime(at or clock.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _leads(agent: AgentProfile, team_id: int | None) -> bool:
    return (
        team_id is not None
        and TeamMembership.objects.filter(agent=agent, team_id=team_id, role=TeamRole.LEAD).exists()
    )


def grant_limit(agent: AgentProfile, kind: str, team_id: int | None) -> int:
    """What one grant by ``agent`` may be without approval: their own limit,
    else their role's (a lead of the ticket's team has the lead's)."""
    own = AgentCompensation.objects.filter(agent=agent).first()
    mine = None if own is None else (own.points_limit if kind == "points" else own.coupon_limit)
    if mine is not None:
        return mine
    shop = compensation_settings(agent.shop_id)
    lead = _leads(agent, team_id)
    if kind == CompensationKind.POINTS:
        return shop.lead_points_limit if lead else shop.agent_points_limit
    return shop.lead_coupon_limit if lead else shop.agent_coupon_limit


@dataclass(frozen=True)
class Budget:
    budget: int
    used: int

    @property
    def left(self) -> int:
        return max(0, self.budget - self.used)


def _budget(
    *, own: Any, default_points: int, default_coupon: int, kind: str, spent: Any, at: Any
) -> Budget:
    """The month's budget of ``kind`` (the agent's or team's own figure, else
    the shop's default) and what ``spent`` (their compensations) used of it."""
    points = kind == CompensationKind.POINTS
    mine = (own.monthly_points if points else own.monthly_coupon) if own else None
    budget = (default_points if points else default_coupon) if mine is None else mine
    used = spent.filter(kind=kind, state__in=COUNTED, requested_at__gte=month_start(at)).aggregate(
        s=Sum("value")
    )["s"]
    return Budget(budget=budget, used=used or 0)


def agent_budget(agent: AgentProfile, kind: str, at: dt.datetime | None = None) -> Budget:
    shop = compensation_settings(agent.shop_id)
    return _budget(
        own=AgentCompensation.objects.filter(agent=agent).first(),
        default_points=shop.agent_monthly_points,
        default_coupon=shop.agent_monthly_coupon,
        kind=kind,
        spent=Compensation.objects.filter(agent=agent),
        at=at,
    )


def team_budget(team: Team, kind: str, at: dt.datetime | None = None) -> Budget:
    shop = compensation_settings(team.shop_id)
    return _budget(
        own=TeamCompensation.objects.filter(team=team).first(),
        default_points=shop.team_monthly_points,
        default_coupon=shop.team_monthly_coupon,
        kind=kind,
        spent=Compensation.objects.filter(team=team),
        at=at,
    )


def coupon_value(template: CouponTemplate) -> int:
    """A coupon's face value in fen: its amount off, or a percentage
    coupon's cap; 0 when it has none (it cannot be budgeted)."""
    if template.type in (CouponType.FIXED, CouponType.THRESHOLD):
        return int(template.amount)
    if template.type == CouponType.PERCENT:
        return int(template.max_discount)
    return 0


def _may_work(agent: AgentProfile, ticket: Ticket) -> bool:
    if ticket.assignee_id == agent.pk:
        return True
    if ticket.team_id is None:
        return False
    return TeamMembership.objects.filter(agent=agent, team_id=ticket.team_id).exists()


def _timeline(comp: Compensation, action: str, by: AgentProfile | None) -> None:
    TicketEntry.objects.create(
        shop_id=comp.shop_id,
        ticket_id=comp.ticket_id,
        kind=EntryKind.ACTION,
        channel=comp.ticket.channel,
        author=by,
        body=comp.reason,
        data={
            "action": action,
            "compensation": comp.pk,
            "kind": comp.kind,
            "points": comp.points,
            "coupon_template": comp.coupon_template.code if comp.coupon_template else None,
        },
        created_at=clock.now(),
    )


def _apply(comp: Compensation) -> None:
    if comp.kind == CompensationKind.POINTS:
        account = account_lock(member=comp.member)
        entry, _lot = do_credit(
            account,
            points=comp.points,
            kind=PointsEntryKind.ADJUST,
            expires_at=expiry_for(points_program_get(comp.member.shop), clock.now()),
            refs=Refs(
                reason_code="adjust",
                reason_params={"note": comp.reason, "compensation_id": comp.pk},
                operator=comp.agent.user,
                idempotency_key=f"compensation:{comp.pk}",
            ),
        )
        comp.ledger_entry = entry
    else:
        assert comp.coupon_template is not None
        comp.coupon = coupon_issue(
            template=comp.coupon_template,
            member=comp.member,
            source=CouponSource.OPERATOR,
            source_ref=f"compensation:{comp.pk}",
            check_member_limit=False,
        )
    comp.state = CS.APPLIED


@transaction.atomic
def compensation_grant(
    *,
    ticket: Ticket,
    agent: AgentProfile,
    kind: str,
    reason: str,
    points: int = 0,
    coupon_template: CouponTemplate | None = None,
    actor: Actor = None,
) -> Compensation:
    """Grant the ticket's member ``points`` or a coupon of ``coupon_template``.

    Refused (naming the field, nothing saved) without a reason, with points
    out of range or a coupon without a face value, on a ticket without a
    member or not the agent's, and when the agent's or the team's monthly
    budget would be overrun. Above the agent's limit it waits for a lead."""
    require_perm(actor, "service.work_ticket", shop=ticket.shop_id, what="compensate members")
    if kind not in CompensationKind.values:
        raise validation_error("kind", _("must be points or coupon"))
    reason = _text("reason", reason, limit=500)
    if agent.shop_id != ticket.shop_id or not _may_work(agent, ticket):
        raise PatronError(
            ErrorCode.FORBIDDEN, _("not an agent of this ticket's team"), field="ticket"
        )
    if ticket.member_id is None:
        raise validation_error("ticket", _("the ticket is not linked to a member yet"))
    field = "points" if kind == CompensationKind.POINTS else "coupon_template"
    if kind == CompensationKind.POINTS:
        if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_POINTS:
            raise validation_error(
                "points",
                lazy_format(_("must be a whole number from 1 to %(max)d"), max=MAX_POINTS),
            )
        value, coupon_template = points, None
    else:
        if coupon_template is None or coupon_template.shop_id != ticket.shop_id:
            raise validation_error("coupon_template", _("choose one of the shop's coupons"))
        if not coupon_template.active:
            raise validation_error("coupon_template", _("this coupon is no longer offered"))
        value, points = coupon_value(coupon_template), 0
        if value <= 0:
            raise validation_error(
                "coupon_template", _("a coupon without a face value cannot be granted here")
            )
    # The agent's row is locked so two grants at once cannot both fit the budget.
    AgentProfile.objects.select_for_update().filter(pk=agent.pk).first()
    if ticket.team_id is not None:
        Team.objects.select_for_update().filter(pk=ticket.team_id).first()
    mine = agent_budget(agent, kind)
    if value > mine.left:
        raise PatronError(
            ErrorCode.LIMIT_REACHED,
            lazy_format(
                _("your monthly budget has %(left)d left of %(budget)d"),
                left=mine.left,
                budget=mine.budget,
            ),
            field=field,
        )
    if ticket.team is not None:
        theirs = team_budget(ticket.team, kind)
        if value > theirs.left:
            raise PatronError(
                ErrorCode.LIMIT_REACHED,
                lazy_format(
                    _("the team's monthly budget has %(left)d left of %(budget)d"),
                    left=theirs.left,
                    budget=theirs.budget,
                ),
                field=field,
            )
    needs_approval = value > grant_limit(agent, kind, ticket.team_id)
    comp = Compensation.objects.create(
        shop_id=ticket.shop_id,
        ticket=ticket,
        member_id=ticket.member_id,
        agent=agent,
        team_id=ticket.team_id,
        kind=kind,
        points=points,
        coupon_template=coupon_template,
        value=value,
        reason=reason,
        state=CS.AWAITING,
        requested_at=clock.now(),
    )
    if not needs_approval:
        _apply(comp)
        comp.save()
    _timeline(
        comp, "compensation.granted" if not needs_approval else "compensation.requested", agent
    )
    audit_record(
        actor=actor,
        action="service.compensation_grant"
        if not needs_approval
        else "service.compensation_request",
        obj=comp,
        after={
            "member": comp.member.external_id,
            "kind": kind,
            "value": value,
            "state": comp.state,
        },
        reason=reason,
        shop=ticket.shop_id,
    )
    return comp


def _decide(comp: Compensation, actor: User) -> tuple[Compensation, AgentProfile | None]:
    locked = (
        Compensation.objects.select_for_update(of=("self",))
        .select_related("member__shop", "agent__user", "ticket", "coupon_template")
        .get(pk=comp.pk)
    )
    require_perm(actor, "service.lead_team", shop=locked.shop_id, what="approve compensation")
    if locked.state != CS.AWAITING:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(_("this compensation is already %(state)s"), state=locked.state),
            field="state",
        )
    if locked.agent.user_id == actor.pk:
        raise PatronError(
            ErrorCode.FORBIDDEN, _("a second operator must decide on your own request"), status=403
        )
    lead = AgentProfile.objects.filter(shop_id=locked.shop_id, user_id=actor.pk).first()
    if locked.team_id is not None and (lead is None or not _leads(lead, locked.team_id)):
        raise PatronError(
            ErrorCode.FORBIDDEN, _("only a lead of the ticket's team decides"), status=403
        )
    return locked, lead


@transaction.atomic
def compensation_approve(*, compensation: Compensation, actor: User) -> Compensation:
    locked, lead = _decide(compensation, actor)
    _apply(locked)
    locked.decided_by, locked.decided_at = actor, clock.now()
    locked.save()
    _timeline(locked, "compensation.approved", lead)
    audit_record(
        actor=actor,
        action="service.compensation_approve",
        obj=locked,
        after={"member": locked.member.external_id, "kind": locked.kind, "value": locked.value},
        reason=locked.reason,
        shop=locked.shop_id,
    )
    return locked


@transaction.atomic
def compensation_reject(*, compensation: Compensation, actor: User, note: str = "") -> Compensation:
    locked, lead = _decide(compensation, actor)
    locked.state = CS.REJECTED
    locked.decided_by, locked.decided_at = actor, clock.now()
    locked.save()
    _timeline(locked, "compensation.rejected", lead)
    audit_record(
        actor=actor,
        action="service.compensation_reject",
        obj=locked,
        after={"member": locked.member.external_id, "value": locked.value},
        reason=note,
        shop=locked.shop_id,
    )
    return locked
