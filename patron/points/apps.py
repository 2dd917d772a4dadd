from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "patron.points"
    label = "points"
    verbose_name = "points"
