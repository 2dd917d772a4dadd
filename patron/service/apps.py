from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "patron.service"
    label = "service"
    verbose_name = _("service desk")

    def ready(self) -> None:
        from patron.service.services.conversation import reply_sender_register
        from patron.service.services.mail import mail_kind_register, mail_reply_send

        mail_kind_register()
        reply_sender_register(mail_reply_send)
        # Tiers announces tier changes; service listens (tiers never imports it).
        from patron.service.services.sla import sla_tier_changed
        from patron.tiers.listeners import tier_change_listen

        tier_change_listen(sla_tier_changed)
        from patron.service import messages

        messages.register_kinds()
        from patron.service import replies

        replies.register()
