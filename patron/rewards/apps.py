from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "patron.rewards"
    label = "rewards"
    verbose_name = "Rewards"

    def ready(self) -> None:
        from patron.points.services.cash import rate_source_register
        from patron.rewards.selectors import points_cash_rate

        # Checkout reads the points-as-cash rates through the points services.
        rate_source_register(points_cash_rate)
