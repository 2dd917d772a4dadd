from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Holds the cross-app ``seed-demo`` command; no models."""

    name = "patron.demo"
    label = "demo"
    verbose_name = "Demo data"
