"""Forms of the gate pages: input shapes only; the rules live in the services."""

from django import forms

from usecases.use_case_search import UseCaseSearchField

from .members import leadership_members
from .models import Choice


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class GateForm(forms.Form):
    quarter = forms.CharField(max_length=7, help_text="Calendar quarter, e.g. 2026-Q4.", strip=True)
    opens_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Inside the quarter."
    )
    closes_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="After the opening day; at most a month after the quarter ends.",
    )
    chair = LeaderChoiceField(
        queryset=None, help_text="A Leadership member; records the decisions."
    )

    def __init__(self, *args, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = leadership_members()
        if edit:
            del self.fields["quarter"]


class AddItemForm(forms.Form):
    """A use case typed by name (``usecases.use_case_search``) among those the PMO may see; one
    already on the agenda is the service's to refuse, at this field."""

    use_case = UseCaseSearchField(
        label="Add a use case",
        error_messages={"required": "Type a use case's name and pick it from the list."},
    )

    def __init__(self, *args, use_cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["use_case"].queryset = use_cases


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why — required; other voters read it once they have voted.",
    )


class DecisionForm(forms.Form):
    """The chair's decision. Nothing is pre-selected unless the vote has an outcome (the view's
    ``initial``); an empty choice is for the service to refuse, at the field, when there is no
    outcome to fall back on."""

    decision = forms.ChoiceField(choices=Choice.choices, required=False, widget=forms.RadioSelect)
    rationale = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the decision departs from the vote outcome; always welcome.",
    )
