from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "patron.rules"
    label = "rules"
    verbose_name = "rules"
