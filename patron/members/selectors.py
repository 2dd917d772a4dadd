from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.members.models import Member


def member_get(*, shop: Shop, external_id: str, field: str = "member") -> Member:
    member = Member.objects.filter(shop=shop, external_id=external_id).first()
    if member is None:
        raise PatronError(
            ErrorCode.UNKNOWN_MEMBER,
            lazy_format(
                _("no member with external_id %(external_id)s"), external_id=repr(external_id)
            ),
            field=field,
        )
    return member
