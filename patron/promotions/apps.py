from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "patron.promotions"
    label = "promotions"
    verbose_name = "Promotions"

    def ready(self) -> None:
        from patron.promotions import messages

        messages.register_kinds()
