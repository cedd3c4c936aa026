"""``{% fixed_url 'name' %}``: the URL of a view that takes no arguments, reversed once per
process (and script prefix) instead of on every render.

The navigation in ``base.html`` names the same dozen views on every page; each ``{% url %}``
reverses its name again (issue 16: about 15 µs each on the bench machine, the navigation's 16
about 4 % of the use case page's CPU). A URL without arguments is the same for every request
with the same URL configuration and script prefix, so it is cached under those. Not for a
namespace with several instances (``current_app``): ``{% url %}`` there."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reversed(name: str, urlconf, root_urlconf, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def fixed_url(name: str) -> str:
    """``reverse(name)``, cached per URL configuration and script prefix."""
    return _reversed(name, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
