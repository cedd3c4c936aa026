"""``{% fixed_url 'name' %}``: the URL of a view that takes no arguments, reversed once per
process (and script prefix) instead of on every render.

The navigation in ``base.html`` names the same dozen views on every page; each ``{% url %}``
reverses its name again (issue 16: about 15 µs each on the bench machine, the navigation's 16
about 4 % of the use case page's CPU). A URL without arguments is the same for every request
with the same URL configuration and script prefix, so it is cached under those. Not for a
namespace with several instances (``current_app``): ``{% url %}`` there.

``pk_url(name, pk)``: the URL of a view that takes one integer (a primary key), e.g. a use
case's page on every row of the dashboard: reversed once with a placeholder, the pk put in its
place (an integer's URL is its digits, as the ``int`` converter writes it)."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reversed(name: str, urlconf, root_urlconf, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


#: A pk no URL is expected to contain elsewhere: where it appears is where the pk goes.
_PLACEHOLDER = 918273645


@lru_cache(maxsize=256)
def _around_pk(name: str, urlconf, root_urlconf, prefix: str) -> tuple[str, str] | None:
    url = reverse(name, urlconf=urlconf, args=[_PLACEHOLDER])
    head, found, tail = url.partition(str(_PLACEHOLDER))
    if not found or str(_PLACEHOLDER) in tail:
        return None
    return head, tail


def pk_url(name: str, pk) -> str:
    """``reverse(name, args=[pk])`` for an ``int`` pk, its pattern cached per URL configuration
    and script prefix."""
    urlconf = get_urlconf()
    around = _around_pk(name, urlconf, settings.ROOT_URLCONF, get_script_prefix())
    if around is None or type(pk) is not int or pk < 0:
        return reverse(name, urlconf=urlconf, args=[pk])
    return f"{around[0]}{pk}{around[1]}"


@register.simple_tag
def fixed_url(name: str) -> str:
    """``reverse(name)``, cached per URL configuration and script prefix."""
    return _reversed(name, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
