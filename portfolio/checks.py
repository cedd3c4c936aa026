"""``manage.py check --deploy``: what the production shape needs beyond Django's own checks."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.security, deploy=True)
def login_limits_are_shared(app_configs, **kwargs):
    """The login limits (portfolio/login_limits.py) count in the cache; a per-process cache
    gives every gunicorn worker its own budget."""
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        return [
            Warning(
                "The cache is per process: each web worker counts login checks on its own.",
                hint="Set CACHE_URL to a Redis database (docker-compose.yml: redis://redis:6379/1).",
                id="valuegate.W001",
            )
        ]
    return []
