from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "patron.messaging"
    label = "messaging"
    verbose_name = _("messaging")

    def ready(self) -> None:
        # Consent given through the shop API and the member writes lands in
        # messaging's preferences, the one source of truth for it.
        from patron.members.services import member_consent_writer_register
        from patron.messaging.services import member_consents_write

        member_consent_writer_register(member_consents_write)
