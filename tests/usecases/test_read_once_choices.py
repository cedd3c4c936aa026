"""``usecases.quick_choices.ReadOnceModelChoiceField``: a short queryset read once per form — one
plain SELECT lists the options and finds the value sent — accepting exactly what Django's
``ModelChoiceField`` accepts (compared value by value, hostile ones included)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_use_case
from usecases.models import ModelChange
from usecases.quick_choices import ReadOnceModelChoiceField

pytestmark = pytest.mark.django_db

#: Values a client may send for a version's id. Django turns some of them into an id (an
#: Arabic-Indic digit, surrounding spaces), refuses the others; the field must do the same.
SENT = [
    "{pk}",
    " {pk} ",
    "0{pk}",
    "\u0660{pk}",
    "{pk}.0",
    "1e400",
    "9" * 5000,
    "-1",
    "",
    "   ",
    "x",
    "{pk}\x00",
    "\ud800",
    "{other}",
    "999999999",
    "٣",
]


def _arabic(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _field_pair(use_case):
    queryset = ModelChange.objects.filter(use_case=use_case).order_by("-effective_date", "-id")
    return (
        forms.ModelChoiceField(queryset=queryset, required=False),
        ReadOnceModelChoiceField(queryset=queryset, required=False),
    )


def _outcome(field, value):
    try:
        return ("ok", field.clean(value))
    except ValidationError as exc:
        return ("refused", exc.code)


@pytest.fixture
def changes():
    use_case = make_use_case()
    other = make_use_case(name="Another use case")
    mine = [
        ModelChange.objects.create(
            use_case=use_case, version_label=f"v{i}", kind="model", effective_date="2026-10-01"
        )
        for i in range(3)
    ]
    theirs = ModelChange.objects.create(
        use_case=other, version_label="w1", kind="model", effective_date="2026-10-01"
    )
    return use_case, mine, theirs


def test_it_accepts_and_refuses_what_django_does(changes):
    use_case, mine, theirs = changes
    django_field, read_once = _field_pair(use_case)
    sent = [text.format(pk=mine[1].pk, other=theirs.pk) for text in SENT]
    sent += [_arabic(str(mine[0].pk)), mine[2], theirs, mine[2].pk, None]
    for value in sent:
        assert _outcome(read_once, value) == _outcome(django_field, value), repr(value)[:40]
    assert _outcome(read_once, str(mine[1].pk)) == ("ok", mine[1])
    assert _outcome(read_once, str(theirs.pk)) == ("refused", "invalid_choice")


def test_listing_and_cleaning_read_the_versions_once(changes):
    use_case, mine, _ = changes
    _, field = _field_pair(use_case)
    with CaptureQueriesContext(connection) as reads:
        assert field.clean(str(mine[0].pk)) == mine[0]
        listed = [str(value) for value, _label in field.choices]
        assert len(field.choices) == 4 and bool(field.choices)
        assert field.clean(str(mine[2].pk)) == mine[2]
    assert listed == ["", *(str(c.pk) for c in sorted(mine, key=lambda c: -c.pk))]
    assert len(reads) == 1
    assert reads[0]["sql"].lstrip().upper().startswith("SELECT")


def test_each_form_reads_its_own_copy(changes):
    """A form deep-copies its fields: a version recorded between two forms is offered by the
    second (the read is per form, not per process)."""
    use_case, mine, _ = changes

    class Form(forms.Form):
        version = ReadOnceModelChoiceField(queryset=ModelChange.objects.none(), required=False)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["version"].queryset = ModelChange.objects.filter(use_case=use_case)

    first = Form()
    assert len(list(first.fields["version"].choices)) == 4
    added = ModelChange.objects.create(
        use_case=use_case, version_label="v9", kind="prompt", effective_date="2026-11-01"
    )
    second = Form({"version": str(added.pk)})
    assert second.is_valid(), second.errors
    assert second.cleaned_data["version"] == added
    assert len(list(first.fields["version"].choices)) == 4  # the first form's read stands
