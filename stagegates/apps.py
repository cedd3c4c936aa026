from django.apps import AppConfig


class StagegatesConfig(AppConfig):
    name = "stagegates"
    verbose_name = "Stage gates"
