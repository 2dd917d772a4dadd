"""Configuration pages: coupon templates (made here so marketing can), earning
rules with a preview on a sample order, and links into the admin for the rest."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patron.console import once
from patron.console.auth import operator_required, shop_id


@operator_required("promotions.view_coupontemplate")
def coupon_templates_view(request: HttpRequest) -> HttpResponse:
    from patron.promotions.models import CouponTemplate

    templates = CouponTemplate.objects.filter(shop_id=shop_id(request)).order_by("-created_at")[
        :200
    ]
    return render(request, "console/coupon_templates.html", {"templates": templates})


@operator_required("promotions.add_coupontemplate")
def coupon_template_new_view(request: HttpRequest) -> HttpResponse:
    from patron.console.forms import CouponTemplateForm, coupon_template_create

    form = CouponTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = coupon_template_create(request, form)
        if result is not None:
            return result
    return render(
        request,
        "console/coupon_template_form.html",
        {"form": form, "idem": once.new_token()},
        status=422 if request.method == "POST" else 200,
    )


@operator_required("rules.view_earningrule")
def rules_view(request: HttpRequest) -> HttpResponse:
    from patron.console.forms import rules_page

    return rules_page(request, shop_id(request))


@operator_required()
def configuration_view(request: HttpRequest) -> HttpResponse:
    return render(request, "console/configuration.html")
