"""Control characters are refused in every text field of the API and of the
forms (422 problem+json naming the field, or a form message), and nothing
changes; free text keeps newlines and tabs. Run on PostgreSQL too, which
cannot store NUL in text at all."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal, get_args, get_origin

import pytest
from django.apps import apps

from patron.api import api as shop_api
from patron.core import clock
from patron.core.models import Shop
from patron.core.validation import text_problem
from patron.events.tests.factories import event
from patron.promotions.tests.conftest import give_points, issue, make_member, make_template
from patron.rewards.models import Redemption, Reward

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC)
LINE = {"line_id": "1", "sku": "A", "quantity": 1, "unit_price": 25000}


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("patron.") and m._meta.managed
    }


@pytest.fixture
def world(shop: Shop) -> dict[str, Any]:
    clock.freeze(NOW)
    member = make_member(shop, "M1")
    give_points(member, 5000)
    coupon = issue(make_template(shop, amount=1000), member)
    reward = Reward.objects.create(
        shop=shop, name="帆布袋", kind="physical", points_price=100, stock=10, created_at=NOW
    )
    return {"coupon": coupon.code, "reward": reward.pk, "member": member}


def _placed(api: Any, world: dict[str, Any]) -> int:
    body = {"reward_id": world["reward"], "request_id": "r-ok", "shipping_address": "北京市"}
    response = api.post("/api/v1/members/M1/redemptions", body)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("validation_error", field)
    # /events refused NUL before (find_unstorable) and still names it so.
    assert "control characters" in problem["detail"] or "NUL" in problem["detail"]


# (what, path, body, the field the problem names); NUL and another control character.
CASES = [
    (
        "reserve sku",
        "/api/v1/checkout/reserve",
        {"member": "M1", "order_id": "O-1", "lines": [{**LINE, "sku": "A{c}"}]},
        "lines[0].sku",
    ),
    (
        "reserve order id",
        "/api/v1/checkout/reserve",
        {"member": "M1", "order_id": "O-{c}1", "lines": [LINE]},
        "order_id",
    ),
    (
        "reserve coupon code",
        "/api/v1/checkout/reserve",
        {"member": "M1", "order_id": "O-1", "lines": [LINE], "coupon_codes": ["{c}"]},
        "coupon_codes[0]",
    ),
    (
        "evaluate category",
        "/api/v1/checkout/evaluate",
        {"member": "M1", "lines": [{**LINE, "category": "shoes{c}"}]},
        "lines[0].category",
    ),
    ("release", "/api/v1/checkout/release", {"order_id": "O-{c}"}, "order_id"),
    (
        "shipping address",
        "/api/v1/members/M1/redemptions",
        {"reward_id": "{reward}", "request_id": "r-1", "shipping_address": "北京{c}市"},
        "shipping_address",
    ),
    (
        "request id",
        "/api/v1/members/M1/redemptions",
        {"reward_id": "{reward}", "request_id": "r-{c}", "shipping_address": "北京市"},
        "request_id",
    ),
    (
        "cancel reason",
        "/api/v1/members/M1/redemptions/{redemption}/cancel",
        {"reason": "wrong{c}size"},
        "reason",
    ),
    ("member name", "/api/v1/members", {"external_id": "M2", "name": "Li{c}Lei"}, "name"),
    ("member id", "/api/v1/members", {"external_id": "M{c}2"}, "external_id"),
    ("claim template", "/api/v1/members/M1/coupons/claim", {"template": "w{c}"}, "template"),
    (
        "preview sku",
        "/api/v1/points/preview",
        {"lines": [{**LINE, "sku": "A{c}"}], "paid_amount": 25000},
        "lines[0].sku",
    ),
    (
        "event sku",
        "/api/v1/events",
        event(
            "order.paid",
            {"order_id": "O-1", "lines": [{**LINE, "sku": "A{c}"}], "paid_amount": 25000},
            occurred_at=NOW.isoformat(),
        ),
        "data.lines[0].sku",
    ),
    (
        "event id",
        "/api/v1/events",
        event("custom.x", id="e-{c}", occurred_at=NOW.isoformat()),
        "id",
    ),
]


def _fill(value: Any, char: str, world: dict[str, Any], redemption: int | None) -> Any:
    text = json.dumps(value)
    text = text.replace("{c}", json.dumps(char)[1:-1]).replace('"{reward}"', str(world["reward"]))
    return json.loads(text.replace("{redemption}", str(redemption)))


@pytest.mark.parametrize("char", ["\x00", "\x1b"], ids=["NUL", "ESC"])
@pytest.mark.parametrize(("what", "path", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_a_control_character_is_refused_naming_the_field(
    api: Any, world: dict[str, Any], what: str, path: str, body: Any, field: str, char: str
):
    redemption = _placed(api, world) if "{redemption}" in path else None
    if "{c}" in path or "{redemption}" in path:
        path = path.replace("{redemption}", str(redemption))
    before = _counts()
    statuses = {r.pk: r.status for r in Redemption.objects.all()}

    response = api.post(path, _fill(body, char, world, redemption))

    _refused(response, field)
    assert _counts() == before
    assert {r.pk: r.status for r in Redemption.objects.all()} == statuses


@pytest.mark.parametrize("char", ["\x00", "\x07"], ids=["NUL", "BEL"])
def test_a_control_character_in_a_path_or_query_is_refused(api: Any, world: Any, char: str):
    _refused(api.get(f"/api/v1/members/M{char}1"), "external_id")
    _refused(api.get(f"/api/v1/members/M{char}1/points"), "external_id")
    _refused(api.get("/api/v1/rewards", member=f"M{char}1"), "member")


def test_free_text_keeps_newlines_and_tabs(api: Any, world: dict[str, Any]):
    body = {
        "reward_id": world["reward"],
        "request_id": "r-2",
        "shipping_address": "北京市\r\n朝阳区\t1号",
    }
    response = api.post("/api/v1/members/M1/redemptions", body)
    assert response.status_code == 201, response.content
    assert Redemption.objects.get(request_id="r-2").shipping_address == "北京市\r\n朝阳区\t1号"
    # ... but a newline in a one-line field is refused
    _refused(api.post("/api/v1/members", {"external_id": "M2", "name": "Li\nLei"}), "name")


def _has_str(annotation: Any) -> bool:
    """Whether a field's type is or holds a string (not a Literal choice)."""
    if annotation is str:
        return True
    origin = get_origin(annotation)
    if origin is Literal or origin is dict:
        # A choice; or free JSON (custom event data, the raw event before the
        # intake checks it), where only what cannot be stored is refused.
        return False
    if origin is Annotated:
        return _has_str(get_args(annotation)[0])
    return any(_has_str(arg) for arg in get_args(annotation))


