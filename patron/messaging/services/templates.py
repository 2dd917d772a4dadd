"""Templates: the shop's wording of a kind, checked when saved; which wording
a message gets; rendering for one member."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.members.models import Member
from patron.messaging.consent import unsubscribe_url
from patron.messaging.kinds import BASE_LANGUAGE, LANGUAGES, ChannelTemplate, MessageKind, kind_get
from patron.messaging.models import Channel, Template
from patron.messaging.templating import render, template_fields_check


@dataclass(frozen=True)
class Wording:
    """The template a message on one channel in one language uses."""

    template: ChannelTemplate
    language: str  # the language of the wording (zh-hans when it fell back)
    fell_back: bool  # the wanted language had none


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    sms_template_code: str
    sms_params: dict[str, str] = field(default_factory=dict)
    language: str = BASE_LANGUAGE
    fell_back: bool = False


def _kind(code: str, field_name: str = "kind") -> MessageKind:
    try:
        return kind_get(code)
    except LookupError:
        raise validation_error(
            field_name, lazy_format(_("unknown message kind %(kind)s"), kind=code)
        ) from None


def _kind_on(kind: str, channel: str, language: str) -> MessageKind:
    """The kind, checked to be sent on ``channel`` and ``language`` to be one
    Patron writes in; a refusal names the field at fault."""
    message_kind = _kind(kind)
    if channel not in message_kind.channels:
        raise validation_error(
            "channel",
            lazy_format(_("%(kind)s is not sent on %(channel)s"), kind=kind, channel=channel),
        )
    if language not in LANGUAGES:
        raise validation_error(
            "language", lazy_format(_("must be one of %(known)s"), known=", ".join(LANGUAGES))
        )
    return message_kind


def template_save(
    *,
    shop: Shop,
    kind: str,
    channel: str,
    language: str,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    sms_template_code: str = "",
    actor: User | AnonymousUser | None = None,
) -> Template:
    """Save the shop's wording of ``kind`` on ``channel`` in ``language``.
    A template using anything beyond the kind's variables and simple
    conditions is refused naming the field and line; nothing is saved."""
    require_perm(actor, "messaging.change_template", shop=shop, what="edit message templates")
    message_kind = _kind_on(kind, channel, language)
    fields = {"subject": subject, "body_text": body_text, "body_html": body_html}
    if len(subject) > 200:
        raise validation_error("subject", _("at most 200 characters"))
    if channel == Channel.EMAIL and not subject.strip():
        raise validation_error("subject", _("an e-mail needs a subject"))
    if not body_text.strip():
        raise validation_error("body_text", _("the text must not be empty"))
    template_fields_check(message_kind, fields)
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        template, _created = Template.objects.update_or_create(
            shop=shop,
            kind=kind,
            channel=channel,
            language=language,
            defaults={
                **fields,
                "sms_template_code": sms_template_code,
                "updated_at": clock.now(),
                "updated_by": user,
            },
        )
        audit_record(
            actor=actor,
            action="messaging.template_save",
            obj=template,
            after={**fields, "sms_template_code": sms_template_code},
        )
    return template


def wordings(*, shop_id: int, kind: MessageKind, channel: str) -> dict[str, Wording]:
    """language -> the wording a member of that language gets: the shop's own,
    else the kind's default, else (flagged) the zh-Hans one."""
    return wordings_by_channel(shop_id=shop_id, kind=kind, channels=[channel])[channel]


def wordings_by_channel(
    *, shop_id: int, kind: MessageKind, channels: Iterable[str]
) -> dict[str, dict[str, Wording]]:
    """channel -> ``wordings`` on it, the shop's templates read in one query."""
    wanted = list(dict.fromkeys(channels))
    own: dict[str, dict[str, ChannelTemplate]] = {channel: {} for channel in wanted}
    for t in Template.objects.filter(shop_id=shop_id, kind=kind.code, channel__in=wanted):
        own[t.channel][t.language] = ChannelTemplate(
            subject=t.subject,
            body_text=t.body_text,
            body_html=t.body_html,
            sms_template_code=t.sms_template_code,
        )
    return {channel: _wordings_of(kind, channel, own[channel]) for channel in wanted}


def _wordings_of(
    kind: MessageKind, channel: str, own: Mapping[str, ChannelTemplate]
) -> dict[str, Wording]:
    defaults = kind.defaults.get(Channel(channel), {})
    found: dict[str, Wording] = {}
    for language in LANGUAGES:
        template = own.get(language) or defaults.get(language)
        if template is not None:
            found[language] = Wording(template, language, fell_back=False)
    base = found.get(BASE_LANGUAGE)
    if base is None:
        raise LookupError(f"{kind.code} has no {BASE_LANGUAGE} wording on {channel}")
    for language in LANGUAGES:
        found.setdefault(language, Wording(base.template, BASE_LANGUAGE, fell_back=True))
    return found


def render_context(
    *, member: Member, shop_name: str, kind: MessageKind, channel: str, context: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        **context,
        "member": {
            "name": member.name,
            "external_id": member.external_id,
            "tier": context.get("member_tier", ""),
        },
        "shop": {"name": shop_name},
        "unsubscribe_url": unsubscribe_url(
            member_id=member.pk, channel=channel, category=kind.category
        ),
    }


def render_for(*, wording: Wording, values: Mapping[str, Any], sms_suffix: str = "") -> Rendered:
    template = wording.template
    body_text = render(template.body_text, values)
    if sms_suffix and not body_text.rstrip().endswith(sms_suffix):
        body_text = f"{body_text.rstrip()}{sms_suffix}"
    params = {
        k: str(v)
        for k, v in values.items()
        if isinstance(v, str | int) and not isinstance(v, bool) and k != "unsubscribe_url"
    }
    params["member_name"] = str(values["member"]["name"])
    return Rendered(
        subject=render(template.subject, values).strip(),
        body_text=body_text,
        body_html=render(template.body_html, values, html=True),
        sms_template_code=template.sms_template_code,
        sms_params=params,
        language=wording.language,
        fell_back=wording.fell_back,
    )


def template_preview(
    *,
    kind: str,
    channel: str,
    language: str,
    member: Member,
    context: Mapping[str, Any] | None = None,
) -> Rendered:
    """The message ``member`` would get, rendered with their real data (and
    ``context`` for the kind's own variables). ``fell_back`` says the wanted
    language had no wording and zh-Hans was used."""
    message_kind = _kind_on(kind, channel, language)
    wording = wordings(shop_id=member.shop_id, kind=message_kind, channel=channel)[language]
    values = render_context(
        member=member,
        shop_name=member.shop.name,
        kind=message_kind,
        channel=channel,
        context=context or {},
    )
    return render_for(wording=wording, values=values)
