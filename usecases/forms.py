"""Forms of the use case pages. They check types and ranges per field; the rules that span
fields or rows (dates in order, unique labels) live in ``services`` and come back as field
errors through ``add_service_errors``."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from . import clock
from .form_errors import add_service_errors
from .models import (
    CHECKLIST_SECTIONS,
    Answer,
    BusinessCase,
    ChecklistItem,
    ModelChange,
    UseCase,
)
from .person_search import PersonSearch, PersonSearchField
from .selectors import active_users, field_label
from .services import BUSINESS_CASE_FIELDS, CHANGE_REASON_MAX, MODEL_CHANGE_FIELDS

FRACTION_HELP = "Enter a fraction from 0 to 1: 0.30 means 30%."


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError, field_map=None) -> None:
        """Show a service's ``ValidationError`` at the form's fields (``form_errors``)."""
        add_service_errors(self, error, field_map)


class UseCaseForm(ServiceErrorsMixin, forms.ModelForm):
    value_owner = PersonSearchField(
        required=False,
        widget=PersonSearch(placeholder="No value owner: type a name"),
        help_text="The one person accountable for this use case's net value: a username or "
        "a full name (suggestions as you type). Empty: no value owner.",
    )
    contributors = PersonSearchField(
        many=True,
        required=False,
        widget=PersonSearch(placeholder="Type a name; separate people with commas"),
        help_text="People who submit and correct this use case's reviews: usernames or full "
        "names, separated by commas (a suggestion adds its person to the list).",
    )

    class Meta:
        model = UseCase
        fields = (
            "name",
            "business_unit",
            "workflow",
            "description",
            "stage",
            "funding_status",
            "value_owner",
            "contributors",
            "target_users",
            "live_since",
            "scaled_on",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "live_since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "scaled_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    change_reason = forms.CharField(
        label="Reason for the stage or funding change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": CHANGE_REASON_MAX}),
        help_text="Required when you change the stage or funding outside a gate decision: kept "
        "in the audit and sent to the value owner.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = active_users()
        if not self.instance.pk:
            del self.fields["change_reason"]  # a new use case starts where it is created
        if self.instance.pk:
            # Active users to choose from, plus whoever holds the role now (even if their
            # account was deactivated since), so saving other fields never fails on them.
            current = Q(pk=self.instance.value_owner_id) | Q(
                pk__in=self.instance.contributors.through.objects.filter(
                    usecase_id=self.instance.pk
                ).values("user_id")
            )
            users = get_user_model().objects.filter(Q(is_active=True) | current)
            # Shown as usernames (the model's initial values are an id and user rows).
            self.initial["value_owner"] = self.instance.value_owner
            self.initial["contributors"] = sorted(
                self.instance.contributors.all(), key=lambda u: u.username.lower()
            )
        self.fields["value_owner"].queryset = users
        self.fields["contributors"].queryset = users


#: How the business case form words its fields' range errors. The ranges themselves are the
#: model fields' validators (``usecases.models.NON_NEGATIVE``, ``FRACTION``), run once by
#: ``full_clean``; a ModelForm puts a field's ``error_messages`` in place of the model's
#: message of the same code, so each value gets one message, in these words.
MIN_ZERO_MESSAGE = "Enter a number of 0 or more."
MAX_ONE_MESSAGE = "Enter a fraction from 0 to 1 (0.30 means 30%%)."  # %-formatted: "%%" is "%"


class BusinessCaseForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = BusinessCase
        fields = BUSINESS_CASE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = settings.VALUEGATE_CURRENCY
        for name, field in self.fields.items():
            field.label = field_label(BusinessCase, name)
            if not isinstance(field, forms.DecimalField):
                continue
            field.widget.attrs["min"] = "0"
            field.error_messages["min_value"] = MIN_ZERO_MESSAGE
            if name.startswith(("pilot_", "reclaimable_", "adoption_")):
                field.widget.attrs["max"] = "1"
                # "30" (meaning 30 %) has too many whole digits for a fraction: say what it is.
                field.error_messages["max_value"] = MAX_ONE_MESSAGE
                field.error_messages["max_whole_digits"] = MAX_ONE_MESSAGE
                field.help_text = " ".join(filter(None, [str(field.help_text), FRACTION_HELP]))
            elif name == "hourly_cost":
                field.help_text = f"Fully loaded cost of one hour of work, in {currency}."
            elif name.startswith("planned_monthly_"):
                field.help_text = f"Per month, in {currency}."
            elif name.startswith("one_off_"):
                field.help_text = f"Once, in {currency}."
        self.fields["baseline_tasks_per_week"].help_text = "Tasks the workflow handles per week."
        self.fields["baseline_minutes_per_task"].help_text = "Minutes one task takes without AI."
        self.fields[
            "baseline_source"
        ].help_text = "Where the baseline comes from: production data, or the pilot's test data."


class ModelChangeForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = ModelChange
        fields = MODEL_CHANGE_FIELDS
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "version_label": "As the weekly reviews will name it, e.g. “prompt-v7”. "
            "Unique within this use case.",
            "effective_date": "The day the change went into effect (not in the future).",
            "description": "What changed and why; how it was evaluated.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].widget.attrs["max"] = clock.today().isoformat()


ANSWER_CHOICES = [("", "— not answered —"), *Answer.choices]


class ChecklistForm(ServiceErrorsMixin, forms.Form):
    """The 15 checklist items in one form: ``answer_<code>`` and ``evidence_<code>`` each."""

    def __init__(self, *args, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        existing = existing or {}
        for code, label in ChecklistItem.choices:
            current = existing.get(code)
            self.fields[f"answer_{code}"] = forms.ChoiceField(
                label=f"{code} · {label}",
                choices=ANSWER_CHOICES,
                required=False,
                initial=current.answer if current else "",
            )
            self.fields[f"evidence_{code}"] = forms.CharField(
                label=f"Evidence for {code}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=current.evidence if current else "",
            )

    def sections(self):
        """For the template: ``[(title, [(code, answer field, evidence field), ...]), ...]``."""
        return [
            (title, [(code, self[f"answer_{code}"], self[f"evidence_{code}"]) for code in codes])
            for title, codes in CHECKLIST_SECTIONS.values()
        ]

    def answers(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data[f"answer_{code}"], self.cleaned_data[f"evidence_{code}"])
            for code in ChecklistItem.values
        }

    def add_service_errors(self, error, field_map=None):
        field_map = {code: f"answer_{code}" for code in ChecklistItem.values}
        super().add_service_errors(error, field_map)


class ProposalConfirmForm(ServiceErrorsMixin, forms.Form):
    """Confirm a change proposed from telemetry: the entry's label, effective date and
    description, pre-filled from the proposal (``change_proposals.proposal_defaults``)."""

    version_label = forms.CharField(
        max_length=60, help_text="As the weekly reviews will name it. Unique within this use case."
    )
    effective_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The day the change went into effect (default: the day it was first seen).",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].widget.attrs["max"] = clock.today().isoformat()
