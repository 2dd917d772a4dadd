from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "patron.service"
    label = "service"
    verbose_name = _("service desk")

    def ready(self) -> None:
        from patron.service import replies

        replies.register()
