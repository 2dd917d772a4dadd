"""Files on a ticket's entries: images (JPEG, PNG, WebP, GIF) and PDF.

The type is what the content says (its magic bytes), not what the name or
the sender claims, and the name's extension must agree with it; the size is
limited by ``PATRON_SERVICE_ATTACHMENT_MAX_BYTES`` (10 MB). Files are stored
through Django's default storage."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.service.models import Attachment, TicketEntry

ATTACHMENTS_MAX = 10
NAME_MAX = 200

#: content type -> the extensions a name of it may carry
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "application/pdf": (".pdf",),
}


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: the sender's name for it and its bytes."""

    name: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The content type the bytes are, among the accepted ones, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def max_bytes() -> int:
    return int(settings.PATRON_SERVICE_ATTACHMENT_MAX_BYTES)


def uploads_check(uploads: Sequence[Upload], field: str = "attachments") -> list[str]:
    """The content type of each upload, or a validation error naming the
    failing one (``attachments[1]``); call before writing anything."""
    if len(uploads) > ATTACHMENTS_MAX:
        raise validation_error(
            field, lazy_format(_("at most %(limit)d files"), limit=ATTACHMENTS_MAX)
        )
    types = []
    for i, upload in enumerate(uploads):
        where = f"{field}[{i}]"
        name = os.path.basename((upload.name or "").strip())
        if not name or len(name) > NAME_MAX:
            raise validation_error(
                where, lazy_format(_("a file name of 1 to %(limit)d characters"), limit=NAME_MAX)
            )
        if not upload.content:
            raise validation_error(where, _("the file is empty"))
        if len(upload.content) > max_bytes():
            raise validation_error(
                where,
                lazy_format(
                    _("the file is larger than %(limit)d MB"), limit=max_bytes() // (1024 * 1024)
                ),
            )
        content_type = sniff(upload.content)
        if content_type is None:
            raise validation_error(
                where, _("only images (JPEG, PNG, WebP, GIF) and PDF files are accepted")
            )
        if not name.lower().endswith(EXTENSIONS[content_type]):
            raise validation_error(
                where,
                lazy_format(
                    _("the name %(name)s does not match its content (%(type)s)"),
                    name=name,
                    type=content_type,
                ),
            )
        types.append(content_type)
    return types


def attachments_add(
    *, entry: TicketEntry, uploads: Sequence[Upload], field: str = "attachments"
) -> list[Attachment]:
    """Check then store ``uploads`` on ``entry`` (in the caller's transaction;
    a refusal names the file and stores none)."""
    types = uploads_check(uploads, field)
    now = clock.now()
    made = []
    for upload, content_type in zip(uploads, types, strict=True):
        name = os.path.basename(upload.name.strip())
        attachment = Attachment(
            entry=entry,
            name=name,
            content_type=content_type,
            size=len(upload.content),
            created_at=now,
        )
        attachment.file.save(name, ContentFile(upload.content), save=False)
        attachment.save()
        made.append(attachment)
    return made
