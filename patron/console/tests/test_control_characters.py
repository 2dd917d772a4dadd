"""Console forms and the console API refuse control characters in text (a
form message; 422 problem+json naming the field), and change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.members.models import Member
from patron.points.models import PointsAdjustment

pytestmark = pytest.mark.django_db


def test_an_adjustment_reason_with_nul_is_a_form_message(as_role: Any, member: Member):
    client = as_role("admin")
    client.cookies["django_language"] = "en"

    response = client.post(
        f"/console/members/{member.pk}/adjust-points/", {"points": "10", "reason": "good\x00will"}
    )

    assert response.status_code == 422
    assert "Remove the control characters" in response.content.decode()
    assert not PointsAdjustment.objects.exists()


def test_the_console_api_answers_422_problem_json_naming_the_field(as_role: Any, member: Member):
    client = as_role("admin")

    response = client.post(
        f"/console/api/members/{member.pk}/points-adjustments",
        json.dumps({"points": 10, "reason": "good\x1bwill"}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("validation_error", "reason")
    assert not PointsAdjustment.objects.exists()


def test_a_decision_note_with_a_control_character_changes_nothing(
    as_role: Any, operators: Any, member: Member
):
    from patron.points import services as points_services
    from patron.points.models import AdjustmentState

    big = points_services.points_program_get(member.shop).approval_threshold + 1
    adjustment = points_services.adjustment_request(
        member=member, points=big, reason="goodwill", actor=operators["marketing"]
    )
    assert adjustment.state == AdjustmentState.AWAITING_APPROVAL
    client = as_role("finance")

    response = client.post(
        f"/console/approvals/adjustment/{adjustment.pk}/", {"decision": "reject", "note": "no\x00"}
    )

    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.state == AdjustmentState.AWAITING_APPROVAL
