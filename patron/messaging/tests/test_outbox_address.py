"""E-mail to an address that is no member (the service desk answering
someone who wrote in): never marketing, sent once per cause, still stopped
by the trigger switch and by unusable addresses."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import ApiScope, Shop
from patron.messaging import services
from patron.messaging.models import KindSwitch, Message, UnusableAddress
from patron.messaging.tests.conftest import SmtpInbox

pytestmark = pytest.mark.django_db

ADDRESS = "x@other.example"


def _send(shop: Shop, **kw: Any) -> Message:
    args: dict[str, Any] = {
        "shop_id": shop.pk,
        "address": ADDRESS,
        "name": "王五",
        "kind": "test.tier_upgraded",
        "cause": "reply:1",
        "context": {"tier": "金牌"},
        "headers": {"In-Reply-To": "<u1@o>"},
    }
    args.update(kw)
    return services.message_send_to_address(**args)


def test_it_is_queued_once_and_sent_with_its_headers_without_consent(
    shop: Shop, smtp: SmtpInbox
) -> None:
    first = _send(shop)
    again = _send(shop)
    assert first.pk == again.pk and Message.objects.count() == 1
    assert (first.member_id, first.state, first.category) == (None, "queued", "transactional")
    assert (first.subject, first.body_text) == ("恭喜升级为金牌", "王五，您已升级为金牌。")

    assert services.messages_dispatch() == {"sent": 1}

    [(_, recipients, raw)] = smtp.messages
    assert recipients == [ADDRESS]
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert mail["In-Reply-To"] == "<u1@o>"
    assert "List-Unsubscribe" not in mail


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "test.newsletter"}, "kind"),  # marketing needs a member who consented
        ({"kind": "no.such"}, "kind"),
        ({"address": "not-an-address"}, "address"),
        ({"address": ""}, "address"),
        ({"cause": ""}, "cause"),
    ],
)
def test_bad_input_names_the_field_and_queues_nothing(
    shop: Shop, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(PatronError) as refused:
        _send(shop, **changes)
    assert refused.value.field == field
    assert not Message.objects.exists()


def test_the_trigger_switch_and_an_unusable_address_suppress_it(shop: Shop) -> None:
    KindSwitch.objects.create(
        shop=shop, kind="test.tier_upgraded", enabled=False, updated_at=clock.now()
    )
    assert (_send(shop).state, _send(shop).reason) == ("suppressed", "trigger_off")
    KindSwitch.objects.all().delete()
    UnusableAddress.objects.create(
        shop=shop,
        channel="email",
        address=ADDRESS,
        reason="550",
        at=clock.now(),
    )
    later = _send(shop, cause="reply:2")
    assert (later.state, later.reason) == ("suppressed", "address_unusable")
    assert services.messages_dispatch() == {}


def test_a_refused_address_bounces_and_is_not_tried_again(shop: Shop, smtp: SmtpInbox) -> None:
    smtp.refuse[ADDRESS] = "550 no such user"
    _send(shop)
    assert services.messages_dispatch() == {"bounced": 1}
    assert UnusableAddress.objects.filter(address=ADDRESS).exists()
    assert _send(shop, cause="reply:2").reason == "address_unusable"


def test_the_delivery_log_shows_it_without_a_member(shop: Shop, make_api: Any) -> None:
    _send(shop)
    api = make_api(ApiScope.MEMBERS_READ)
    [row] = api.get("/api/v1/messages").json()["items"]
    assert (row["member"], row["kind"], row["state"]) == (None, "test.tier_upgraded", "queued")
