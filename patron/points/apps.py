from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "patron.points"
    label = "points"
    verbose_name = "points"

    def ready(self) -> None:
        from patron.core.config_cache import watch
        from patron.points.models import PointsProgram

        watch(PointsProgram, lambda program: program.shop_id)
