from __future__ import annotations

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.members.models import Member


def member_get(*, shop: Shop, external_id: str, field: str = "member") -> Member:
    member = Member.objects.filter(shop=shop, external_id=external_id).first()
    if member is None:
        raise PatronError(
            ErrorCode.UNKNOWN_MEMBER, f"no member with external_id {external_id!r}", field=field
        )
    return member
