"""Console writes that no owning app offers yet (noted in docs/decisions/ui.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.core.services import audit_record, snapshot


def coupon_template_create(*, shop: Shop, actor: User, fields: dict[str, Any]) -> Any:
    """Create a coupon template (marketing may; the Django admin is for admins)."""
    from patron.promotions import services as promotion_services
    from patron.promotions.models import CouponTemplate

    if not actor.has_perm("promotions.add_coupontemplate"):
        raise PatronError(ErrorCode.FORBIDDEN, "you may not create coupon templates", status=403)
    create = getattr(promotion_services, "template_create", None)
    if create is not None:
        return create(shop=shop, actor=actor, **fields)
    try:
        with transaction.atomic():
            template = CouponTemplate.objects.create(shop=shop, created_at=clock.now(), **fields)
            audit_record(
                actor=actor, action="coupon_template.create", obj=template, after=snapshot(template)
            )
    except IntegrityError:
        raise PatronError(
            ErrorCode.DUPLICATE, "a coupon template with this code exists", field="code"
        ) from None
    return template
