"""The console's messaging pages: triggers with their switch, the template
editor (field errors, nothing saved), the preview for a chosen member with
the zh-Hans fallback flagged, and a member's delivery log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.messaging.models import KindSwitch, Message, Template
from patron.portal.tests.inbox import NOTICE, deliver_notices, notice_kind

TEMPLATE = "/console/messages/template/"


@pytest.fixture(autouse=True)
def _kind() -> Iterator[None]:
    with notice_kind():
        yield


def test_triggers_list_the_registered_kinds_and_switch_off_audited(
    shop: Shop, as_role: Any
) -> None:
    client = as_role("marketing")
    html = client.get("/console/messages/triggers/").content.decode()
    assert 'data-testid="kind-test.notice"' in html and "已开启" in html
    response = client.post(
        "/console/messages/triggers/switch/", {"kind": NOTICE.code, "enabled": "0"}, follow=True
    )
    assert "已关闭" in response.content.decode()
    assert KindSwitch.objects.get(shop=shop, kind=NOTICE.code).enabled is False
    assert AuditLog.objects.filter(action="messaging.kind_switch_set").count() == 1


def test_switching_needs_the_role_and_an_unknown_kind_is_refused(shop: Shop, as_role: Any) -> None:
    assert (
        as_role("analyst")
        .post("/console/messages/triggers/switch/", {"kind": NOTICE.code, "enabled": "0"})
        .status_code
        == 403
    )
    response = as_role("marketing").post(
        "/console/messages/triggers/switch/", {"kind": "no.such", "enabled": "0"}, follow=True
    )
    assert "no.such" in response.content.decode()
    assert not KindSwitch.objects.exists()


def test_template_editor_saves_and_refuses_an_unknown_variable_naming_the_field(
    shop: Shop, as_role: Any
) -> None:
    client = as_role("marketing")
    url = f"{TEMPLATE}?kind={NOTICE.code}&channel=email&language=en"
    good = {"subject": "Hi {{ member.name }}", "body_text": "{{ detail }}", "body_html": ""}
    assert client.post(url, good).status_code == 302
    saved = Template.objects.get(shop=shop, kind=NOTICE.code, channel="email", language="en")
    assert saved.subject == "Hi {{ member.name }}"

    bad = {**good, "body_html": "<p>{{ coupon_code }}</p>", "subject": "changed"}
    response = client.post(url, bad)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_body_html_error"' in html and "body_html" in html and "coupon_code" in html
    saved.refresh_from_db()
    assert saved.subject == "Hi {{ member.name }}"  # nothing saved

    syntax = {**good, "subject": "{% if %}"}
    response = client.post(url, syntax)
    assert response.status_code == 422
    assert 'id="id_subject_error"' in response.content.decode()
    assert Template.objects.count() == 1


def test_template_editor_is_read_only_without_the_edit_permission(shop: Shop, as_role: Any) -> None:
    client = as_role("analyst")
    url = f"{TEMPLATE}?kind={NOTICE.code}&channel=email&language=zh-hans"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "{{ member.name }}，{{ title }}" in html  # the default wording, shown
    assert 'class="btn btn-primary" type="submit"' not in html  # and no Save button
    assert client.post(url, {"subject": "x", "body_text": "y"}).status_code == 403
    assert not Template.objects.exists()
    assert client.get(f"{TEMPLATE}?kind=no.such").status_code == 404
    inapp = client.get(f"{TEMPLATE}?kind={NOTICE.code}&channel=inapp").content.decode()
    assert 'id="id_body_text"' in inapp
    assert 'id="id_body_html"' not in inapp and 'id="id_sms_template_code"' not in inapp


def test_preview_for_a_member_flags_the_fallback_and_sandboxes_the_html(
    member: Member, as_role: Any
) -> None:
    client = as_role("marketing")
    html = client.get(
        f"{TEMPLATE}?kind={NOTICE.code}&channel=email&language=en&member={member.external_id}"
    ).content.decode()
    assert 'data-testid="fell-back"' in html
    assert "李雷，[title]" in html
    assert 'sandbox srcdoc="&lt;p&gt;李雷：&lt;b&gt;[detail]&lt;/b&gt;&lt;/p&gt;"' in html
    own = client.get(
        f"{TEMPLATE}?kind={NOTICE.code}&channel=email&language=zh-hans&member=李"
    ).content.decode()
    assert 'data-testid="fell-back"' not in own and "李雷，[title]" in own
    assert (
        "没有匹配的会员"
        in client.get(f"{TEMPLATE}?kind={NOTICE.code}&channel=email&member=nobody").content.decode()
    )


def test_member_delivery_log_lists_kind_channel_state_and_is_linked(
    member: Member, as_role: Any
) -> None:
    deliver_notices(member, ["到账"])
    message = Message.objects.get(member=member)
    client = as_role("service_agent")
    assert (
        f"/console/members/{member.pk}/messages/"
        in client.get(f"/console/members/{member.pk}/").content.decode()
    )
    html = client.get(f"/console/members/{member.pk}/messages/").content.decode()
    row = html.split(f'data-testid="message-{message.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "test.notice" in row and "站内信" in row and "已送达" in row
    filtered = client.get(f"/console/members/{member.pk}/messages/?state=failed").content.decode()
    assert f'data-testid="message-{message.pk}"' not in filtered
