"""Every write of the promotions app: coupon templates, issuing, claims and
flash sales (``coupons``), and checkout holds (``holds``)."""

from patron.promotions.services.coupons import (
    TemplateSpec,
    check_tier,
    coupon_build,
    coupon_claim,
    coupon_issue,
    coupon_revoke,
    flash_sale_claim,
    template_create,
    template_get,
    template_public_code_assign,
    template_validate,
)

__all__ = [
    "TemplateSpec",
    "check_tier",
    "coupon_build",
    "coupon_claim",
    "coupon_issue",
    "coupon_revoke",
    "flash_sale_claim",
    "template_create",
    "template_get",
    "template_public_code_assign",
    "template_validate",
]
