from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self):
        from . import api_tokens, checks, throttling  # noqa: F401  (receivers, checks, schema)

        api_tokens.connect_password_signals()
