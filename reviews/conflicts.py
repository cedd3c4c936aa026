"""A correction refused because the review changed meanwhile (``services.StaleVersionError``):
what the user typed that differs from the review as it is now, so they can re-apply it."""

import dataclasses
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Difference:
    label: str
    yours: str
    current: str


@dataclasses.dataclass(frozen=True)
class Conflict:
    """A correction refused because the review changed meanwhile (``StaleVersionError``)."""

    current: object  # the review as it is now
    by_you: bool
    differences: list[Difference]


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def conflict_of(form, current, *, user) -> Conflict:
    """What the user typed that differs from the current review (so they can re-apply it)."""
    differences = [
        Difference(str(form.fields[name].label), _shown(value), _shown(getattr(current, name)))
        for name, value in form.cleaned_data.items()
        if name in form._meta.fields
        and name != form.period_field
        and _shown(value) != _shown(getattr(current, name))
    ]
    return Conflict(current, current.updated_by_id == user.pk, differences)
