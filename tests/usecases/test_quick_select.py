"""``usecases.quick_choices.QuickSelect`` writes its options in Python: the same HTML as
Django's ``Select`` options (``ChoiceWidget.optgroups``), joined without a template per option."""

from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from usecases.quick_choices import QuickSelect

CHOICES = [
    ("", "All owners"),
    ("ann", 'Ann <Ops> & "Co"'),
    (None, "nothing"),
    (3, mark_safe("<b>three</b>")),
    ("lazy", gettext_lazy("Lazy label")),
    ("o'brien", "O'Brien\u00a0<\ud7ff>"),
    (-5, 7),
    (True, False),
    ("Group", [("g1", "In a group"), ("ann", "Ann again")]),
]


def from_optgroups(widget, name, value, attrs):
    """The options as Django's ``optgroups`` gives them (what QuickSelect wrote before)."""
    context = widget.get_context(name, value, attrs)["widget"]
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (option["value"], " selected" if option["selected"] else "", option["label"])
            for _group, group_options, _index in context["optgroups"]
            for option in group_options
        ),
    )
    return format_html(
        '<select name="{}"{}>{}</select>', context["name"], flatatt(context["attrs"]), options
    )


def test_quick_select_renders_what_the_optgroups_give():
    for value in (None, "", "ann", "g1", "3", 3, "nobody", "lazy", ["ann"]):
        for attrs in (None, {"id": "id_owner"}, {"id": "o", "aria-invalid": "true"}):
            widget = QuickSelect(attrs={"class": "x"}, choices=CHOICES)
            rendered = widget.render("owner", value, attrs)
            assert rendered == from_optgroups(widget, "owner", value, attrs), (value, attrs)
    widget = QuickSelect(choices=CHOICES)
    html = widget.render("owner", "ann", None)
    assert html.count(" selected") == 1  # the first "ann" only
    assert "Ann &lt;Ops&gt; &amp; &quot;Co&quot;" in html and "<b>three</b>" in html
