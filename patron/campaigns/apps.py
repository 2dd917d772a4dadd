from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "patron.campaigns"
    label = "campaigns"
    verbose_name = _("campaigns")

    def ready(self) -> None:
        from patron.campaigns import messages

        messages.register_kinds()
