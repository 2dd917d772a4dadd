"""The console owns no data; this model only carries its permissions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsoleAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("console access")
        permissions = [
            ("view_dashboard", "Can see the console dashboard"),
            ("use_console", "Can sign in to the operator console"),
        ]
