"""The portal's writes: each calls one service of the owning app and shapes a
JSON-safe answer, so that ``run_once`` can replay it for a double submit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.core.validation import text_problem
from patron.members.models import Member


def check_in(*, member: Member) -> tuple[int, dict[str, Any]]:
    from patron.points import services as points_services

    result = points_services.checkin_record(member=member)
    return 200, {"points": result["points"], "streak": result["streak"]}


def claim(*, member: Member, post: QueryDict) -> tuple[int, dict[str, Any]]:
    from patron.promotions import services as promotion_services
    from patron.promotions.models import FlashSale

    sale_id = post.get("sale", "")
    template_code = post.get("template", "")
    problem = text_problem(template_code)
    if problem:
        raise PatronError(ErrorCode.VALIDATION_ERROR, problem, field="template")
    # str.isdigit() is true for "²" and "٣", which int() refuses; and a
    # number past 64 bits matches no row. Either is no such sale.
    if sale_id.isascii() and sale_id.isdigit() and len(sale_id) <= 18:
        sale = FlashSale.objects.filter(pk=int(sale_id), shop=member.shop).first()
        if sale is None:
            raise PatronError(ErrorCode.NOT_FOUND, _("no such flash sale"), field="sale")
        coupon = promotion_services.flash_sale_claim(sale=sale, member=member)
    elif sale_id:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such flash sale"), field="sale")
    elif template_code:
        coupon = promotion_services.coupon_claim(
            shop=member.shop, member=member, template_code=template_code
        )
    else:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("nothing to claim"), field="sale")
    return 200, {"coupon": coupon.code}


def redeem(*, member: Member, reward: Any, request: HttpRequest) -> tuple[int, dict[str, Any]]:
    from patron.rewards import services as reward_services

    redemption, _created = reward_services.redemption_place(
        shop=member.shop,
        member=member,
        reward=reward,
        request_id=f"portal-{request.POST.get('idem', '')}"[:64],
        shipping_address=request.POST.get("shipping_address", "").strip(),
    )
    return 200, {"redemption": redemption.pk}
