from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "patron.events"
    label = "events"
