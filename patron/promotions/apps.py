from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "patron.promotions"
    label = "promotions"
    verbose_name = "Promotions"
