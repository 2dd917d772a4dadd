"""Messaging in the console: the triggers (message kinds) with their on/off
switch, the template editor with a preview for a chosen member, and a
member's delivery log."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patron.console import selectors as console_selectors
from patron.console.auth import operator_required, shop_id
from patron.console.forms import MessageTemplateForm
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import selectors as messaging_selectors
from patron.messaging import services as messaging_services
from patron.messaging.kinds import BASE_LANGUAGE, LANGUAGES, MessageKind, kind_get, kinds_all
from patron.messaging.models import Channel, MessageState, Template

logger = logging.getLogger(__name__)

VIEW_KINDS = "messaging.view_kindswitch"
SWITCH_KINDS = "messaging.change_kindswitch"
VIEW_TEMPLATES = "messaging.view_template"
EDIT_TEMPLATES = "messaging.change_template"
VIEW_LOG = "messaging.view_message"
LOG_PAGE = 50


@operator_required(VIEW_KINDS)
def triggers_view(request: HttpRequest) -> HttpResponse:
    """Every registered message kind, its channels and whether it is on here."""
    shop = get_object_or_404(Shop, pk=shop_id(request))
    switched = messaging_selectors.kind_switches_of(shop)
    rows = [{"kind": kind, "enabled": switched.get(kind.code, True)} for kind in kinds_all()]
    return render(
        request,
        "console/messaging_triggers.html",
        {"rows": rows, "can_switch": request.user.has_perm(SWITCH_KINDS)},
    )


@operator_required(SWITCH_KINDS)
@require_POST
def trigger_switch_view(request: HttpRequest) -> HttpResponse:
    shop = get_object_or_404(Shop, pk=shop_id(request))
    kind = request.POST.get("kind", "")
    enabled = request.POST.get("enabled") == "1"
    try:
        messaging_services.kind_switch_set(
            shop=shop, kind=kind, enabled=enabled, actor=request.user
        )
    except PatronError as exc:
        messages.error(request, exc.detail)
    else:
        if enabled:
            messages.success(request, _("%(kind)s is on.") % {"kind": kind})
        else:
            messages.success(
                request,
                _("%(kind)s is off: its messages are recorded as suppressed.") % {"kind": kind},
            )
    return redirect("console:messaging_triggers")


def _kind_or_404(code: str) -> MessageKind:
    try:
        return kind_get(code)
    except LookupError:
        raise Http404(code) from None


def _choice(value: str | None, allowed: list[str] | tuple[str, ...]) -> str:
    return value if value is not None and value in allowed else allowed[0]


def _initial(shop: Shop, kind: MessageKind, channel: str, language: str) -> dict[str, str]:
    """The shop's own wording, else the kind's default in that language (empty if none)."""
    own = Template.objects.filter(
        shop=shop, kind=kind.code, channel=channel, language=language
    ).first()
    if own is not None:
        source: Any = own
    else:
        source = kind.defaults.get(Channel(channel), {}).get(language)
    if source is None:
        return {}
    return {
        "subject": source.subject,
        "body_text": source.body_text,
        "body_html": source.body_html,
        "sms_template_code": source.sms_template_code,
    }


def _form(channel: str, **kwargs: Any) -> MessageTemplateForm:
    """The editor's form with the fields its channel uses: HTML for e-mail
    only, the provider's template code for SMS only."""
    form = MessageTemplateForm(**kwargs)
    if channel != Channel.EMAIL:
        del form.fields["body_html"]
    if channel != Channel.SMS:
        del form.fields["sms_template_code"]
    return form


def _chosen_member(request: HttpRequest, query: str) -> tuple[Member | None, list[Member]]:
    """The member named by ``query`` (their member number, else the only
    search hit), or None and the hits to choose from."""
    if not query:
        return None, []
    current = shop_id(request)
    exact = Member.objects.select_related("shop").filter(shop_id=current, external_id=query).first()
    if exact is not None:
        return exact, []
    hits = list(
        console_selectors.member_search(
            shop_id=current,
            query=query,
            include_pii=request.user.has_perm("members.view_member_pii"),
            limit=10,
        )
    )
    if len(hits) == 1:
        return hits[0], []
    return None, hits


