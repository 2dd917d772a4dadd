"""Inbound mail as the desk needs it, parsed with the stdlib ``email``
package (policy=default): who wrote, the thread headers, the text (HTML
turned into text without running or keeping any markup), the attachments
the desk keeps, and whether it is an automatic message that must never
open a ticket or get an answer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

#: Kept types; anything else is dropped and named on the entry.
ATTACHMENT_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
)
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_MAX = 10
#: A raw mail larger than this is refused (the listener and the webhook).
MAIL_MAX_BYTES = 25 * 1024 * 1024

REFERENCE = re.compile(r"\[T(\d{1,9})\]")
_MSGID = re.compile(r"<[^<>\s]+>")
_ROBOT_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class InboundMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    in_reply_to: list[str]
    references: list[str]
    recipients: list[str]
    attachments: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: Why this is an automatic message (auto-reply, bounce, list), or "".
    automatic: str = ""

    @property
    def ticket_number(self) -> int | None:
        found = REFERENCE.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, the closest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


class _Text(HTMLParser):
    """HTML to plain text: tags dropped, script/style/head content dropped,
    block elements become line breaks; entities are decoded."""

    SKIP = frozenset({"script", "style", "head", "title", "template"})
    BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value: object) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _automatic(mail: EmailMessage, sender: str) -> str:
    auto_submitted = str(mail.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if mail.get("X-Autoreply") or mail.get("X-Autorespond"):
        return "autoreply"
    if str(mail.get("Precedence", "")).strip().lower() in ("bulk", "auto_reply", "junk", "list"):
        return "precedence"
    if mail.get_content_type() == "multipart/report" or any(
        part.get_content_type() == "message/delivery-status" for part in mail.walk()
    ):
        return "bounce"
    local = sender.split("@", 1)[0].lower()
    if not sender or local in _ROBOT_SENDERS:
        return "robot_sender"
    return ""


def parse(raw: bytes) -> InboundMail:
    """``raw`` (a whole RFC 5322 message) as the desk needs it."""
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(mail, EmailMessage)
    name, sender = parseaddr(str(mail.get("From", "")))
    sender = sender.strip().lower()
    message_id = next(iter(_ids(mail.get("Message-ID"))), "")
    if not message_id:
        # Without one, the same bytes are still recognised when posted twice.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@patron.invalid>"
    text = ""
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = str(body.get_content())
        text = html_to_text(content) if body.get_content_type() == "text/html" else content
    result = InboundMail(
        message_id=message_id,
        sender=sender,
        sender_name=name,
        subject=" ".join(str(mail.get("Subject", "")).split()),
        text=text.strip(),
        in_reply_to=_ids(mail.get("In-Reply-To")),
        references=_ids(mail.get("References")),
        recipients=[
            a.lower() for _, a in getaddresses([str(v) for v in mail.get_all("To", [])]) if a
        ],
        automatic=_automatic(mail, sender),
    )
    for part in mail.iter_attachments():
        filename = part.get_filename() or "attachment"
        ctype = part.get_content_type()
        data = part.get_payload(decode=True) or b""
        assert isinstance(data, bytes)
        if ctype not in ATTACHMENT_TYPES:
            result.dropped.append(f"{filename}: type {ctype}")
        elif len(data) > ATTACHMENT_MAX_BYTES:
            result.dropped.append(f"{filename}: {len(data)} bytes")
        elif len(result.attachments) >= ATTACHMENTS_MAX:
            result.dropped.append(f"{filename}: more than {ATTACHMENTS_MAX} files")
        else:
            result.attachments.append(Attachment(filename[:200], ctype, data))
    return result
