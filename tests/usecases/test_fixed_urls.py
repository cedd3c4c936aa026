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


def test_pk_url_is_reverse_with_the_pk_under_each_script_prefix():
    from django.urls import reverse

    from usecases.models import UseCase
    from usecases.templatetags.fixed_urls import pk_url

    try:
        for prefix in ("/", "/valuegate/", "/a&b/"):
            set_script_prefix(prefix)
            for pk in (0, 1, 9, 959, 918273645, 2**40):
                expected = reverse("usecases:detail", args=[pk])
                assert pk_url("usecases:detail", pk) == expected
                assert UseCase(pk=pk).get_absolute_url() == expected
                assert expected.startswith(prefix)
            # Not an int: reverse decides (a digit string is reversed; anything else refused).
            assert pk_url("usecases:detail", "12") == reverse("usecases:detail", args=["12"])
    finally:
        clear_script_prefix()


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
