"""The current shop's webhooks: its subscriptions, each one's delivery log
(state, every attempt and the answer it got) and a resend button."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.console.auth import operator_required, shop_id
from patron.core.errors import PatronError
from patron.messaging.models import WebhookDelivery, WebhookDeliveryState
from patron.messaging.webhooks import selectors, services

VIEW = "messaging.view_webhooksubscription"
RESEND = "messaging.resend_webhookdelivery"
PAGE_SIZE = 50


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@operator_required(VIEW)
def webhooks_view(request: HttpRequest) -> HttpResponse:
    """Every subscription; with ``?subscription=<id>``, its newest deliveries
    (``state`` filters) with their attempts."""
    current = shop_id(request)
    subscriptions = list(selectors.subscriptions_of(current))
    chosen = None
    deliveries: list[WebhookDelivery] = []
    state = request.GET.get("state", "")
    if state not in WebhookDeliveryState.values:
        state = ""
    wanted = request.GET.get("subscription")
    if wanted is not None:
        chosen_id = _int(wanted)
        chosen = next((s for s in subscriptions if s.pk == chosen_id), None)
        if chosen is None:
            raise Http404
        deliveries, _next = selectors.deliveries_page(
            subscription=chosen, state=state or None, limit=PAGE_SIZE
        )
    return render(
        request,
        "console/webhooks.html",
        {
            "subscriptions": subscriptions,
            "chosen": chosen,
            "deliveries": deliveries,
            "state": state,
            "states": WebhookDeliveryState.choices,
            "can_resend": request.user.has_perm(RESEND),
        },
    )


@operator_required(RESEND)
@require_POST
def webhook_resend_view(request: HttpRequest) -> HttpResponse:
    """Resend one delivery of the current shop, once the operator has ticked
    the confirmation; back to its subscription's log."""
    current = shop_id(request)
    delivery_id = _int(request.POST.get("delivery"))
    if delivery_id is None:
        messages.error(request, _("Choose a delivery to resend."))
        return render(request, "console/webhooks.html", {"subscriptions": []}, status=422)
    try:
        delivery = selectors.delivery_get(shop_id=current, delivery_id=delivery_id)
    except PatronError as exc:
        raise Http404 from exc
    target = f"{reverse('console:webhooks')}?subscription={delivery.subscription_id}"
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm: the shop receives this event again."))
        return redirect(target)
    try:
        services.webhook_resend(delivery=delivery, actor=request.user)
    except PatronError as exc:
        messages.error(request, exc.detail)
        return redirect(target)
    messages.success(
        request,
        _("Delivery %(id)s will be sent again; its attempts appear below.") % {"id": delivery.pk},
    )
    return redirect(target)
