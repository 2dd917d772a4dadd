"""Who may return what (退换货 eligibility): the shop's return policy (the
window after delivery, non-returnable categories), the units of each line
still returnable, and the checks of a new request, each naming its field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from patron.core.errors import lazy_format, validation_error
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.members.models import Member
from patron.orders.models import Order, OrderLine, OrderStatus
from patron.service.models import ReturnLine, ReturnSettings, ReturnState

RS = ReturnState
Actor = User | AnonymousUser | None
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
PHOTOS_MAX = 9
PHOTO_BYTES_MAX = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")
#: A delivered order: completed (签收), possibly partly refunded since.
DELIVERED = (OrderStatus.COMPLETED, OrderStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class ReturnLineInput:
    line_id: str
    quantity: int


def return_settings(shop: Shop | int) -> ReturnSettings:
    """The shop's return policy (the defaults until an operator saves one)."""
    shop_id = shop.pk if isinstance(shop, Shop) else shop
    found = ReturnSettings.objects.filter(shop_id=shop_id).first()
    return found or ReturnSettings(shop_id=shop_id)


def return_settings_save(
    *,
    shop: Shop,
    window_days: int,
    non_returnable_categories: Sequence[str],
    actor: Actor = None,
) -> ReturnSettings:
    if not isinstance(window_days, int) or not 0 <= window_days <= 365:
        raise validation_error("window_days", _("must be a whole number of days from 0 to 365"))
    categories = sorted({c.strip() for c in non_returnable_categories if c and c.strip()})
    if any(len(c) > 100 for c in categories):
        raise validation_error("non_returnable_categories", _("at most 100 characters each"))
    row, _created = ReturnSettings.objects.update_or_create(
        shop=shop,
        defaults={"window_days": window_days, "non_returnable_categories": categories},
    )
    audit_record(
        actor=actor,
        action="service.return_settings",
        obj=row,
        after={"window_days": window_days, "non_returnable_categories": categories},
        shop=shop,
    )
    return row


def returnable_quantities(order: Order) -> dict[int, int]:
    """Per order line (pk), the units a new request may still ask for: bought,
    less refunded, less those in requests not refused whose refund has not
    landed yet (a landed refund is in ``refunded_quantity`` already)."""
    pending = dict(
        ReturnLine.objects.filter(request__order=order, request__refunded_at__isnull=True)
        .exclude(request__state=RS.REFUSED)
        .values_list("line_id")
        .annotate(q=Sum("quantity"))
    )
    return {
        ln.pk: ln.quantity - ln.refunded_quantity - pending.get(ln.pk, 0)
        for ln in order.lines.all()
    }


def _order_checked(order: Order, member: Member, at: dt.datetime) -> None:
    """Refuses an order that is not the member's, not delivered or past the window."""
    if order.member_id != member.pk:
        raise validation_error("order_id", _("the order belongs to another member"))
    if order.status not in DELIVERED or order.completed_at is None:
        raise validation_error(
            "order_id",
            lazy_format(
                _("the order is %(status)s; only a delivered order can be returned"),
                status=order.status,
            ),
        )
    policy = return_settings(order.shop_id)
    ends = order.completed_at + dt.timedelta(days=policy.window_days)
    if at > ends:
        raise validation_error(
            "order_id",
            lazy_format(
                _("the return window of %(days)d days ended at %(ends)s"),
                days=policy.window_days,
                ends=ends.isoformat(),
            ),
        )


def _lines_checked(order: Order, lines: Sequence[ReturnLineInput]) -> list[tuple[OrderLine, int]]:
    if not lines:
        raise validation_error("lines", _("name at least one line to return"))
    by_id = {ln.line_id: ln for ln in order.lines.all()}
    left = returnable_quantities(order)
    blocked = set(return_settings(order.shop_id).non_returnable_categories)
    seen: set[str] = set()
    wanted: list[tuple[OrderLine, int]] = []
    for i, item in enumerate(lines):
        line = by_id.get(item.line_id)
        if line is None:
            raise validation_error(
                f"lines[{i}].line_id",
                lazy_format(_("the order has no line %(line)s"), line=repr(item.line_id)),
            )
        if item.line_id in seen:
            raise validation_error(f"lines[{i}].line_id", _("the line is named twice"))
        seen.add(item.line_id)
        if line.category and line.category in blocked:
            raise validation_error(
                f"lines[{i}].line_id",
                lazy_format(
                    _("goods of the category %(category)s cannot be returned"),
                    category=line.category,
                ),
            )
        if not isinstance(item.quantity, int) or item.quantity < 1:
            raise validation_error(f"lines[{i}].quantity", _("must be at least 1"))
        if item.quantity > left[line.pk]:
            raise validation_error(
                f"lines[{i}].quantity",
                lazy_format(
                    _("only %(left)d of this line can still be returned"), left=left[line.pk]
                ),
            )
        wanted.append((line, item.quantity))
    return wanted


def _photos_checked(photos: Sequence[UploadedFile]) -> None:
    if len(photos) > PHOTOS_MAX:
        raise validation_error(
            "photos", lazy_format(_("at most %(count)d photos"), count=PHOTOS_MAX)
        )
    for i, photo in enumerate(photos):
        if (photo.content_type or "") not in PHOTO_TYPES:
            raise validation_error(f"photos[{i}]", _("must be a JPEG, PNG, WebP or HEIC image"))
        if (photo.size or 0) > PHOTO_BYTES_MAX:
            raise validation_error(f"photos[{i}]", _("must be at most 5 MB"))
