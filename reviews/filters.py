"""django-filter filtersets for the review lists (API; the pages may use them too).

``week`` and ``month`` are matched through the indexed ``week_start`` / ``month_start`` dates:
a week or month that does not parse is a 400 with the same message as the forms give.
"""

import datetime

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from usecases import economics
from usecases.permissions import visible_use_cases_of_request

from .models import MonthlyReview, WeeklyReview


class IsoWeekField(forms.CharField):
    """``2026-W47`` → the Monday of that ISO week."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            monday, _sunday = economics.iso_week_bounds(*economics.parse_iso_week(text))
        except ValueError as exc:
            raise forms.ValidationError("%(error)s", params={"error": str(exc)}) from None
        return monday


class MonthStartField(forms.CharField):
    """``2026-11`` → 1 November 2026."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            year, month = economics.parse_month(text)
        except ValueError as exc:
            raise forms.ValidationError("%(error)s", params={"error": str(exc)}) from None
        return datetime.date(year, month, 1)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-W\d{2}$", "example": "2026-W47"})
class IsoWeekFilter(django_filters.Filter):
    field_class = IsoWeekField


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthFilter(django_filters.Filter):
    field_class = MonthStartField


def _use_case_filter():
    return django_filters.ModelChoiceFilter(
        queryset=visible_use_cases_of_request, help_text="Id of a use case you may see."
    )


class WeeklyReviewFilter(django_filters.FilterSet):
    use_case = _use_case_filter()
    week = IsoWeekFilter(field_name="week_start", help_text="ISO week, e.g. 2026-W47.")

    class Meta:
        model = WeeklyReview
        fields = ["use_case", "week"]


class MonthlyReviewFilter(django_filters.FilterSet):
    use_case = _use_case_filter()
    month = MonthFilter(field_name="month_start", help_text="Calendar month, e.g. 2026-11.")

    class Meta:
        model = MonthlyReview
        fields = ["use_case", "month"]
