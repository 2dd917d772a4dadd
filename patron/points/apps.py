from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "patron.points"
    label = "points"
    verbose_name = "points"

    def ready(self) -> None:
        from patron.core.config_cache import watch
        from patron.members.services import member_milestone_handler_register
        from patron.points import messages
        from patron.points.models import PointsProgram
        from patron.points.services.actions import member_milestones_earn

        # Sign-up and profile-completed points: members runs this handler on
        # every write that creates a member or first completes a profile.
        member_milestone_handler_register(member_milestones_earn)

        messages.register_kinds()

        watch(PointsProgram, lambda program: program.shop_id)