def _preview(
    kind: MessageKind, channel: str, language: str, member: Member
) -> tuple[Any | None, str]:
    """The message ``member`` would get; the kind's own variables shown as
    their names in brackets, as a real send would fill them in."""
    sample = {name: f"[{name}]" for name in kind.variables}
    try:
        rendered = messaging_services.template_preview(
            kind=kind.code, channel=channel, language=language, member=member, context=sample
        )
    except PatronError as exc:
        return None, str(exc.detail)
    except Exception:  # a condition comparing a sample with a number, say
        logger.warning("preview of %s failed", kind.code, exc_info=True)
        return None, _("This wording cannot be previewed with sample values.")
    return rendered, ""


@operator_required(VIEW_TEMPLATES)
@require_http_methods(["GET", "POST"])
def template_edit_view(request: HttpRequest) -> HttpResponse:
    """One kind's wording per channel × language (``?kind=&channel=&language=``),
    saved through messaging (refused naming the field, nothing saved) and a
    preview for a member chosen by number or search (``?member=``)."""
    shop = get_object_or_404(Shop, pk=shop_id(request))
    if not request.GET.get("kind"):
        return redirect("console:messaging_triggers")
    kind = _kind_or_404(request.GET["kind"])
    channels = [str(c) for c in kind.channels]
    channel = _choice(request.GET.get("channel"), channels)
    language = _choice(request.GET.get("language"), LANGUAGES)
    can_edit = request.user.has_perm(EDIT_TEMPLATES)
    status = 200
    if request.method == "POST":
        if not can_edit:
            return render(request, "console/forbidden.html", status=403)
        form = _form(channel, data=request.POST)
        if form.is_valid():
            try:
                messaging_services.template_save(
                    shop=shop,
                    kind=kind.code,
                    channel=channel,
                    language=language,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except PatronError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.detail)
            else:
                messages.success(request, _("The template has been saved."))
                return redirect(request.get_full_path())
        status = 422
    else:
        form = _form(channel, initial=_initial(shop, kind, channel, language))
    query = request.GET.get("member", "").strip()[:100]
    member, candidates = _chosen_member(request, query)
    preview, preview_error = (None, "")
    if member is not None:
        preview, preview_error = _preview(kind, channel, language, member)
    return render(
        request,
        "console/messaging_template.html",
        {
            "kind": kind,
            "channels": [(c, Channel(c).label) for c in channels],
            "channel": channel,
            "languages": LANGUAGES,
            "language": language,
            "base_language": BASE_LANGUAGE,
            "form": form,
            "can_edit": can_edit,
            "query": query,
            "member": member,
            "candidates": candidates,
            "preview": preview,
            "preview_error": preview_error,
            "variables": kind.all_variables(),
        },
        status=status,
    )


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@operator_required(VIEW_LOG)
def member_messages_view(request: HttpRequest, member_id: int) -> HttpResponse:
    """The member's messages newest first: kind, channel, state, reason, times."""
    member = get_object_or_404(
        Member.objects.select_related("shop"), pk=member_id, shop_id=shop_id(request)
    )
    state = request.GET.get("state", "")
    if state not in MessageState.values:
        state = ""
    rows, next_before = messaging_selectors.messages_log(
        shop=member.shop,
        member=member,
        state=state or None,
        before=_int(request.GET.get("before")),
        limit=LOG_PAGE,
    )
    next_url = None
    if next_before is not None:
        next_url = f"{reverse('console:member_messages', args=[member.pk])}?before={next_before}"
        if state:
            next_url += f"&state={state}"
    return render(
        request,
        "console/member_messages.html",
        {
            "member": member,
            "rows": rows,
            "state": state,
            "states": MessageState.choices,
            "next_url": next_url,
        },
    )
