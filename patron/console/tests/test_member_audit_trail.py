from __future__ import annotations

import pytest

from patron.console.selectors import member_audit_trail
from patron.core import clock
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.members.models import Member
from patron.points.models import PointsAdjustment

pytestmark = pytest.mark.django_db


def _member(shop: Shop, external_id: str) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id=external_id, registered_at=now, created_at=now, updated_at=now
    )


def _adjustment(member: Member) -> PointsAdjustment:
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="op")
    return PointsAdjustment.objects.create(
        member=member,
        points=5,
        state="rejected",
        reason="r",
        requested_by=user,
        requested_at=clock.now(),
    )


def test_member_m1_does_not_see_the_entries_of_member_m10(shop: Shop) -> None:
    # given members M1 and M10, each with an entry on their own row, an
    # adjustment whose rejection names no member, and an entry naming them
    m1, m10 = _member(shop, "M1"), _member(shop, "M10")
    for member in (m1, m10):
        audit_record(actor=None, action=f"member.change {member.external_id}", obj=member)
        audit_record(
            actor=None,
            action=f"points_adjustment.reject {member.external_id}",
            obj=_adjustment(member),
        )
        audit_record(
            actor=None,
            action=f"note {member.external_id}",
            object_type="other.thing",
            object_id="1",
            after={"member": member.external_id},
            shop=shop,
        )
    # when
    actions = sorted(e.action for e in member_audit_trail(member=m1))
    # then M1 sees exactly its own three
    assert actions == ["member.change M1", "note M1", "points_adjustment.reject M1"]
