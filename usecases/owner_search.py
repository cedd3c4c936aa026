"""The value-owner filter of the dashboard and the overdue tracker: a search field, not a list of
every owner.

A portfolio of 20,000 use cases has about 2,500 value owners. Written as ``<option>``s they made
the dashboard's filter form the one part of the page that grew with the portfolio (issue 20: the
distinct owners read, sorted and rendered on every request, about a third of the page's time
outside SQL at that size), and a list of 2,500 names is no way to find one anyway.

So the field is a text input (``OwnerSearch``) with a ``<datalist>`` that htmx fills as the user
types, from ``owner_options``: at most ``OPTION_LIMIT`` owners of use cases the user may see
whose name or username contains the text. Without JavaScript it still works: the server accepts a
username, or a full name that only one owner has (``OwnerField``); anything else is reported at
the field and left out of the filter, as every other filter does with a value it does not know.
``NO_OWNER`` ("(none)") filters the use cases without a value owner.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q, Value
from django.db.models.functions import Concat, Lower
from django.urls import reverse_lazy

from .datalist_search import DatalistSearch, typed
from .person_search import NAME_LENGTH
from .selectors import person_label

#: ``owner`` value for use cases without a value owner (no username contains "(").
NO_OWNER = "(none)"
NO_OWNER_LABEL = "— no value owner —"

#: The most owners the search lists at once: type more to narrow it.
OPTION_LIMIT = 20

#: A username or a full name.
MAX_LENGTH = NAME_LENGTH


def _with_full_name(use_cases):
    return use_cases.order_by().annotate(
        owner_name=Concat(
            "value_owner__first_name",
            Value(" "),
            "value_owner__last_name",
            output_field=CharField(),
        )
    )


def _typed(text: str) -> str:
    return typed(text, MAX_LENGTH)


def owner_options(use_cases, text: str) -> list[tuple[str, str]]:
    """``(value, label)`` for the value owners of ``use_cases`` (the user's visible use cases)
    whose username, first, last or full name contains ``text`` (any case), by name: at most
    ``OPTION_LIMIT``. "No value owner" comes first when ``text`` is empty or part of its label
    and some use case has none. One query (two with the ownerless check)."""
    text = _typed(text)
    found = _with_full_name(use_cases).filter(value_owner__isnull=False)
    if text:
        found = found.filter(
            Q(value_owner__username__icontains=text) | Q(owner_name__icontains=text)
        )
    rows = (
        found.values_list(
            "value_owner__username", "value_owner__first_name", "value_owner__last_name"
        )
        .annotate(sort_name=Lower("owner_name"))
        .order_by("sort_name", "value_owner__username")
        .distinct()[:OPTION_LIMIT]
    )
    options = [
        (username, person_label(username, f"{first} {last}".strip()))
        for username, first, last, *_ in rows
    ]
    if (not text or text.lower() in f"{NO_OWNER_LABEL} {NO_OWNER}".lower()) and use_cases.filter(
        value_owner__isnull=True
    ).exists():
        options.insert(0, (NO_OWNER, NO_OWNER_LABEL))
    return options[:OPTION_LIMIT]


def resolve_owner(use_cases, text: str) -> str:
    """The username ``text`` names among the value owners of ``use_cases``: a username, or a full
    name only one of them has (any case); ``NO_OWNER`` if some use case has none. Raises
    ``ValidationError`` with a message for the field otherwise. One query."""
    text = _typed(text)
    if text == NO_OWNER:
        if use_cases.filter(value_owner__isnull=True).exists():
            return NO_OWNER
        raise ValidationError("Every use case you can see has a value owner.", code="unknown")
    rows = list(
        _with_full_name(use_cases)
        .filter(Q(value_owner__username=text) | Q(owner_name__iexact=text))
        .values_list("value_owner__username", flat=True)
        .distinct()[:4]
    )
    if text in rows:
        return text
    if len(rows) == 1:
        return rows[0]
    if rows:
        raise ValidationError(
            "Several value owners are called “%(name)s”: type the username (%(usernames)s).",
            code="ambiguous",
            params={"name": text, "usernames": ", ".join(sorted(rows)[:3])},
        )
    raise ValidationError(
        "No use case you can see has the value owner “%(name)s”. Type part of a name and "
        "pick one from the list.",
        code="unknown",
        params={"name": text},
    )


class OwnerSearch(DatalistSearch):
    """The owner field: suggestions from ``usecases:owner_options``."""

    options_url = reverse_lazy("usecases:owner_options")
    placeholder = "Any: type a name"


class OwnerField(forms.CharField):
    """A value owner by username or full name among ``use_cases`` (set by the filter set):
    cleans to the username, or ``NO_OWNER``."""

    widget = OwnerSearch

    def __init__(self, *, use_cases=None, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)
        self.use_cases = use_cases

    def clean(self, value):
        value = super().clean(value)  # length and NUL characters first: nothing reaches SQL
        if not value or self.use_cases is None:
            return value
        return resolve_owner(self.use_cases, value)
