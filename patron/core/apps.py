from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "patron.core"
    label = "core"
    verbose_name = "Core"


def installed(app: str) -> bool:
    """Whether the Patron app ``app`` (its label, e.g. ``"points"``) is installed."""
    from django.apps import apps

    return apps.is_installed(f"patron.{app}")
