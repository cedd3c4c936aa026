"""``{% fixed_url %}`` (the navigation's URLs, reversed once per process and script prefix):
what ``{% url %}`` renders, under any script prefix."""

from django.template import Context, Template
from django.urls import clear_script_prefix, set_script_prefix

NAMES = ("portfolio:home", "usecases:list", "reviews:flags", "admin:index", "api:docs", "logout")


def render(source: str) -> str:
    return Template("{% load fixed_urls %}" + source).render(Context())


def test_fixed_url_renders_what_url_renders_under_each_script_prefix():
    try:
        for prefix in ("/", "/valuegate/", "/a&b/"):
            set_script_prefix(prefix)
            for name in NAMES:
                expected = render(f"{{% url '{name}' %}}")
                assert render(f"{{% fixed_url '{name}' %}}") == expected
                assert expected.startswith(prefix.replace("&", "&amp;"))
    finally:
        clear_script_prefix()
