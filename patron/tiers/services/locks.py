"""The member's tier row, locked in ``core.locks``' order.

The tier row comes last in that order (after the order, the points account and
the member), so take these after ``members.services.member_lock`` /
``members_lock``, never before.
"""

from __future__ import annotations

from collections.abc import Iterable

from patron.members.models import Member
from patron.tiers.models import MemberTier


def member_tier_lock(member: Member) -> MemberTier | None:
    """The member's tier row, locked until the transaction ends (None before the
    member has one)."""
    return MemberTier.objects.select_for_update().filter(member=member).first()


def member_tiers_lock(member_ids: Iterable[int]) -> dict[int, MemberTier]:
    """These members' tier rows by member id, locked in member id order."""
    return {
        state.member_id: state
        for state in MemberTier.objects.select_for_update()
        .filter(member_id__in=list(member_ids))
        .order_by("member_id")
    }
