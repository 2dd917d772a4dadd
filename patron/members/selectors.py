from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.members.models import Member


def member_get(*, shop: Shop, external_id: str, field: str = "member") -> Member:
    """The member a request body or an event names; an unknown one is bad
    input (422 ``unknown_member``) naming ``field``."""
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


def member_of_path(*, shop: Shop, external_id: str) -> Member:
    """The member a URL names (``/members/{external_id}`` and everything under
    it): an unknown one is a resource that does not exist, 404
    ``unknown_member``, as for any other path."""
    try:
        return member_get(shop=shop, external_id=external_id, field="external_id")
    except PatronError as error:
        error.status = 404
        raise
