"""``usecases.quick_choices``: the cheap select of many use cases (the flags page's filter, the
gate agenda's "Add a use case") offers, marks and validates exactly what Django's stock
``ModelChoiceField`` and ``Select`` do — only without a model instance or a template per option."""

import re

import django_filters
import pytest
from django import forms

from tests.conftest import make_use_case
from usecases.models import UseCase
from usecases.quick_choices import (
    NamedModelChoiceField,
    NamedModelChoiceFilter,
    QuickSelect,
)

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>(.*?)</option>', re.S)


def options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label.strip()) for value, selected, label in OPTION.findall(html)
    ]


@pytest.fixture
def use_cases(db):
    names = ["Zeta <b>bold</b> & co", 'alpha "quoted"', "Émile's assistant", "Beta"]
    return [make_use_case(name=name) for name in names]


def _stock_and_quick(queryset, **kwargs):
    class Stock(forms.Form):
        use_case = forms.ModelChoiceField(queryset=queryset, **kwargs)

    class Quick(forms.Form):
        use_case = NamedModelChoiceField(queryset=queryset, **kwargs)

    return Stock, Quick


@pytest.mark.parametrize("empty_label", ["All use cases", None])
def test_the_same_options_marked_and_escaped_as_the_stock_field(use_cases, empty_label):
    queryset = UseCase.objects.order_by("name")
    Stock, Quick = _stock_and_quick(queryset, empty_label=empty_label, required=False)
    for data in ({}, {"use_case": str(use_cases[2].pk)}):
        stock = str(Stock(data)["use_case"])
        quick = str(Quick(data)["use_case"])
        assert options(quick) == options(stock)
        assert len(options(quick)) == len(use_cases) + (empty_label is not None)
        assert "<b>" not in quick and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in quick
        assert re.search(r'<select name="use_case" id="id_use_case"', quick)
    in_order = list(queryset.values_list("name", flat=True))
    assert [c[1] for c in Quick().fields["use_case"].choices][-len(use_cases) :] == in_order


def test_validation_is_the_stock_fields(use_cases):
    visible = UseCase.objects.filter(pk__in=[uc.pk for uc in use_cases[:2]]).order_by("name")
    Stock, Quick = _stock_and_quick(visible)
    chosen = Quick({"use_case": str(use_cases[0].pk)})
    assert chosen.is_valid() and chosen.cleaned_data["use_case"] == use_cases[0]
    for bad in (str(use_cases[3].pk), "x", ""):  # not offered, not a number, missing
        stock, quick = Stock({"use_case": bad}), Quick({"use_case": bad})
        assert not quick.is_valid()
        assert quick.errors == stock.errors
    # Whatever the stock field makes of a non-ASCII digit, the quick one makes the same.
    arabic_one = Stock({"use_case": "١"}), Quick({"use_case": "١"})
    assert arabic_one[0].is_valid() == arabic_one[1].is_valid()
    assert arabic_one[0].errors == arabic_one[1].errors


def test_the_filter_field_keeps_django_filters_null_choice(use_cases):
    class Filter(django_filters.FilterSet):
        use_case = NamedModelChoiceFilter(
            queryset=UseCase.objects.order_by("name"), null_label="No use case"
        )

        class Meta:
            model = UseCase
            fields = ["use_case"]

    field = Filter().form.fields["use_case"]
    assert isinstance(field.widget, QuickSelect)
    choices = list(field.choices)
    assert choices[:2] == [("", "---------"), ("null", "No use case")]
    in_order = UseCase.objects.order_by("name").values_list("pk", "name")
    assert choices[2:] == list(in_order)
