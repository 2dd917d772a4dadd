"""Attachments on member messages, replies and notes: images and PDF by
their content, a size limit, stored through Django's storage; a refusal names
the file and saves nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import Attachment, EntryKind, TicketEntry
from patron.service.services.attachments import Upload, sniff
from patron.service.tests.desk_helpers import GIF, JPEG, PDF, PNG, WEBP, agent, team, ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (b"MZ\x90\x00", None),
        (b"<svg xmlns=...>", None),
        (b"RIFF\x00\x00\x00\x00WAVE", None),
    ],
)
def test_sniffing_reads_the_content_not_the_name(content: bytes, expected: str | None) -> None:
    assert sniff(content) == expected


def test_a_reply_with_files_stores_them_through_the_default_storage(
    shop: Shop, member: Member, settings: Any
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    entry = services.agent_reply(
        ticket=t,
        agent=wang,
        body="see the label",
        attachments=[Upload("label.PNG", PNG), Upload("invoice.pdf", PDF)],
    )
    stored = list(entry.attachments.order_by("pk"))
    assert [(a.name, a.content_type, a.size) for a in stored] == [
        ("label.PNG", "image/png", len(PNG)),
        ("invoice.pdf", "application/pdf", len(PDF)),
    ]
    assert default_storage.open(str(stored[0].file.name)).read() == PNG
    assert Path(settings.MEDIA_ROOT, str(stored[1].file.name)).read_bytes() == PDF


def test_member_messages_and_notes_carry_files_too(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    services.member_writes(ticket=t, body="photo", attachments=[Upload("broken.jpg", JPEG)])
    services.agent_note(ticket=t, agent=wang, body="n", attachments=[Upload("a.webp", WEBP)])
    kinds = sorted(a.entry.kind for a in Attachment.objects.select_related("entry"))
    assert kinds == ["member", "note"]


@pytest.mark.parametrize(
    ("uploads", "field"),
    [
        ([Upload("ok.png", PNG), Upload("virus.png", b"MZ\x90\x00rest")], "attachments[1]"),
        ([Upload("photo.png", PDF)], "attachments[0]"),  # the name lies about the content
        ([Upload("run.exe", PNG)], "attachments[0]"),
        ([Upload("empty.png", b"")], "attachments[0]"),
        ([Upload("", PNG)], "attachments[0]"),
        ([Upload(f"{i}.png", PNG) for i in range(11)], "attachments"),
    ],
)
def test_a_refused_file_is_named_and_nothing_is_saved(
    shop: Shop, member: Member, uploads: list[Upload], field: str, settings: Any
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    with pytest.raises(PatronError) as refused:
        services.agent_reply(ticket=t, agent=wang, body="x", attachments=uploads)
    assert (refused.value.code, refused.value.field) == ("validation_error", field)
    assert not TicketEntry.objects.filter(kind=EntryKind.REPLY).exists()
    assert not Attachment.objects.exists()
    assert not Path(settings.MEDIA_ROOT).exists()


def test_the_size_limit_is_a_setting(shop: Shop, member: Member, settings: Any) -> None:
    settings.PATRON_SERVICE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    pre = team(shop, "pre")
    t = ticket(shop, member, pre)
    big = PNG + b"\x00" * (1024 * 1024)
    with pytest.raises(PatronError) as refused:
        services.member_writes(ticket=t, body="big", attachments=[Upload("big.png", big)])
    assert refused.value.field == "attachments[0]"
    assert "1 MB" in str(refused.value)
    assert t.entries.count() == 1
    services.member_writes(ticket=t, body="fits", attachments=[Upload("ok.png", big[:-100])])
    assert Attachment.objects.count() == 1


def test_the_default_limit_is_ten_megabytes(settings: Any) -> None:
    # the test settings keep the default (no PATRON_SERVICE_ATTACHMENT_MAX_BYTES set)
    assert settings.PATRON_SERVICE_ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024
