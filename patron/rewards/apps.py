from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "patron.rewards"
    label = "rewards"
    verbose_name = "Rewards"

    def ready(self) -> None:
        from patron.rewards import messages

        messages.register_kinds()
