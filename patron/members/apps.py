from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "patron.members"
    label = "members"
