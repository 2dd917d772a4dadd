"""Background work for the portal: e-mail leaves the request path."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from patron.members.models import Member


@task()
def password_reset_mail(*, member_id: int, url: str) -> bool:
    """Send the password reset link, in the member's language."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not member.email:
        return False
    with translation.override(member.language or "zh-hans"):
        subject = render_to_string("portal/email/password_reset_subject.txt").strip()
        body = render_to_string(
            "portal/email/password_reset_body.txt", {"member": member, "url": url}
        )
    send_mail(subject, body, None, [member.email])
    return True
