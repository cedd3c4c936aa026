from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        from usecases.transitions import register_guard

        from .stage_guards import open_stop_loss_flags

        register_guard(open_stop_loss_flags)

        # The notification kinds these modules make are routed to chat alert events
        # (``usecases.alerts.route``) when they are imported: import them with the app.
        from . import reminders, stoploss_effects, withdrawals  # noqa: F401
