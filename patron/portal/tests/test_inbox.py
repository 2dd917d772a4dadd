"""The member's inbox: newest first and paginated, opening marks read, the
unread badge on every page, mark read, delete (POST only, own messages only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.models import Message
from patron.messaging.selectors import inbox_unread_count
from patron.portal.tests.inbox import deliver_notices, notice_kind
from patron.portal.views.messages import PAGE_SIZE


@pytest.fixture(autouse=True)
def _kind() -> Iterator[None]:
    with notice_kind():
        yield


def _badge(html: str) -> str | None:
    marker = 'data-testid="unread-badge"'
    if marker not in html:
        return None
    tail = html.split(marker, 1)[1]
    return tail.split(">", 1)[1].split("<", 1)[0]


def test_inbox_lists_newest_first_and_opening_one_marks_it_read(
    member: Member, member_client: Client
) -> None:
    clock.freeze(clock.now())
    first, second = deliver_notices(member, ["积分到账", "升级"])
    html = member_client.get("/inbox/").content.decode()
    assert html.index("通知：升级") < html.index("通知：积分到账")
    assert _badge(html) == "2"
    # The badge is on every portal page
    assert _badge(member_client.get("/points/").content.decode()) == "2"

    opened = member_client.get(f"/inbox/{first.pk}/").content.decode()
    assert "积分到账…" in opened
    assert _badge(opened) == "1"
    first.refresh_from_db()
    assert first.read_at == clock.now()
    second.refresh_from_db()
    assert second.read_at is None


def test_mark_read_one_and_all(member: Member, member_client: Client) -> None:
    a, *_rest = deliver_notices(member, ["a", "b", "c"])
    assert member_client.post("/inbox/read/", {"message": str(a.pk)}).status_code == 302
    assert inbox_unread_count(member) == 2
    member_client.post("/inbox/read/", {})
    assert inbox_unread_count(member) == 0
    assert _badge(member_client.get("/").content.decode()) is None


def test_delete_hides_the_message_and_needs_post(member: Member, member_client: Client) -> None:
    (m,) = deliver_notices(member, ["订单已发货"])
    assert member_client.get(f"/inbox/{m.pk}/delete/").status_code == 405
    response = member_client.post(f"/inbox/{m.pk}/delete/", follow=True)
    html = response.content.decode()
    assert "通知：订单已发货" not in html
    assert "消息已删除" in html
    m.refresh_from_db()
    assert m.deleted_at is not None  # kept in the delivery log
    assert member_client.get(f"/inbox/{m.pk}/").status_code == 404


def test_another_members_message_cannot_be_opened_or_deleted(
    shop: Shop, member: Member, member_client: Client
) -> None:
    now = clock.now()
    other = Member.objects.create(
        shop=shop, external_id="M200", registered_at=now, created_at=now, updated_at=now
    )
    (theirs,) = deliver_notices(other, ["私信"])
    assert member_client.get(f"/inbox/{theirs.pk}/").status_code == 404
    member_client.post(f"/inbox/{theirs.pk}/delete/")
    member_client.post("/inbox/read/", {"message": str(theirs.pk)})
    theirs.refresh_from_db()
    assert (theirs.read_at, theirs.deleted_at) == (None, None)


def test_inbox_pages_hold_page_size_messages(member: Member, member_client: Client) -> None:
    deliver_notices(member, [f"n{i:02d}" for i in range(PAGE_SIZE + 3)])
    first = member_client.get("/inbox/").content.decode()
    second = member_client.get("/inbox/?page=2").content.decode()
    assert first.count('class="inbox-item') == PAGE_SIZE
    assert second.count('class="inbox-item') == 3
    assert f"通知：n{PAGE_SIZE + 2:02d}" in first and "通知：n00" in second
    # A page number that is not one shows the first page
    assert member_client.get("/inbox/?page=x²").status_code == 200


def test_inbox_needs_sign_in(db: None) -> None:
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
    assert Message.objects.count() == 0
