"""A text field whose suggestions the server sends as the user types: ``<input type="search">``
with a ``<datalist>`` that htmx fills from an options URL (``owner_search``, ``use_case_search``:
the filters whose choices grow with the portfolio). Without JavaScript it is a plain text field;
the server resolves what was typed."""

from django import forms
from django.utils.html import format_html


def typed(text, max_length: int) -> str:
    """What the user typed, as it is compared: NUL removed (PostgreSQL refuses it in a
    parameter), runs of spaces one space, at most ``max_length`` characters."""
    return " ".join(str(text).replace("\x00", "").split())[:max_length]


class DatalistSearch(forms.TextInput):
    """The field, asking ``options_url`` (with the field's own value under its name) as the user
    types and once when it gets focus; the answer's ``<option>``s fill its ``<datalist>``. A
    search names its ``options_url`` and its default ``placeholder``; a form may give another
    placeholder."""

    input_type = "search"
    options_url: str
    placeholder: str

    def __init__(self, attrs=None, *, placeholder: str | None = None):
        super().__init__(
            {
                "autocomplete": "off",
                "placeholder": placeholder or self.placeholder,
                "hx-get": self.options_url,
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "hx-push-url": "false",  # a filter form's hx-push-url is inherited
                **(attrs or {}),
            }
        )

    def render(self, name, value, attrs=None, renderer=None):
        datalist = f"{self.build_attrs(self.attrs, attrs).get('id') or name}-options"
        attrs = {**(attrs or {}), "list": datalist, "hx-target": f"#{datalist}"}
        rendered = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}"></datalist>', rendered, datalist)
