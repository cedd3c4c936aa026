"""The portfolio dashboard's filters: one django-filter FilterSet that validates the query string,
filters the table's queryset in SQL and renders the filter form (page and htmx fragment alike).

Every filter lives in the URL (``?business_unit=Finance&stage=scaled&flags=open&sort=-net_value``),
so a filtered, sorted view can be shared as a link. The business units come from the use cases the
user may see (one query); the value owner is searched among them (``owner_search``). An unknown
value is reported at the field and left out of the filter.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from reviews.models import Flag
from usecases.models import Funding, Stage, UseCase
from usecases.owner_search import NO_OWNER, OwnerField
from usecases.quick_choices import QuickSelect, SharedChoices

FLAGS_OPEN = "open"
FLAGS_NONE = "none"
FLAG_CHOICES = [(FLAGS_OPEN, "With open flags"), (FLAGS_NONE, "Without open flags")]

#: Sort keys of the table (``-`` prefix: descending). The database sorts every row before paging
#: (``dashboard.sorted_queryset``); net value sorts by the engine's formula over SQL sums.
SORT_FIELDS = {
    "name": "Name",
    "business_unit": "Business unit",
    "stage": "Stage",
    "funding": "Funding",
    "owner": "Value owner",
    "adoption": "Adoption",
    "rework": "Rework",
    "net_value": "Net value",
    "flags": "Open flags",
}
DEFAULT_SORT = "name"
SORT_CHOICES = [
    choice
    for key, label in SORT_FIELDS.items()
    for choice in ((key, f"{label} ↑"), (f"-{key}", f"{label} ↓"))
]


def _open_flags():
    return Flag.objects.open().filter(use_case=OuterRef("pk"))


def choices_for(use_cases) -> dict[str, SharedChoices]:
    """The business unit choices among ``use_cases`` (a queryset): one query. The value owner
    is a search field (``owner_search``), not a list of every owner."""
    units = use_cases.order_by().values_list("business_unit", flat=True).distinct()
    return {"business_unit": SharedChoices((u, u) for u in sorted(units, key=str.lower))}


class OwnerFilter(django_filters.Filter):
    field_class = OwnerField


class DashboardFilter(django_filters.FilterSet):
    """Business unit, stage, funding, value owner, open flags, and the sort order."""

    business_unit = django_filters.ChoiceFilter(
        label="Business unit", empty_label="All units", choices=[], widget=QuickSelect
    )
    stage = django_filters.ChoiceFilter(
        label="Stage", empty_label="All stages", choices=Stage.choices, widget=QuickSelect
    )
    funding = django_filters.ChoiceFilter(
        field_name="funding_status",
        label="Funding",
        empty_label="All funding",
        choices=Funding.choices,
        widget=QuickSelect,
    )
    owner = OwnerFilter(
        label="Value owner",
        method="filter_owner",
        help_text="A name or username: type part of one to pick from the list.",
    )
    flags = django_filters.ChoiceFilter(
        label="Flags",
        empty_label="Any",
        choices=FLAG_CHOICES,
        method="filter_flags",
        widget=QuickSelect,
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        choices=SORT_CHOICES,
        empty_label=None,
        method="keep",
        widget=forms.Select,
    )

    class Meta:
        model = UseCase
        fields = ["business_unit", "stage", "funding", "owner", "flags"]

    def __init__(self, data=None, queryset=None, *, choices=None, owners_among=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        choices = choices if choices is not None else choices_for(self.queryset)
        self.filters["business_unit"].extra["choices"] = choices["business_unit"]
        self.filters["owner"].extra["use_cases"] = (
            owners_among if owners_among is not None else self.queryset
        )

    def filter_owner(self, queryset, name, value):
        if value == NO_OWNER:
            return queryset.filter(value_owner__isnull=True)
        return queryset.filter(value_owner__username=value)

    def filter_flags(self, queryset, name, value):
        if value == FLAGS_OPEN:
            return queryset.filter(Exists(_open_flags()))
        if value == FLAGS_NONE:
            return queryset.exclude(Exists(_open_flags()))
        return queryset

    def keep(self, queryset, name, value):
        """``sort`` orders the rows after the figures are computed (see ``dashboard``)."""
        return queryset

    @property
    def sort_key(self) -> str:
        """The validated sort key (``DEFAULT_SORT`` when absent or unknown)."""
        if self.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("sort") or DEFAULT_SORT
        value = self.data.get("sort") if self.data else None
        return value if value in dict(SORT_CHOICES) else DEFAULT_SORT

    @property
    def is_filtered(self) -> bool:
        """A filter value was given and applied: a refused value (an unknown unit, an owner no
        visible use case has) filters nothing, so the table does not say it "matches" it."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # validates once; cleaned_data holds the fields that passed
        return any(self.form.cleaned_data.get(name) for name in self.Meta.fields)

    @property
    def refused(self) -> list[str]:
        """The labels of the filters whose value was refused (the message is at the field)."""
        if not self.is_bound:
            return []
        errors = self.form.errors
        return [str(self.filters[name].label) for name in self.Meta.fields if name in errors]
