"""Forms of the flags and policy pages, and the one filterset the flags page and ``flags/`` API
share."""

import django_filters
from django import forms

from usecases.models import UseCase
from usecases.permissions import visible_use_cases

from .flags import stop_loss_rule_errors
from .models import Flag, FlagKind, StopLossRule


def _visible_use_cases(request):
    if request is None:
        return UseCase.objects.none()
    return visible_use_cases(request.user).order_by("name")


STATUS_CHOICES = [("", "Open and resolved"), ("true", "Open"), ("false", "Resolved")]


class FlagFilter(django_filters.FilterSet):
    """``use_case`` (one the user may see), ``kind``, ``open`` (true: unresolved; false:
    resolved)."""

    use_case = django_filters.ModelChoiceFilter(
        queryset=_visible_use_cases, label="Use case", empty_label="All use cases"
    )
    kind = django_filters.ChoiceFilter(
        choices=FlagKind.choices, label="Kind", empty_label="All kinds"
    )
    open = django_filters.BooleanFilter(
        field_name="resolved_at",
        lookup_expr="isnull",
        label="Status",
        widget=forms.Select(
            choices=[("", "Open and resolved"), ("true", "Open"), ("false", "Resolved")]
        ),
    )

    class Meta:
        model = Flag
        fields = ["use_case", "kind", "open"]


class FlagResolveForm(forms.Form):
    """The note, and ``restore`` (the "Resolve and restore …" button of a flag whose breach a
    correction withdrew: the note may then stay empty, the withdrawal note is used)."""

    note = forms.CharField(
        label="Resolution note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why is this flag resolved? Kept with the flag for the gate and the audit.",
    )
    restore = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        cleaned["note"] = (cleaned.get("note") or "").strip()
        if not cleaned["note"] and not cleaned.get("restore") and "note" not in self.errors:
            self.add_error("note", "Write a note: why is this flag resolved?")
        return cleaned


class StopLossRuleForm(forms.ModelForm):
    """A rule of the default policy or a use case's override. Nonsensical thresholds are
    rejected at the field (``reviews.flags.stop_loss_rule_errors``)."""

    class Meta:
        model = StopLossRule
        fields = [
            "metric",
            "comparison",
            "threshold",
            "consecutive_weeks",
            "grace_weeks",
            "action",
            "active",
        ]
        help_texts = {
            "threshold": (
                "Rates as fractions from 0 to 1 (0.15 = 15%), quality score in points from 0 to "
                "100, monthly net value in money."
            ),
            "consecutive_weeks": (
                "Submitted weeks in a row that must all breach (for monthly net value: months "
                "with a monthly review)."
            ),
            "grace_weeks": (
                "Weeks after the use case went live during which the rule does not fire."
            ),
            "active": "Inactive rules are kept but never evaluated.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consecutive_weeks"].min_value = 1
        self.fields["consecutive_weeks"].widget.attrs["min"] = 1
        self.fields["grace_weeks"].widget.attrs["min"] = 0

    def clean(self):
        cleaned = super().clean()
        for field, messages in stop_loss_rule_errors(cleaned).items():
            for message in messages:
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
        return cleaned
