from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patron.console import dashboard as data
from patron.console.auth import operator_required, shop_id


@operator_required("console.view_dashboard")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "console/dashboard.html", data.dashboard_context(shop_id(request)))
