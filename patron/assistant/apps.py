from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "patron.assistant"
    label = "assistant"
    verbose_name = _("assistant")

    def ready(self) -> None:
        from patron.assistant.intents import register_default_intents
        from patron.assistant.social import social_first_response
        from patron.service.services.intake import first_responder_register

        register_default_intents()
        first_responder_register(social_first_response)
