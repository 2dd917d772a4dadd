"""Templates: refused when they use more than variables and conditions; preview."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import services
from patron.messaging.models import Template
from patron.messaging.tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _save(shop: Shop, **fields: str) -> Template:
    values: dict[str, Any] = {"subject": "升级", "body_text": "您好", "body_html": "", **fields}
    return services.template_save(
        shop=shop, kind="test.tier_upgraded", channel="email", language="zh-hans", **values
    )


@pytest.mark.parametrize(
    ("field", "source", "says"),
    [
        ("subject", "{{ secret }}", "unknown variable secret"),
        (
            "body_text",
            "第一行\n{% for x in tier %}{{ x }}{% endfor %}",
            "line 2: for is not allowed",
        ),
        ("body_html", "{{ tier.__class__ }}", "unknown attribute tier.__class__"),
        ("body_text", "{{ member.password }}", "unknown attribute member.password"),
        ("body_text", "{{ tier | upper }}", "filter upper is not allowed"),
        ("body_text", "{{ tier() }}", "call is not allowed"),
        ("body_text", "{% macro m() %}x{% endmacro %}", "macro is not allowed"),
        ("body_text", "{% import 'x' as y %}", "import is not allowed"),
        ("body_html", "<p>{{ tier </p>", "syntax error"),
        ("subject", "{% if tier %}x", "syntax error"),
    ],
)
def test_a_bad_template_is_refused_naming_the_field_and_nothing_is_saved(
    shop: Shop, field: str, source: str, says: str
) -> None:
    with pytest.raises(PatronError) as refused:
        _save(shop, **{field: source})
    assert refused.value.field == field
    assert says in refused.value.detail_en
    assert refused.value.as_problem()["code"] == "validation_error"
    assert Template.objects.count() == 0


def test_variables_conditions_and_default_are_allowed(shop: Shop) -> None:
    template = _save(
        shop,
        subject="{{ member.name }}，恭喜",
        body_text="{% if tier == '金卡' and not member.tier %}金{% elif tier %}{{ tier }}"
        "{% else %}{{ tier | default('会员') }}{% endif %}",
    )
    assert Template.objects.get() == template


def test_preview_renders_with_the_members_data_and_the_shops_template(shop: Shop) -> None:
    member = make_member(shop, name="李雷")
    _save(
        shop, subject="{{ member.name }}，恭喜升级{{ tier }}", body_html="<p>{{ member.name }}</p>"
    )
    preview = services.template_preview(
        kind="test.tier_upgraded",
        channel="email",
        language="zh-hans",
        member=member,
        context={"tier": "金卡"},
    )
    assert (preview.subject, preview.body_html, preview.fell_back) == (
        "李雷，恭喜升级金卡",
        "<p>李雷</p>",
        False,
    )


def test_preview_in_a_missing_language_falls_back_to_chinese_and_says_so(member: Member) -> None:
    preview = services.template_preview(
        kind="test.tier_upgraded",
        channel="sms",
        language="en",
        member=member,
        context={"tier": "金卡"},
    )
    assert (preview.language, preview.fell_back) == ("zh-hans", True)
    assert preview.body_text == "王芳，您已升级为金卡。"


def test_unknown_kind_channel_and_language_are_refused(shop: Shop) -> None:
    for kwargs, field in [
        ({"kind": "nope"}, "kind"),
        ({"channel": "fax"}, "channel"),
        ({"language": "fr"}, "language"),
    ]:
        values: dict[str, Any] = {
            "kind": "test.tier_upgraded",
            "channel": "email",
            "language": "zh-hans",
            **kwargs,
        }
        with pytest.raises(PatronError) as refused:
            services.template_save(shop=shop, subject="s", body_text="b", **values)
        assert refused.value.field == field


def test_operators_need_the_template_permission_and_saves_are_audited(
    shop: Shop, staff_as: Any
) -> None:
    from django.contrib.auth.models import User

    from patron.core.models import AuditLog

    staff_as("analyst")
    staff_as("marketing")
    analyst = User.objects.get(username="analyst-staff")
    marketer = User.objects.get(username="marketing-staff")
    with pytest.raises(PatronError) as refused:
        services.template_save(
            shop=shop,
            kind="test.tier_upgraded",
            channel="inapp",
            language="en",
            subject="Up",
            body_text="Now {{ tier }}",
            actor=analyst,
        )
    assert refused.value.status == 403
    services.template_save(
        shop=shop,
        kind="test.tier_upgraded",
        channel="inapp",
        language="en",
        subject="Up",
        body_text="Now {{ tier }}",
        actor=marketer,
    )
    assert AuditLog.objects.filter(action="messaging.template_save").count() == 1
