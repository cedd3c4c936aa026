"""Naming people on a use case by typing: the value owner and the contributors of the use case
form, not a list of every account.

The form wrote every active account as an ``<option>``, twice (value owner, contributors): at
the 2,541 accounts of issue 20's portfolio a 330 KB page built in 220 ms, and picking three
contributors meant Ctrl-clicking through an 8-line box of 2,541 names.

So both are text fields (``PersonSearch``) whose ``<datalist>`` htmx fills as the user types,
from ``usecases:people_options``: at most ``OPTION_LIMIT`` people whose username, first, last or
full name contains the text. The contributors are a comma-separated list: the suggestions
complete its last name and keep the ones before it, so picking one adds it to the list. The
server accepts (``resolve_people``) usernames, and full names only one person has (any case);
anything else is reported at the field naming what it did not know, and nothing is saved.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q, Value
from django.db.models.functions import Concat, Lower, Trim
from django.urls import reverse_lazy

from .datalist_search import DatalistSearch, typed
from .selectors import person_label

#: The most people the search suggests at once: type more to narrow it.
OPTION_LIMIT = 20
#: One name: a username (150) or a first and last name (150 each) with a space between.
NAME_LENGTH = 301
#: A list of contributors: 100 names of up to ``NAME_LENGTH`` characters.
MAX_LENGTH = 30_000
#: The most people one list may name.
MAX_PEOPLE = 100


def _with_full_name(users):
    return users.annotate(
        full_name=Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))
    )


def split_names(text: str) -> list[str]:
    """The names of a comma-separated list, each as it is compared (``datalist_search.typed``),
    empty ones dropped."""
    return [name for name in (typed(part, NAME_LENGTH) for part in str(text).split(",")) if name]


def person_options(users, text: str) -> list[tuple[str, str]]:
    """``(value, label)`` for the people of ``users`` whose username, first, last or full name
    contains the last name of ``text`` (a comma-separated list), by username: at most
    ``OPTION_LIMIT``. Each value is the list with its last name completed to a username, so
    that picking it keeps the names before it. One query (none for an empty last name)."""
    before, _comma, wanted = str(text).rpartition(",")
    earlier = split_names(before)
    wanted = typed(wanted, NAME_LENGTH)
    if not wanted or len(earlier) >= MAX_PEOPLE:
        return []
    rows = (
        _with_full_name(users)
        .filter(
            Q(username__icontains=wanted)
            | Q(first_name__icontains=wanted)
            | Q(last_name__icontains=wanted)
            | Q(full_name__icontains=wanted)
        )
        .exclude(username__in=earlier)
        .order_by(Lower("username"), "pk")
        .values_list("username", "first_name", "last_name")[:OPTION_LIMIT]
    )
    return [
        (", ".join([*earlier, username]), person_label(username, f"{first} {last}".strip()))
        for username, first, last in rows
    ]


def resolve_people(users, names: list[str]) -> list:
    """The people of ``users`` that ``names`` name, in their order, each once: a username, or a
    full name only one of them has (any case). Raises ``ValidationError`` naming every name it
    could not resolve. One query."""
    if len(names) > MAX_PEOPLE:
        raise ValidationError(
            "Name at most %(limit)d people here.", code="too_many", params={"limit": MAX_PEOPLE}
        )
    lowered = [name.lower() for name in names]
    found = list(
        _with_full_name(users)
        .annotate(lower_username=Lower("username"), lower_full_name=Lower("full_name"))
        .filter(Q(lower_username__in=lowered) | Q(lower_full_name__in=lowered))
        .order_by("pk")
    )
    people, problems = [], []
    for name, low in zip(names, lowered, strict=True):
        same = [u for u in found if u.username == name] or [
            u for u in found if u.username.lower() == low
        ]
        if not same:
            same = [u for u in found if u.full_name.lower() == low]
        if len(same) == 1:
            if same[0] not in people:
                people.append(same[0])
        elif same:
            usernames = ", ".join(sorted(u.username for u in same)[:3])
            problems.append(f"Several people are called “{name}”: type the username ({usernames}).")
        else:
            problems.append(f"Nobody who can be chosen here is called “{name}”.")
    if problems:
        raise ValidationError([ValidationError(p, code="unknown") for p in problems])
    return people


class PersonSearch(DatalistSearch):
    """The people field: suggestions from ``usecases:people_options``."""

    options_url = reverse_lazy("usecases:people_options")
    placeholder = "Type a name or username"


class PersonSearchField(forms.CharField):
    """One person (``many=False``: cleans to a user or None) or a comma-separated list of people
    (``many=True``: cleans to a list of users) among ``queryset``, typed as usernames or full
    names. Its initial value is written as usernames (``as_text``)."""

    widget = PersonSearch

    def __init__(self, *, queryset=None, many=False, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)
        self.queryset = queryset if queryset is not None else get_user_model().objects.none()
        self.many = many

    def clean(self, value):
        text = super().clean(value)  # length and NUL characters first: nothing reaches SQL
        names = split_names(text or "")
        if not self.many and len(names) > 1:
            raise ValidationError("Name one person here.", code="one_person")
        people = resolve_people(self.queryset, names) if names else []
        return people if self.many else (people[0] if people else None)

    @staticmethod
    def as_text(value) -> str:
        """Users (one or a list) as the field writes them: their usernames, comma-separated."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            return value
        people = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(getattr(person, "username", str(person)) for person in people)

    def prepare_value(self, value):
        return self.as_text(value)
