"""Console writes that no owning app offers yet (noted in docs/decisions/ui.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop


def coupon_template_create(*, shop: Shop, actor: User, fields: dict[str, Any]) -> Any:
    """Create a coupon template (marketing may; the Django admin is for admins).

    The promotions service validates and makes it, as it does for the admin.
    """
    from patron.promotions import services as promotion_services

    if not actor.has_perm("promotions.add_coupontemplate"):
        raise PatronError(ErrorCode.FORBIDDEN, _("you may not create coupon templates"), status=403)
    return promotion_services.template_create(
        shop=shop, actor=actor, spec=promotion_services.TemplateSpec(**fields)
    )
