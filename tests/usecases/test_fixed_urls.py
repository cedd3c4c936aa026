"""``{% fixed_url %}`` (the navigation's URLs, and those of one ``int`` such as the use case
page's, reversed once per process and script prefix): what ``{% url %}`` renders, under any
script prefix."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from usecases.models import UseCase
from usecases.templatetags.fixed_urls import reverse_int

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


#: Every view of one ``int`` argument the use case page names (its sections, actions, flags).
INT_NAMES = (
    "usecases:detail",
    "usecases:edit",
    "reviews:weekly_new",
    "reviews:monthly_new",
    "reviews:weekly_import",
    "reviews:flag_resolve",
    "portfolio:use_case_evidence_pack",
    "portfolio:use_case_trends",
    "portfolio:use_case_business_case",
    "portfolio:use_case_history",
)


def test_fixed_url_with_an_int_renders_what_url_renders_under_each_script_prefix():
    try:
        for prefix in ("/", "/valuegate/", "/a&b/", "/8302959124707/"):
            set_script_prefix(prefix)
            for name in INT_NAMES:
                for pk in (0, 1, 7, 830, 8302959124707, 10**30):
                    expected = render(f"{{% url '{name}' {pk} %}}")
                    assert render(f"{{% fixed_url '{name}' {pk} %}}") == expected, (name, pk)
                    assert reverse_int(name, pk) == reverse(name, args=[pk])
                    assert UseCase(pk=pk).get_absolute_url() == reverse(
                        "usecases:detail", args=[pk]
                    )
    finally:
        clear_script_prefix()


def test_reverse_int_reverses_any_other_argument():
    assert reverse_int("usecases:detail", "12") == reverse("usecases:detail", args=["12"])
    with pytest.raises(NoReverseMatch):
        reverse_int("usecases:detail", -3)
    with pytest.raises(NoReverseMatch):
        reverse_int("usecases:detail", "x")


STATIC_PATHS = ("css/app.css", "img/favicon.svg", "vendor/htmx-2.0.11.min.js", "a b&c.js")


def test_fixed_static_renders_what_static_renders_and_follows_the_settings():
    def both(path):
        return (
            Template("{% load fixed_urls %}{% fixed_static '" + path + "' %}").render(Context()),
            Template("{% load static %}{% static '" + path + "' %}").render(Context()),
        )

    for path in STATIC_PATHS:
        fixed, static = both(path)
        assert fixed == static
    with override_settings(STATIC_URL="/elsewhere/"):
        for path in STATIC_PATHS:
            fixed, static = both(path)
            assert fixed == static
            assert fixed.startswith("/elsewhere/")
    fixed, static = both(STATIC_PATHS[0])
    assert fixed == static
    assert not fixed.startswith("/elsewhere/")


def test_stage_and_funding_labels_are_djangos_display():
    from django.db.models import Model

    from usecases.models import Funding, Stage, UseCase

    for stage in [*Stage.values, "unknown"]:
        for funding in [*Funding.values, "unknown"]:
            use_case = UseCase(stage=stage, funding_status=funding)
            # Django's generic get_FOO_display, which the model's own replace.
            field_display = Model._get_FIELD_display
            assert use_case.get_stage_display() == field_display(
                use_case, UseCase._meta.get_field("stage")
            )
            assert use_case.get_funding_status_display() == field_display(
                use_case, UseCase._meta.get_field("funding_status")
            )
