"""Select fields with many options that stay cheap to render (issue 20: the flags page's use case
filter lists every use case the user may see, 2,000 in the benchmark portfolio).

Django's stock ``Select`` renders a template per option (about 0.1 ms each), and a
``ModelChoiceField`` builds a model instance per option to take its ``pk`` and ``str()``. Here the
options are joined in Python (``QuickSelect``: the same ``<select>``, its ``<option>`` elements
escaped by ``format_html``) and a model choice field reads ``(pk, name)`` pairs with one
``values_list`` (``NameChoiceIterator``), so a 2,000-option select costs a few milliseconds.
Validation is unchanged: the field still resolves the submitted pk in its queryset.
"""

import html

import django_filters
from django import forms
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


class NameChoiceIterator(ModelChoiceIterator):
    """A model choice field's choices as ``(pk, name)`` rows, read with ``values_list``: no model
    instance per option. For models whose ``str()`` is their ``name`` (``UseCase``)."""

    def __iter__(self):
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if getattr(field, "null_label", None) is not None:  # django-filter's "no value" choice
            yield (field.null_value, field.null_label)
        yield from self.queryset.values_list("pk", "name")


class NamedModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` of many named rows (use cases), rendered as a ``QuickSelect``."""

    iterator = NameChoiceIterator
    widget = QuickSelect


class NamedModelChoiceFilterField(django_filters.fields.ModelChoiceField):
    iterator = NameChoiceIterator
    widget = QuickSelect


class NamedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ``ModelChoiceFilter`` with ``NamedModelChoiceField``'s cheap options."""

    field_class = NamedModelChoiceFilterField
