"""Select fields with many options that stay cheap to render (issue 20: the dashboard's business
units and the like).

Django's stock ``Select`` renders a template per option (about 0.1 ms each). Here the options are
joined in Python (``QuickSelect``: the same ``<select>``, its ``<option>`` elements escaped by
``format_html``), and a long list that nothing changes is shared by every copy of its field
(``SharedChoices``). A list that grows with the portfolio itself (one option per use case) is no
select at all: ``usecases.use_case_search``. A short list read from the database for one form
(a use case's model/prompt versions) is read once (``ReadOnceModelChoiceField``).
"""

import html

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """Django's ``<select>``, its options written in Python: the stock widget renders a template
    per option (about 0.1 ms each). The same HTML as ``ChoiceWidget.optgroups`` gives (groups
    flattened; only the first option matching the value is selected), without building a dict
    of attributes per option."""

    def render(self, name, value, attrs=None, renderer=None):
        wanted = set(self.format_value(value))
        found = False
        options = []
        for option_value, option_label in self.choices:
            group = (
                option_label
                if isinstance(option_label, (list, tuple))
                else [(option_value, option_label)]
            )
            for sub_value, sub_label in group:
                sub_value = "" if sub_value is None else sub_value
                selected = not found and str(sub_value) in wanted
                found = found or selected
                options.append(
                    f'<option value="{_escaped(sub_value)}"'
                    f"{' selected' if selected else ''}>{_escaped(sub_label)}</option>"
                )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),
        )


def _escaped(value) -> str:
    """``conditional_escape(value)``, with its common cases done directly: a plain ``str`` is
    ``html.escape``-d, as Django's ``escape`` does, and an ``int`` (a pk) needs none. Django's own
    call costs three wrapped calls per value, most of a 2,000-option select's time."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int:
        return str(value)
    return conditional_escape(value)


class SharedChoices(tuple):
    """A long list of choices that nothing changes, shared by every copy of its field: a form
    deep-copies its fields' choices when it is built (Django's ``ChoiceField.__deepcopy__``),
    a few milliseconds per request for the dashboard's hundreds of value owners."""

    def __deepcopy__(self, memo):
        return self


class _ReadOnceIterator(ModelChoiceIterator):
    """The field's options from the list it read (``ReadOnceModelChoiceField.options``)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.options():
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.options()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.options())


class ReadOnceModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` over a short queryset that reads it once per form: one plain
    ``SELECT`` for its options and for finding the value sent among them. Django's reads the
    options through ``QuerySet.iterator()`` (on PostgreSQL a server-side cursor: DECLARE, FETCH,
    CLOSE) each time they are listed, and the value sent with another query. The value is
    converted as the lookup would (the key field's ``to_python``), so what Django accepts is
    accepted here, and nothing else."""

    iterator = _ReadOnceIterator

    def options(self) -> list:
        """The queryset's rows, read on first use (cached on this form's copy of the field)."""
        return list(self.queryset)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        model = self.queryset.model
        if isinstance(value, model):
            value = getattr(value, key)
        key_field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        try:
            wanted = key_field.to_python(value)
        except (ValueError, TypeError, ValidationError):
            wanted = None
        for obj in self.options() if wanted is not None else ():
            if getattr(obj, key) == wanted:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )
