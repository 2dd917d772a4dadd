"""Portal sign-in: password, no enumeration, rate limit, shop links, reset, sign-out."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.portal import services, tasks
from patron.portal.auth import SESSION_MEMBER
from patron.portal.models import UsedSignInNonce
from patron.portal.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, identifier: str, password: str) -> Any:
    return client.post("/sign-in/", {"identifier": identifier, "password": password})


def test_a_member_signs_in_with_phone_or_email_and_lands_on_home(member: Member) -> None:
    for identifier in ("138 0000 0001", "+8613800000001", "XiaoMing@EXAMPLE.com"):
        client = Client()
        response = sign_in(client, identifier, PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.session[SESSION_MEMBER] == member.pk
        assert client.cookies["django_language"].value == "zh-hans"


def test_unknown_account_and_wrong_password_get_the_same_answer(member: Member) -> None:
    wrong = sign_in(Client(), "13800000001", "not-the-password")
    unknown = sign_in(Client(), "13900000009", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "账号或密码不正确" in wrong.content.decode()
    strip = re.compile(r'name="(csrfmiddlewaretoken|identifier)" value="[^"]*"')
    assert strip.sub("", wrong.content.decode()) == strip.sub("", unknown.content.decode())


def test_failed_sign_in_keeps_the_identifier_and_shows_the_error_above_the_fields(
    member: Member,
) -> None:
    body = sign_in(Client(), "13800000001", "nope").content.decode()
    assert 'value="13800000001"' in body
    assert 'class="form-errors" role="alert"' in body


def test_the_sixth_failure_within_15_minutes_is_refused_even_with_the_right_password(
    member: Member,
) -> None:
    clock.freeze(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    for _ in range(services.MAX_FAILURES_PER_ACCOUNT):
        assert sign_in(Client(), "13800000001", "wrong").status_code == 200
    refused = sign_in(Client(), "13800000001", PASSWORD)
    assert refused.status_code == 429
    assert "15 分钟" in refused.content.decode()
    # An unknown account is limited the same way, so the limit reveals nothing.
    for _ in range(services.MAX_FAILURES_PER_ACCOUNT):
        sign_in(Client(), "13900000009", "wrong")
    assert sign_in(Client(), "13900000009", "wrong").status_code == 429
    clock.advance(dt.timedelta(minutes=16))
    assert sign_in(Client(), "13800000001", PASSWORD).status_code == 302


def _link(shop: Shop, secret: str, member: str, ts: int, nonce: str) -> str:
    sig = services.link_signature(secret=secret, shop_id=shop.pk, member=member, ts=ts, nonce=nonce)
    return f"/sso?shop={shop.pk}&member={member}&ts={ts}&nonce={nonce}&sig={sig}"


def test_a_shop_signed_link_signs_the_member_in_once(shop: Shop, member: Member) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    now = int(clock.now().timestamp())
    link = _link(shop, secret, "M100", now, secrets.token_hex(8))
    client = Client()
    response = client.get(link)
    assert response.status_code == 302
    assert client.session[SESSION_MEMBER] == member.pk
    assert UsedSignInNonce.objects.count() == 1
    again = Client().get(link)
    assert again.status_code == 403


def test_expired_forged_and_foreign_links_are_refused(shop: Shop, member: Member) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    now = int(clock.now().timestamp())
    old = _link(shop, secret, "M100", now - 6 * 60, "n-old")
    forged = _link(shop, "not-the-secret", "M100", now, "n-forged")
    other = _link(shop, secret, "M999", now, "n-other")
    for link in (old, forged, other):
        response = Client().get(link)
        assert response.status_code == 403
        assert "登录链接无效或已过期" in response.content.decode()
    assert UsedSignInNonce.objects.count() == 0


def test_the_signature_covers_a_canonical_text_ids_with_dots_cannot_collide(
    shop: Shop, member: Member
) -> None:
    # Version 1 signed "shop.member.ts.nonce": member "M.1" at ts with nonce
    # "n" and member "M" with "1.<ts>" ... read alike. Version 2 cannot.
    a = services.link_message(shop_id=7, member="M.1", ts=1700000000, nonce="n")
    b = services.link_message(shop_id=7, member="M", ts=1, nonce="1700000000.n")
    assert a != b
    assert a == b"patron-sso-v2\n7\n1700000000\nn\nM.1"
    secret = services.sign_in_secret_rotate(shop=shop)
    dotted = Member.objects.create(
        shop=shop,
        external_id="M100.5",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    now = int(clock.now().timestamp())
    # Version 1 signed "shop.member.ts.nonce": what a shop signed for member
    # "M100" at ts 5 with nonce "<now>.x" is, dot for dot, member "M100.5" at
    # <now> with nonce "x". That signature must not sign "M100.5" in.
    for_m100 = services._legacy_link_signature(
        secret=secret, shop_id=shop.pk, member="M100", ts=5, nonce=f"{now}.x"
    )
    assert for_m100 == services._legacy_link_signature(
        secret=secret, shop_id=shop.pk, member="M100.5", ts=now, nonce="x"
    )
    forged = f"/sso?shop={shop.pk}&member=M100.5&ts={now}&nonce=x&sig={for_m100}"
    assert Client().get(forged).status_code == 403
    # signed the supported way, the dotted member signs in
    good = _link(shop, secret, "M100.5", now, "x")
    client = Client()
    assert client.get(good).status_code == 302
    assert client.session[SESSION_MEMBER] == dotted.pk


def test_links_signed_the_version_1_way_still_work_where_unambiguous(
    shop: Shop, member: Member
) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    now = int(clock.now().timestamp())
    sig = services._legacy_link_signature(
        secret=secret, shop_id=shop.pk, member="M100", ts=now, nonce="n-v1"
    )
    client = Client()
    link = f"/sso?shop={shop.pk}&member=M100&ts={now}&nonce=n-v1&sig={sig}"
    assert client.get(link).status_code == 302
    assert client.session[SESSION_MEMBER] == member.pk


def test_password_reset_mails_a_link_that_sets_a_new_password_once(member: Member) -> None:
    client = Client()
    response = client.post("/password-reset/", {"email": "xiaoming@example.com"})
    assert response.status_code == 200
    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert (
        unknown.content.decode().count("请查收邮件")
        == response.content.decode().count("请查收邮件")
        == 1
    )
    credential = member.portal_credential
    link = services.reset_link(credential)
    url = f"/password-reset/{link.uid}/{link.token}/"
    assert tasks.password_reset_mail.call(member_id=member.pk, url="http://x" + url) is True
    assert len(mail.outbox) == 1
    assert url in mail.outbox[0].body
    assert mail.outbox[0].subject == "重置会员密码"
    changed = client.post(url, {"password1": "Lantern-Orchid-77", "password2": "Lantern-Orchid-77"})
    assert changed.status_code == 302
    assert sign_in(Client(), "13800000001", "Lantern-Orchid-77").status_code == 302
    reused = Client().get(url)
    assert "此重置链接无效或已过期" in reused.content.decode()


def test_changing_the_password_signs_out_other_sessions(
    member: Member, member_client: Client
) -> None:
    assert member_client.get("/").status_code == 200
    services.credential_set_password(member=member, raw_password="Another-Secret-93")
    assert member_client.get("/").status_code == 302


def test_sign_out_needs_post_and_ends_the_session(member_client: Client) -> None:
    assert member_client.get("/sign-out/").status_code == 405
    assert member_client.post("/sign-out/").status_code == 302
    assert member_client.get("/").status_code == 302


def test_pages_need_a_signed_in_member() -> None:
    response = Client().get("/points/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/points/"


def test_sign_in_is_csrf_protected(member: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"identifier": "13800000001", "password": PASSWORD})
    assert response.status_code == 403
