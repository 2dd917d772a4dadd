"""Django's admin app with Patron's site (``patron.core.admin_site``): kept apart
because an app config module may not import models."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PatronAdminConfig(AdminConfig):
    default_site = "patron.core.admin_site.PatronAdminSite"
