"""``{% figure_cards figures %}``: the four CFO figure cards (gross efficiency, absorption cost,
net value, translation gap) that the dashboard, the CFO report and the use case page show for a
range of months. One markup, one rule for the negative mark (every card whose figure is below
zero), one set of explanations:

- ``id_prefix``: each card's id is the prefix and the figure's name (``figure-net_value``; the
  CFO report's totals are ``total-net_value``);
- ``notes``: ``"portfolio"`` (valued at each use case's hourly cost), ``"use_case"`` (at the
  hourly cost; the net value's note names ``reclaimable_share``), or ``""`` for none (the CFO
  report explains the figures in a paragraph below them).

Written in Python, not as an include: issue 20 asks the use case page to stay within 2× its own
SQL at 20,000 use cases, and an include with its nodes costs more than these four ``str.format``
calls. Values are escaped as autoescape does."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from usecases.templatetags.money import money, percent

register = template.Library()

_CARD = (
    '<div class="card figure-card{css}" id="{id}">\n'
    '  <div class="figure-label">{label}</div>\n'
    '  <div class="figure{neg}">{value}</div>{note}\n'
    "</div>\n"
)
_NOTE = '\n  <div class="muted small">{}</div>'
#: (figure, label, extra CSS class) in the order the cards are shown.
CARDS = (
    ("gross_efficiency", "Gross efficiency", ""),
    ("absorption_cost", "Absorption cost", ""),
    ("net_value", "Net value", " figure-net"),
    ("translation_gap", "Translation gap", " figure-gap"),
)
_HOURLY = {"portfolio": "each use case's hourly cost", "use_case": "the hourly cost"}


def _notes(kind: str, reclaimable_share) -> dict[str, str]:
    if not kind:
        return {}
    if kind not in _HOURLY:
        raise template.TemplateSyntaxError(f"figure_cards: unknown notes {kind!r}")
    share = f" ({percent(reclaimable_share)})" if kind == "use_case" else ""
    return {
        "gross_efficiency": f"Time saved with AI, valued at {_HOURLY[kind]}",
        "absorption_cost": (
            "Rework plus training, support, integration, run, maintenance and other costs"
        ),
        "net_value": f"Gross efficiency × reclaimable share{share} − absorption cost",
        "translation_gap": "Time saved that does not turn into money",
    }


@register.simple_tag
def figure_cards(figures, *, id_prefix="figure-", notes="", reclaimable_share=None) -> SafeString:
    """The four cards of ``figures`` (anything with the four attributes: ``money.Figures``,
    ``economics.PeriodFigures``, a CFO total)."""
    texts = _notes(notes, reclaimable_share)
    cards = []
    for name, label, css in CARDS:
        value = getattr(figures, name)
        note = texts.get(name)
        cards.append(
            _CARD.format(
                css=css,
                id=conditional_escape(f"{id_prefix}{name}"),
                label=label,
                neg=" neg" if value is not None and value < 0 else "",
                value=conditional_escape(money(value)),
                note=_NOTE.format(conditional_escape(note)) if note else "",
            )
        )
    return mark_safe("".join(cards))
