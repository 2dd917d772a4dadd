from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from patron.api import api


def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("healthz", health),
    path("console/", include("patron.console.urls")),
    path("", include("patron.messaging.urls")),
    path("", include("patron.service.urls_mail")),
    path("", include("patron.portal.urls")),
]
