from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self):
        from . import api_tokens, throttling  # noqa: F401  (lockout receivers, schema extension)

        api_tokens.connect_password_signals()
