"""The inbound-mail webhook: a mail provider (or a forwarding script)
posts each raw message here.

``POST /api/v1/service/mail/inbound`` with the raw RFC 5322 bytes as the
body (``Content-Type: message/rfc822``) and the inbox's token in
``X-Patron-Mail-Token``. The mail's Message-ID makes a repost harmless."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from patron.core.errors import ErrorCode, PatronError
from patron.service.services.mail import mail_inbox_by_token, mail_receive

router = Router(tags=["service"])


class MailOut(Schema):
    action: str
    ticket: str | None
    why: str


@router.post("/mail/inbound", auth=None, response=MailOut, url_name="service_mail_inbound")
def mail_inbound(request: HttpRequest) -> MailOut:
    inbox = mail_inbox_by_token(request.headers.get("X-Patron-Mail-Token", ""))
    raw = request.body
    if not raw.strip():
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("the raw mail is missing"), field="body")
    outcome = mail_receive(inbox=inbox, raw=raw)
    return MailOut(
        action=outcome.action,
        ticket=outcome.ticket.reference if outcome.ticket is not None else None,
        why=outcome.why,
    )
