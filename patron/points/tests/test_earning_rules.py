"""Earning rules: exact points for every rule type, caps, conditions, versions."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.events import services as event_services
from patron.events.models import Event
from patron.members.models import Member
from patron.points import earning_rules
from patron.points.models import LedgerEntry, LineEarning, PointsAccount
from patron.points.reasons import render_reason
from patron.points.tests.conftest import effects, make_rule
from patron.rules import services as rule_services
from patron.rules.models import EarningRule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def account(member):
    return PointsAccount.objects.get(member=member)


def test_order_points_per_yuan_round_down_and_exclude_shipping(shop, member, send):
    # Given 1 point per yuan
    make_rule(shop, points_per_yuan=1)
    # When a ¥99.99 item ships for ¥10
    result = send.paid("O1", [("A", 1, 9999)], shipping_fee=1000)
    # Then only goods count, and 99.99 rounds down to 99, pending
    assert effects(result, "points.earned")[0]["points"] == 99
    acc = account(member)
    assert (acc.available, acc.pending, acc.lifetime_earned) == (0, 99, 99)


def test_order_total_rounds_once_not_per_line(shop, member, send):
    # Given 1 point per yuan and two lines of ¥0.50 each
    make_rule(shop, points_per_yuan=1)
    # When paid
    result = send.paid("O1", [("A", 1, 50), ("B", 1, 50)])
    # Then ¥1 earns 1 point (per-line rounding would give 0), attributed to one line
    assert effects(result, "points.earned")[0]["points"] == 1
    assert sorted(LineEarning.objects.values_list("points", flat=True)) == [1]


def test_minimum_order_amount(shop, member, send):
    make_rule(shop, points_per_yuan=1, min_order_amount=10000)
    assert effects(send.paid("O1", [("A", 1, 9999)]), "points.earned") == []
    assert effects(send.paid("O2", [("A", 1, 10000)]), "points.earned")[0]["points"] == 100


def test_category_and_sku_multipliers_with_line_attribution(shop, member, send):
    make_rule(
        shop,
        points_per_yuan=1,
        category_multipliers={"shoes": 200},
        sku_multipliers={"S-VIP": 300},
    )
    result = send.paid(
        "O1", [("A", 1, 10000), ("B", 1, 5000, "shoes"), ("S-VIP", 1, 1000, "shoes")]
    )
    # 100×1 + 50×2 + 10×3 (the SKU's multiplier wins over its category's)
    assert effects(result, "points.earned")[0]["points"] == 230
    by_line = dict(LineEarning.objects.values_list("line__line_id", "points"))
    assert by_line == {"L1": 100, "L2": 100, "L3": 30}


def test_discount_and_points_paid_part_earns_nothing(shop, member, send):
    make_rule(shop, points_per_yuan=1)
    # ¥200 of goods, ¥50 discount, ¥10 shipping: ¥160 paid, of which ¥150 for goods
    result = send.paid("O1", [("A", 2, 10000)], shipping_fee=1000, paid_amount=16000)
    assert effects(result, "points.earned")[0]["points"] == 150


def test_tier_multiplier(shop, member, send, monkeypatch):
    make_rule(shop, points_per_yuan=2, tier_multipliers={"gold": 150})
    monkeypatch.setattr(earning_rules, "member_tier", lambda m: ("gold", 100))
    result = send.paid("O1", [("A", 1, 10001)])
    # 100.01 yuan × 2 × 1.5 = 300.03 -> 300
    assert effects(result, "points.earned")[0]["points"] == 300
    assert effects(result, "points.earned")[0]["multipliers"] == {"tier": 150}


def test_member_day_doubles_points_on_the_18th_shop_time(shop, member, send):
    make_rule(shop, points_per_yuan=1, member_day_of_month=18, member_day_multiplier=200)
    # 17 March 23:30 in Shanghai is still the 17th
    clock.freeze(dt.datetime(2026, 3, 17, 23, 30, tzinfo=SHANGHAI))
    assert effects(send.paid("O1", [("A", 1, 10000)]), "points.earned")[0]["points"] == 100
    # 18 March 00:30 in Shanghai (still the 17th in UTC) is member day
    clock.freeze(dt.datetime(2026, 3, 18, 0, 30, tzinfo=SHANGHAI))
    assert effects(send.paid("O2", [("A", 1, 10000)]), "points.earned")[0]["points"] == 200


def test_rule_outside_its_dates_does_not_apply(shop, member, send, t0):
    make_rule(shop, points_per_yuan=1, starts_at=t0 + dt.timedelta(days=1))
    assert effects(send.paid("O1", [("A", 1, 10000)]), "points.earned") == []
    clock.advance(dt.timedelta(days=1))
    assert effects(send.paid("O2", [("A", 1, 10000)]), "points.earned")[0]["points"] == 100


def test_cel_condition_over_order_and_member(shop, member, send):
    make_rule(shop, points_per_yuan=1, condition="size(order.lines) >= 2")
    make_rule(shop, name="bonus", points_per_yuan=1, condition='member.external_id == "other"')
    assert effects(send.paid("O1", [("A", 1, 10000)]), "points.earned") == []
    earned = effects(send.paid("O2", [("A", 1, 5000), ("B", 1, 5000)]), "points.earned")
    assert [e["points"] for e in earned] == [100]


def test_condition_that_fails_at_run_time_counts_as_not_met(shop, member, send):
    make_rule(shop, points_per_yuan=1, condition="event.data.no_such_field > 1")
    assert effects(send.paid("O1", [("A", 1, 10000)]), "points.earned") == []


def test_cel_syntax_error_names_line_and_column_and_saves_nothing(shop):
    with pytest.raises(PatronError) as caught:
        make_rule(shop, points_per_yuan=1, condition="order.paid_amount > 100 &&\n  )")
    assert caught.value.field == "condition"
    assert caught.value.errors[0]["line"] == 2
    assert caught.value.errors[0]["column"] == 3
    assert "line 2, column 3" in caught.value.detail
    assert EarningRule.objects.count() == 0


def test_editing_a_rule_adds_a_version_and_entries_keep_theirs(shop, member, send):
    rule = make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    v2 = rule_services.rule_update(rule=rule, fields={"points_per_yuan": 3})
    send.paid("O2", [("A", 1, 10000)])
    rows = list(LedgerEntry.objects.order_by("pk").values_list("points", "rule_version__version"))
    assert rows == [(100, 1), (300, 2)]
    assert v2.version == 2
    assert rule.versions.count() == 2


def test_bad_multiplier_is_refused(shop):
    with pytest.raises(PatronError) as caught:
        make_rule(shop, points_per_yuan=1, tier_multipliers={"gold": 1.5})
    assert caught.value.field == "tier_multipliers"


# --- actions -------------------------------------------------------------


def test_review_with_photos_earns_more_and_once_per_review(shop, member, send):
    make_rule(shop, "review.posted", points=10, photo_bonus_points=20)
    r1 = send("review.posted", data={"review_id": "R1"})
    r2 = send("review.posted", data={"review_id": "R2", "has_photos": True})
    r3 = send("review.posted", data={"review_id": "R2", "has_photos": True})
    assert [e["points"] for e in effects(r1, "points.earned")] == [10]
    assert [e["points"] for e in effects(r2, "points.earned")] == [30]
    assert effects(r3, "points.earned") == [] and effects(r3, "points.already_earned")
    acc = account(member)
    assert (acc.available, acc.pending) == (40, 0)


def test_daily_cap(shop, member, send):
    make_rule(shop, "link.shared", points=5, daily_cap=12)
    got = [
        sum(e["points"] for e in effects(send("link.shared"), "points.earned")) for _ in range(4)
    ]
    assert got == [5, 5, 2, 0]
    clock.advance(dt.timedelta(days=1))
    assert effects(send("link.shared"), "points.earned")[0]["points"] == 5


def test_monthly_cap(shop, member, send):
    make_rule(shop, "link.shared", points=5, daily_cap=10, monthly_cap=22)
    got = []
    for _ in range(3):  # 10 a day for two days, then 2, then nothing
        got.append(sum(e["points"] for e in effects(send("link.shared"), "points.earned")))
        got.append(sum(e["points"] for e in effects(send("link.shared"), "points.earned")))
        clock.advance(dt.timedelta(days=1))
    assert got == [5, 5, 5, 5, 2, 0]
    assert account(member).available == 22


# --- sign-up and profile completed ---------------------------------------
# Granted by members.services.member_upsert, on every path that writes a member;
# here through member.registered events (the API and portal paths are tested in
# members/tests and portal/tests).

PROFILE = {
    "name": "Li Lei",
    "phone": "13800000009",
    "email": "li@example.com",
    "birthday": "1990-05-01",
    "gender": "male",
}


def _registered(shop, event_id, data, member="M9", at=None):
    """A member.registered event under a fixed id (so it can be replayed)."""
    raw = {
        "id": event_id,
        "type": "member.registered",
        "member": member,
        "occurred_at": (at or clock.now()).isoformat(),
        "data": data,
    }
    return event_services.event_ingest(shop=shop, raw=raw)


def _entries(external_id="M9"):
    return list(
        LedgerEntry.objects.filter(account__member__external_id=external_id)
        .order_by("pk")
        .values_list("reason_code", "points", "idempotency_key")
    )


def test_signup_and_profile_completed_at_registration(shop, send, t0):
    signup = make_rule(shop, "member.registered", name="注册有礼", points=100)
    profile = make_rule(shop, "profile.completed", name="完善资料", points=50)
    result = send("member.registered", "M9", PROFILE)
    assert [(e["type"], e.get("points"), e.get("rule_id")) for e in result["effects"]] == [
        ("member.created", None, None),
        ("points.earned", 100, signup.pk),
        ("points.earned", 50, profile.pk),
    ]
    entries = LedgerEntry.objects.filter(account__member__external_id="M9").order_by("pk")
    assert [(e.reason_code, e.points, e.rule_version_id, e.event_id) for e in entries] == [
        ("signup", 100, signup.current_version_id, Event.objects.get().pk),
        ("profile_completed", 50, profile.current_version_id, Event.objects.get().pk),
    ]
    assert [render_reason(e.reason_code, e.reason_params, "en") for e in entries] == [
        "Sign-up bonus (注册有礼)",
        "Profile completed (完善资料)",
    ]
    acc = PointsAccount.objects.get(member__external_id="M9")
    assert (acc.available, acc.pending, acc.lifetime_earned) == (150, 0, 150)
    assert Member.objects.get(external_id="M9").profile_completed_at == t0
    # A later member.registered for the same member is no sign-up, and the
    # profile was complete already.
    again = send("member.registered", "M9", {"name": "Li Lei"})
    assert again["effects"] == [{"type": "member.updated", "member": "M9"}]
    assert PointsAccount.objects.get(member__external_id="M9").available == 150


def test_profile_completed_by_a_later_event_earns_once(shop, t0):
    signup = make_rule(shop, "member.registered", points=100)
    profile = make_rule(shop, "profile.completed", points=50)
    # Given a member who signed up with only a name
    first = _registered(shop, "reg-1", {"name": "Li Lei"})
    assert [(e["type"], e.get("points")) for e in first.result["effects"]] == [
        ("member.created", None),
        ("points.earned", 100),
    ]
    assert Member.objects.get().profile_completed_at is None
    # When a later event completes the profile
    clock.advance(dt.timedelta(days=3))
    completed = _registered(shop, "reg-2", PROFILE)
    # Then the profile bonus is granted, in that event's result, and no second sign-up
    assert [(e["type"], e.get("points")) for e in completed.result["effects"]] == [
        ("member.updated", None),
        ("points.earned", 50),
    ]
    entry = LedgerEntry.objects.get(reason_code="profile_completed")
    assert entry.event_id == Event.objects.get(external_id="reg-2").pk
    assert Member.objects.get().profile_completed_at == t0 + dt.timedelta(days=3)
    # Replays of either event return their first result and write nothing
    replayed = _registered(shop, "reg-1", {"name": "Li Lei"}, at=t0)
    assert (replayed.replayed, replayed.result) == (True, first.result)
    assert _registered(shop, "reg-2", PROFILE).result == completed.result
    # Emptied and completed again (new events): nothing more
    emptied = _registered(shop, "reg-3", {"phone": "", "email": ""})
    refilled = _registered(shop, "reg-4", PROFILE)
    assert (
        emptied.result["effects"]
        == refilled.result["effects"]
        == [{"type": "member.updated", "member": "M9"}]
    )
    assert _entries() == [
        ("signup", 100, f"signup:{signup.pk}"),
        ("profile_completed", 50, f"profile:{profile.pk}"),
    ]
    assert Member.objects.get().profile_completed_at == t0 + dt.timedelta(days=3)
    assert PointsAccount.objects.get().available == 150


def test_profile_completed_follows_conditions_versions_and_caps(shop, t0):
    rule = make_rule(
        shop, "profile.completed", name="资料", points=50, condition='member.gender == "female"'
    )
    version = rule_services.rule_update(rule=rule, fields={"points": 80, "daily_cap": 60})
    # A member the condition excludes gets nothing, at their one first completion
    male = _registered(shop, "e-m", PROFILE, member="M1")
    assert male.result["effects"] == [{"type": "member.created", "member": "M1"}]
    female = _registered(shop, "e-f", PROFILE | {"gender": "female"}, member="M2")
    [earned] = effects(female.result, "points.earned")
    assert (earned["points"], earned["capped_from"], earned["rule_version"]) == (60, 80, 2)
    entry = LedgerEntry.objects.get()
    assert entry.rule_version_id == version.pk
    assert render_reason(entry.reason_code, entry.reason_params, "en") == (
        "Profile completed (资料) (capped; would have been 80)"
    )
    assert PointsAccount.objects.get(member__external_id="M2").available == 60
    assert PointsAccount.objects.get(member__external_id="M1").available == 0


def test_rules_in_force_at_the_events_time(shop, t0):
    make_rule(shop, "member.registered", points=100, starts_at=t0.isoformat())
    early = _registered(shop, "early", {}, member="M1", at=t0 - dt.timedelta(minutes=1))
    on_time = _registered(shop, "on-time", {}, member="M2", at=t0)
    assert early.result["effects"] == [{"type": "member.created", "member": "M1"}]
    assert [e["points"] for e in effects(on_time.result, "points.earned")] == [100]


def test_a_complete_profile_without_rules_gets_nothing_and_stays_done(shop, t0):
    # Given no rules: a complete sign-up earns nothing and fails nothing
    result = _registered(shop, "r1", PROFILE)
    assert result.result["effects"] == [{"type": "member.created", "member": "M9"}]
    assert not PointsAccount.objects.exists()
    assert Member.objects.get().profile_completed_at == t0
    # When the rules come later, the profile emptied and filled in again and
    # the member registered again
    make_rule(shop, "member.registered", points=100)
    make_rule(shop, "profile.completed", points=50)
    _registered(shop, "r2", {"name": ""})
    again = _registered(shop, "r3", PROFILE)
    # Then nothing: neither moment is happening again
    assert again.result["effects"] == [{"type": "member.updated", "member": "M9"}]
    assert not LedgerEntry.objects.exists()


def test_an_update_that_completes_nothing_changes_nothing_else(shop, member, send):
    make_rule(shop, "member.registered", points=100)
    make_rule(shop, "profile.completed", points=50)
    before = (LedgerEntry.objects.count(), PointsAccount.objects.count())
    result = send("member.registered", "M1", {"language": "en", "name": "Han Meimei"})
    assert result["effects"] == [{"type": "member.updated", "member": "M1"}]
    assert (LedgerEntry.objects.count(), PointsAccount.objects.count()) == before
    member.refresh_from_db()
    assert (member.name, member.profile_completed_at) == ("Han Meimei", None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_and_completions_grant_each_bonus_once():
    from patron.core.models import Shop
    from patron.members import services as member_services
    from patron.points.tests.test_race import run_threads

    shop = Shop.objects.create(name="race")
    make_rule(shop, "member.registered", points=100)
    make_rule(shop, "profile.completed", points=50)
    fields = {**PROFILE, "birthday": dt.date(1990, 5, 1)}

    # Two events and two API writes create the same member with a complete profile at once
    def work(i):
        if i % 2:
            return _registered(shop, f"race-{i}", PROFILE).result
        return member_services.member_upsert(shop=shop, external_id="M9", fields=fields)

    results = run_threads(4, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(code for code, _, _ in _entries()) == ["profile_completed", "signup"]
    assert PointsAccount.objects.get().available == 150
    # Two writers complete an emptied profile at once: still nothing more
    member_services.member_upsert(shop=shop, external_id="M9", fields={"name": ""})
    assert run_threads(
        2,
        lambda i: (
            member_services.member_upsert(
                shop=shop, external_id="M9", fields={"name": "Li Lei"}
            ).effects
        ),
    ) == [[], []]
    assert len(_entries()) == 2


def test_custom_event(shop, member, send):
    make_rule(shop, "custom.quiz_done", points=7, condition="event.data.score >= 80")
    assert effects(send("custom.quiz_done", data={"score": 79}), "points.earned") == []
    assert effects(send("custom.quiz_done", data={"score": 80}), "points.earned")[0]["points"] == 7


def test_checkin_streak_bonus_and_once_a_day(shop, member):
    from patron.points.services import checkin_record

    make_rule(shop, "checkin", points=5, streak_bonuses={"3": 20})
    days = [checkin_record(member=member) for _ in range(1)]
    clock.advance(dt.timedelta(days=1))
    days.append(checkin_record(member=member))
    with pytest.raises(PatronError) as caught:
        checkin_record(member=member)
    assert caught.value.code == "limit_reached"
    clock.advance(dt.timedelta(days=1))
    days.append(checkin_record(member=member))
    clock.advance(dt.timedelta(days=2))  # a day missed: the streak starts again
    days.append(checkin_record(member=member))
    assert [(d["streak"], d["points"]) for d in days] == [(1, 5), (2, 5), (3, 25), (1, 5)]
    assert account(member).available == 40


def test_birthday_job_grants_once_a_year(shop, member):
    from patron.points.services import birthday_grant_due

    make_rule(shop, "birthday", points=88)
    member.birthday = dt.date(1990, 3, 10)
    member.save()
    assert birthday_grant_due(day=dt.date(2026, 3, 10)) == 1
    assert birthday_grant_due(day=dt.date(2026, 3, 10)) == 0
    assert birthday_grant_due(day=dt.date(2026, 3, 11)) == 0
    assert account(member).available == 88
    assert birthday_grant_due(day=dt.date(2027, 3, 10)) == 1


def test_leap_day_birthday_is_celebrated_on_28_february(shop, member):
    from patron.points.services import birthday_grant_due

    make_rule(shop, "birthday", points=88)
    member.birthday = dt.date(1992, 2, 29)
    member.save()
    assert birthday_grant_due(day=dt.date(2027, 2, 28)) == 1
    assert birthday_grant_due(day=dt.date(2028, 2, 28)) == 0
    assert birthday_grant_due(day=dt.date(2028, 2, 29)) == 1
