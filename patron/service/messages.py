"""What members hear from the order service: the in-app message kinds of the
service desk (registered from ``ServiceConfig.ready``)."""

from __future__ import annotations

from patron.messaging.kinds import MessageKind, kind_register, link, plain_wording, same_wording
from patron.messaging.models import Category, Channel

RETURN_UPDATED = "service.return_updated"
CHANNELS = (Channel.INAPP,)


def register_kinds() -> None:
    kind_register(
        MessageKind(
            code=RETURN_UPDATED,
            category=Category.TRANSACTIONAL,
            variables={
                "reference": "the return request's reference, e.g. R12",
                "order": "the shop's order id",
                "state": "the request's new state, in words",
                "note": "the reason of a refusal, or empty",
                "returns_url": "the member's returns page",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "退换货申请 {{ reference }}：{{ state }}",
                    "订单 {{ order }} 的退换货申请 {{ reference }} 现在是「{{ state }}」。"
                    "{{ note }}\n\n查看：{{ returns_url }}",
                ),
                en=plain_wording(
                    "Return {{ reference }}: {{ state }}",
                    "Your return {{ reference }} for order {{ order }} is now: {{ state }}. "
                    "{{ note }}\n\nSee it: {{ returns_url }}",
                ),
            ),
        )
    )


def returns_link() -> str:
    return link("/returns/")
