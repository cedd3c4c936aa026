"""Select fields with many options that stay cheap to render (issue 20: the dashboard's business
units and the like).

Django's stock ``Select`` renders a template per option (about 0.1 ms each). Here the options are
joined in Python (``QuickSelect``: the same ``<select>``, its ``<option>`` elements escaped by
``format_html``), and a long list that nothing changes is shared by every copy of its field
(``SharedChoices``). A list that grows with the portfolio itself (one option per use case) is no
select at all: ``usecases.use_case_search``.
"""

import html

from django import forms
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
