from django.apps import AppConfig


class StagegatesConfig(AppConfig):
    name = "stagegates"
    verbose_name = "Stage gates"

    def ready(self):
        # Routes the gate notices to chat alert events (``usecases.alerts.route``).
        from . import notices  # noqa: F401
