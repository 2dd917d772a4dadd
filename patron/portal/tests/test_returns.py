"""The member's returns page: ask for a return of a delivered order, see a
refusal naming what is wrong (nothing saved), send the goods back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import ReturnRequest, ReturnState
from patron.service.tests.returns_helpers import delivered_order, earning, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return delivered_order(shop, member)


def form(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "qty-L1": "1",
        "qty-L2": "0",
        "kind": "return",
        "reason": "defective",
        "description": "坏了",
    }
    data.update(kw)
    return data


def test_the_member_asks_for_a_return_with_a_photo(
    member_client, member, order, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = member_client.get("/returns/")
    assert page.status_code == 200
    assert 'href="/returns/new/O1/"' in page.content.decode()
    new = member_client.get("/returns/new/O1/")
    assert new.status_code == 200 and 'name="qty-L1"' in new.content.decode()
    photo = SimpleUploadedFile("p.jpg", b"jpeg", content_type="image/jpeg")
    done = member_client.post("/returns/new/O1/", form(photos=photo))
    assert done.status_code == 302
    request = ReturnRequest.objects.get()
    assert (request.member, request.state, request.photos.count()) == (member, "requested", 1)
    assert [(rl.line.line_id, rl.quantity) for rl in request.lines.all()] == [("L1", 1)]
    assert request.reference in member_client.get("/returns/").content.decode()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"qty-L1": "3"}, "lines[0].quantity"),
        ({"qty-L1": "0"}, "lines"),
        ({"qty-L1": "x"}, "lines[0].quantity"),
        ({"reason": "bored"}, "reason"),
        ({"kind": ""}, "kind"),
    ],
)
def test_a_refusal_names_the_field_and_saves_nothing(member_client, order, kw, field):
    answer = member_client.post("/returns/new/O1/", form(**kw))
    assert answer.status_code == 422
    assert f'data-field="{field}"' in answer.content.decode()
    assert ReturnRequest.objects.count() == 0


def test_an_undelivered_order_is_refused_by_its_order(member_client, shop, member):
    earning(shop)
    paid_order(shop, member)
    answer = member_client.post("/returns/new/O1/", form())
    assert answer.status_code == 422 and 'data-field="order_id"' in answer.content.decode()
    assert "O1" not in member_client.get("/returns/").content.decode()


def test_another_members_order_and_request_are_not_found(member_client, shop, order):
    other = Member.objects.create(
        shop=shop,
        external_id="M2",
        registered_at=order.placed_at,
        created_at=order.placed_at,
        updated_at=order.placed_at,
    )
    delivered_order(shop, other, order_id="O2")
    assert member_client.get("/returns/new/O2/").status_code == 404
    theirs = services.return_request(
        member=other,
        order_id="O2",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="size",
    )
    theirs = services.return_approve(request=theirs, agent=None)
    sent = member_client.post(
        f"/returns/{theirs.pk}/sent/", {"carrier": "EMS", "tracking_number": "E1"}
    )
    assert sent.status_code == 404
    assert ReturnRequest.objects.get(pk=theirs.pk).state == ReturnState.APPROVED


def test_the_member_sends_the_goods_back_with_tracking(member_client, member, order):
    request = services.return_request(
        member=member,
        order_id="O1",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="size",
    )
    services.return_approve(request=request, agent=None)
    assert 'name="tracking_number"' in member_client.get("/returns/").content.decode()
    missing = member_client.post(f"/returns/{request.pk}/sent/", {"carrier": "顺丰"})
    assert missing.status_code == 302
    assert ReturnRequest.objects.get(pk=request.pk).state == ReturnState.APPROVED
    member_client.post(
        f"/returns/{request.pk}/sent/", {"carrier": "顺丰", "tracking_number": "SF7"}
    )
    request.refresh_from_db()
    assert (request.state, request.return_tracking) == (ReturnState.SENT_BACK, "SF7")
