"""Messaging state. Member messages (outbox, templates, consent, caps) first;
webhook subscriptions and deliveries after them."""

from __future__ import annotations