def test_every_string_field_of_every_request_schema_is_text():
    """Each string field of each API request schema (found by walking the
    shop API's and the console API's operations) carries the Text check."""
    from pydantic import BaseModel

    from patron.console.api import api as console_api

    def models(annotation: Any) -> list[type[BaseModel]]:
        found = []
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.append(annotation)
        for arg in getattr(annotation, "__args__", ()):
            found.extend(models(arg))
        return found

    import patron.urls  # noqa: F401  (mounts the routers)

    lax: list[str] = []
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = []
    operations = 0
    for ninja_api in (shop_api, console_api):
        for _prefix, router in ninja_api._routers:
            for path_view in router.path_operations.values():
                for operation in path_view.operations:
                    operations += 1
                    todo.extend(operation.models)
    from patron.events.schemas import DATA_SCHEMAS, EventIn

    todo.extend([EventIn, *DATA_SCHEMAS.values()])  # /events validates its body itself
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            todo.extend(models(field.annotation))
            shown = repr(field.annotation) + repr(field.metadata)
            if _has_str(field.annotation) and "_check_" not in shown:
                lax.append(f"{model.__name__}.{name}")
    assert operations >= 25
    assert lax == []


def test_the_text_rules():
    assert text_problem("北京市 朝阳区") is None
    assert text_problem("a\tb") is not None
    assert text_problem("a\r\nb\tc", multiline=True) is None
    for char in ("\x00", "\x1f", "\x7f", "\x85", "\ud800"):
        assert text_problem(f"a{char}", multiline=True) is not None


# --- forms ----------------------------------------------------------------------


def test_portal_profile_form_refuses_a_control_character(shop: Shop, world: dict[str, Any]):
    from patron.portal.forms import ProfileForm

    form = ProfileForm(data={"name": "Li\x00Lei", "email": "", "birthday": "", "gender": ""})
    assert not form.is_valid()
    assert "control_characters" in [e.code for e in form.errors.as_data()["name"]]
    form = ProfileForm(data={"name": "Li\x1bLei", "email": "", "birthday": "", "gender": ""})
    assert "name" in form.errors


def test_console_forms_refuse_control_characters_but_keep_newlines_in_text_areas():
    from patron.console.forms import CouponTemplateForm
    from patron.console.views.approvals import AdjustPointsForm

    ok = AdjustPointsForm(data={"points": "10", "reason": "goodwill\r\nticket 12"})
    assert ok.is_valid(), ok.errors
    bad = AdjustPointsForm(data={"points": "10", "reason": "goodwill\x00"})
    assert "reason" in bad.errors
    template = CouponTemplateForm(data={"name": "满100\x1b减10"})
    assert not template.is_valid()
    assert [e.code for e in template.errors.as_data()["name"]] == ["control_characters"]
