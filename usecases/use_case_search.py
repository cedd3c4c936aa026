"""Choosing one use case by typing its name: a search field, not a list of every use case.

The flags page's use case filter, the stop-loss policy page's "open a use case's policy" and a
gate's "Add a use case" each wrote every use case the user may see as an ``<option>``: 20,000 of
them at the size issue 20 measures, about 1 MB of each page, and no way to find one anyway.

So the field is a text input (``UseCaseSearch``) with a ``<datalist>`` that htmx fills as the
user types, from ``usecases:use_case_options``: at most ``OPTION_LIMIT`` use cases the user may
see whose name contains the text, by name. The server accepts (``resolve_use_case``):

- a use case's name, in any case (names are unique regardless of case), spaces collapsed;
- its id as ASCII digits, as the links of the use case page and the API's filters carry it
  (``?use_case=959``), and as a page without JavaScript still receives it from older links;
- ``name (#id)``: how the list offers a use case whose name is only digits, so that picking it
  never reads as another use case's id.

Anything else is reported at the field with what to do, and a filter is then left out, as every
other filter does with a value it does not know. A use case the user may not see is answered
exactly like one that does not exist. The field shows the chosen use case's name, also when the
URL carried its id.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.urls import reverse_lazy

from .datalist_search import DatalistSearch, typed
from .models import Stage

#: The most use cases the search lists at once: type more to narrow it.
OPTION_LIMIT = 20

#: A use case's name is at most 120 characters; an id suffix " (#12345678901)" fits beside it.
MAX_LENGTH = 150

_WITH_ID = re.compile(r"^(?P<name>.*) \(#(?P<pk>[0-9]{1,18})\)$")
_ID = re.compile(r"^[0-9]{1,18}$")  # ASCII only: "１２" is a name, never an id


def _typed(text: str) -> str:
    return typed(text, MAX_LENGTH)


def display_text(pk: int, name: str) -> str:
    """How a use case is written in the field and offered in the list: its name, unless the
    name is only digits (it would read as an id), then ``name (#id)``."""
    return f"{name} (#{pk})" if _ID.match(name) else name


def use_case_options(use_cases, text: str) -> list[tuple[str, str]]:
    """``(value, stage)`` for the use cases of ``use_cases`` (those the user may see) whose name
    contains ``text`` (any case), by name: at most ``OPTION_LIMIT``. One query."""
    text = _typed(text)
    found = use_cases.order_by()
    if text:
        found = found.filter(name__icontains=text)
    rows = found.annotate(sort_name=Lower("name")).order_by("sort_name", "pk")[:OPTION_LIMIT]
    return [
        (display_text(pk, name), Stage(stage).label)
        for pk, name, stage in rows.values_list("pk", "name", "stage")
    ]


def resolve_use_case(use_cases, text: str):
    """The use case of ``use_cases`` that ``text`` names (see the module's docstring). Raises
    ``ValidationError`` with a message for the field otherwise. One query."""
    text = _typed(text)
    by_id = _WITH_ID.match(text)
    if by_id:
        found = use_cases.filter(pk=int(by_id["pk"]), name__iexact=by_id["name"]).first()
        if found is not None:
            return found
    if _ID.match(text):
        found = use_cases.filter(pk=int(text)).first()
        if found is not None:
            return found
    found = use_cases.filter(name__iexact=text).first()
    if found is not None:
        return found
    raise ValidationError(
        "No use case you can choose here is called “%(name)s”. Type part of its name and pick "
        "it from the list.",
        code="unknown",
        params={"name": text},
    )


class UseCaseSearch(DatalistSearch):
    """The use case field: suggestions from ``usecases:use_case_options``."""

    options_url = reverse_lazy("usecases:use_case_options")
    placeholder = "Type a use case's name"


class UseCaseSearchField(forms.CharField):
    """One use case of ``queryset`` (the use cases the user may choose here), typed by name or
    id: cleans to the ``UseCase``. Shows the chosen use case's name once the form is validated."""

    widget = UseCaseSearch

    def __init__(self, *, queryset=None, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)
        self.queryset = queryset
        self._chosen = None  # (what was typed, the use case it named)

    def clean(self, value):
        value = super().clean(value)  # length and NUL characters first: nothing reaches SQL
        if not value or self.queryset is None:
            return None
        use_case = resolve_use_case(self.queryset, value)
        self._chosen = (value, use_case)
        return use_case

    def prepare_value(self, value):
        if self._chosen is not None and value == self._chosen[0]:
            use_case = self._chosen[1]
            return display_text(use_case.pk, use_case.name)
        return value


class UseCaseSearchFilter(django_filters.filters.QuerySetRequestMixin, django_filters.Filter):
    """django-filter's use case filter as a ``UseCaseSearchField``; ``queryset`` as for
    ``ModelChoiceFilter`` (a callable gets the request)."""

    field_class = UseCaseSearchField
