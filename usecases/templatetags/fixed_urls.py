"""``{% fixed_url 'name' %}`` and ``{% fixed_url 'name' pk %}``: the URL of a view that takes no
arguments, or one ``int``, reversed once per process (and script prefix) instead of on every
render; ``{% fixed_static 'path' %}``: a static file's URL, looked up once per process (and
settings).

The navigation in ``base.html`` names the same dozen views on every page; each ``{% url %}``
reverses its name again (issue 16: about 15 µs each on the bench machine, the navigation's 16
about 4 % of the use case page's CPU). A URL without arguments is the same for every request
with the same URL configuration and script prefix, so it is cached under those. A URL with one
``int`` argument (a use case's page, its sections and actions: 16 on the use case page) is
reversed once with a marker number in the argument's place and cached as the text either side
of it; each call puts the argument between them, which is what ``reverse`` writes for a
non-negative ``int`` (``<int:…>`` takes ``[0-9]+``). Any other argument is reversed as
``{% url %}`` would. Not for a namespace with several instances (``current_app``): ``{% url %}``
there.

``{% static %}`` asks the static files storage on every render (the manifest's hashed name,
quoted and joined to ``STATIC_URL``: about 17 µs each, five on every page). The answer changes
only with the settings (``STATIC_URL``, ``STORAGES``, ``DEBUG``: the manifest is read once, when
the storage is made), so ``{% fixed_static %}`` keeps it until a setting changes
(``setting_changed``: the tests' ``override_settings``)."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

#: Stands for the argument in a URL reversed once (``_around_int``).
_MARK = "8302959124707"


@lru_cache(maxsize=256)
def _reversed(name: str, urlconf, root_urlconf, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@lru_cache(maxsize=256)
def _around_int(name: str, urlconf, root_urlconf, prefix: str) -> tuple[str, str] | None:
    """The URL's text before and after its argument; None when the marker is not found once
    (then each call reverses)."""
    url = reverse(name, args=[int(_MARK)], urlconf=urlconf)
    if url.count(_MARK) != 1:
        return None
    before, _, after = url.partition(_MARK)
    return before, after


def reverse_int(name: str, arg: int) -> str:
    """``reverse(name, args=[arg])``, cached per URL configuration and script prefix for a
    non-negative ``int`` ``arg``."""
    if type(arg) is not int or arg < 0:
        return reverse(name, args=[arg])
    around = _around_int(name, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    if around is None:
        return reverse(name, args=[arg])
    return f"{around[0]}{arg}{around[1]}"


@register.simple_tag
def fixed_url(name: str, *args) -> str:
    """``reverse(name)`` (or with one argument, ``reverse_int``), cached per URL configuration
    and script prefix."""
    if not args:
        return _reversed(name, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    (arg,) = args
    return reverse_int(name, arg)


@lru_cache(maxsize=256)
def _static(path: str) -> str:
    return static(path)


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    _static.cache_clear()


@register.simple_tag
def fixed_static(path: str) -> str:
    """``{% static path %}``, kept until a setting changes."""
    return _static(path)
