"""Fixtures of the cross-app tests: the real local SMTP server of the
messaging tests, shared rather than copied."""

from patron.messaging.tests.conftest import SmtpInbox, smtp

__all__ = ["SmtpInbox", "smtp"]
