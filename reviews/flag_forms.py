"""Forms of the flags and policy pages, and the one filterset the flags page and ``flags/`` API
share (the page types the use case's name, the API gives its id: ``FlagPageFilter``)."""

import django_filters
from django import forms

from usecases.permissions import visible_use_cases_of_request
from usecases.use_case_search import UseCaseSearch, UseCaseSearchField, UseCaseSearchFilter

from . import threshold_entry
from .flags import stop_loss_rule_errors
from .models import Flag, FlagKind, Metric, StopLossRule

#: ``open``: anything else is an error at the field (400 on the API), never silently ignored.
STATUS_CHOICES = [("true", "Open"), ("false", "Resolved")]


class FlagFilter(django_filters.FilterSet):
    """``use_case`` (one the user may see), ``kind``, ``open`` (true: unresolved; false:
    resolved)."""

    use_case = django_filters.ModelChoiceFilter(
        queryset=visible_use_cases_of_request,
        label="Use case",
        help_text="Id of a use case you may see.",
    )
    kind = django_filters.ChoiceFilter(
        choices=FlagKind.choices, label="Kind", empty_label="All kinds"
    )
    open = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        label="Status",
        empty_label="Open and resolved",
        method="filter_open",
    )

    class Meta:
        model = Flag
        fields = ["use_case", "kind", "open"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(resolved_at__isnull=value == "true")


class FlagPageFilter(FlagFilter):
    """The flags page's form: the use case typed by name (``usecases.use_case_search``; its id,
    as the use case page links to it, still works), not chosen from a list of every one."""

    use_case = UseCaseSearchFilter(
        queryset=visible_use_cases_of_request,
        label="Use case",
        widget=UseCaseSearch(placeholder="Any: type a name"),
    )


class PolicyUseCaseForm(forms.Form):
    """The policy page's "open a use case's policy": any use case, typed by name."""

    use_case = UseCaseSearchField(
        label="Use case",
        error_messages={"required": "Type a use case's name and pick it from the list."},
    )

    def __init__(self, *args, use_cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["use_case"].queryset = use_cases


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
    """A rule of the default policy or a use case's override. Rates are typed and shown as
    percentages (``reviews.threshold_entry``); nonsensical thresholds are rejected at the field
    (``reviews.flags.stop_loss_rule_errors``)."""

    threshold = forms.CharField(
        label="Threshold",
        max_length=threshold_entry.MAX_TYPED,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=(
            "Rates in percent (15 means 15 %), the quality score in points from 0 to 100, the "
            "monthly net value in money."
        ),
    )
    small_percent_confirmed = forms.BooleanField(
        label="I mean less than 1 %",
        required=False,
        help_text="Rates are typed as percentages: 0.5 means 0.5 %, not 50 %.",
    )

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
        self.fields["threshold"].widget.attrs["aria-describedby"] = (
            "threshold-unit id_threshold_helptext"
        )
        self.stored = (self.instance.metric, self.instance.threshold) if self.instance.pk else None
        if self.instance.pk:
            self.initial["threshold"] = threshold_entry.to_typed(
                self.instance.metric, self.instance.threshold
            )
        self.units = {metric: threshold_entry.unit(metric) for metric in Metric.values}

    @property
    def unit(self) -> str:
        """The unit of the threshold for the metric shown (typed, else the rule's)."""
        metric = self.data.get("metric") if self.is_bound else None
        metric = metric or self.initial.get("metric") or self.instance.metric
        return self.units.get(metric, self.units[Metric.REWORK_RATE])

    @property
    def asks_small_percent(self) -> bool:
        """Show the "less than 1 %" box: it was needed, or it was ticked."""
        return self.is_bound and (
            bool(self.data.get("small_percent_confirmed")) or self._asked_small_percent
        )

    _asked_small_percent = False

    def clean_threshold(self):
        try:
            self._typed = threshold_entry.parse(self.cleaned_data["threshold"])
        except threshold_entry.EntryError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        return self._typed[0]

    def clean(self):
        cleaned = super().clean()
        metric = cleaned.get("metric")
        if "threshold" in cleaned and metric:
            typed, percent_sign = self._typed
            try:
                stored = threshold_entry.to_stored(metric, typed, percent_sign=percent_sign)
            except threshold_entry.EntryError as exc:
                self.add_error("threshold", str(exc))
            else:
                if (
                    threshold_entry.looks_like_a_fraction(metric, typed)
                    and not cleaned.get("small_percent_confirmed")
                    and self.stored != (metric, stored)
                ):
                    self._asked_small_percent = True
                    self.add_error("threshold", threshold_entry.small_percent_message(typed))
                else:
                    cleaned["threshold"] = stored
        for field, messages in stop_loss_rule_errors(cleaned).items():
            for message in messages:
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
        return cleaned
