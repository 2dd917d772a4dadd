"""What members hear from the order service: the in-app message kinds of the
service desk (registered from ``ServiceConfig.ready``)."""

from __future__ import annotations

from patron.messaging.kinds import MessageKind, kind_register, link, plain_wording, same_wording
from patron.messaging.models import Category, Channel

RETURN_UPDATED = "service.return_updated"
ORDER_CHANGE_ANSWERED = "service.order_change_answered"
CHANNELS = (Channel.INAPP,)


def register_kinds() -> None:
    register_order_change_kind()
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


def register_order_change_kind() -> None:
    kind_register(
        MessageKind(
            code=ORDER_CHANGE_ANSWERED,
            category=Category.TRANSACTIONAL,
            variables={
                "order": "the shop's order id",
                "change": "what was asked, in words",
                "outcome": "accepted or refused, in words",
                "reason": "the shop's reason, or empty",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "订单 {{ order }} 修改结果：{{ outcome }}",
                    "您对订单 {{ order }} 的修改（{{ change }}）商家已处理："
                    "{{ outcome }}。{{ reason }}",
                ),
                en=plain_wording(
                    "Order {{ order }}: your change was {{ outcome }}",
                    "Your change to order {{ order }} ({{ change }}) was {{ outcome }}. "
                    "{{ reason }}",
                ),
            ),
        )
    )


def returns_link() -> str:
    return link("/returns/")
