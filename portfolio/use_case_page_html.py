"""The use case page's repeated parts, written once in Python.

The page's first paint is held to 3× its own SQL (issue 16; 2× at 20,000 use cases, issue 20),
and the Django template engine costs several microseconds a node (a variable, a filter, an
``{% if %}``, an include): the value section's waterfall table (13 steps, ~12 nodes each), its
month-by-month table (up to 36 months), the 90-day months, the range presets, and the eight
sections' placeholders (an include and six variables each) and index links were most of the
page's template time (benchmarks/README.md). Here each row, link or placeholder is one
``str.format`` with the same markup, the same filters (``money``, ``date``, ``capfirst``) and the
same escaping (``_e``: what ``format_html`` and autoescape do) as the template loops they
replace; ``templates/portfolio/use_case.html`` places them.
``tests/portfolio/test_use_case_page_html.py`` holds them equal to those loops, byte for byte.
"""

from __future__ import annotations

import html

from django.template.defaultfilters import capfirst, date
from django.utils.safestring import SafeString, mark_safe

from usecases.templatetags.money import money

_WATERFALL_ROW = (
    '\n        <tr class="{}" data-step="{}">\n'
    '          <th scope="row">{}{}</th>\n'
    "          <td>{}</td>\n"
    '          <td class="num{}">{}</td>\n'
    "        </tr>\n      "
)
_PLACEHOLDER = (
    '\n<section class="card uc-section-later" id="{slug}" aria-labelledby="{slug}-title"'
    ' aria-busy="true"\n         hx-get="{url}" hx-trigger="intersect once" hx-swap="outerHTML">\n'
    '  <h2 id="{slug}-title">{title}</h2>\n'
    '  <p class="muted small">{summary} <a href="{url}">Open the section “{nav}”</a></p>\n'
    "</section>\n"
)
_INDEX_LINK = '<a href="#{}">{}</a>\n  '
_PRESET_LINK = '<a href="{}?start={}&amp;end={}#value"{}>{}</a>'
_LEAK_PILL = '<span class="pill pill-leak-{}">{}</span>'
_MONTH_ROW = (
    '\n      <tr>\n        <th scope="row">{}</th>\n        \n'
    '        <td class="num">{}</td>\n'
    '        <td class="num">{}</td>\n'
    '        <td class="num{}">{}</td>\n'
    '        <td class="num">{}</td>\n'
    "        \n      </tr>\n    "
)
_EMPTY_MONTH_ROW = (
    '\n      <tr class="no-data">\n        <th scope="row">{}</th>\n        \n'
    '        <td class="num muted" title="No review in {}">—</td><td class="num muted">—</td>'
    '<td class="num muted">—</td><td class="num muted">—</td>\n'
    "        \n      </tr>\n    "
)


def _e(text) -> str:
    """``conditional_escape`` without its lazy-text wrapper (a few microseconds a value here):
    what ``format_html`` and the template's autoescape do to each value."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))


def waterfall_rows(bars) -> SafeString:
    """The waterfall table's body rows (``usecases.waterfall_bars.WaterfallBar``)."""
    rows = []
    for bar in bars:
        point = bar.leakage_point
        total = bar.is_total
        rows.append(
            _WATERFALL_ROW.format(
                "step-total" if total else "step-leak leak-" + _e(point),
                _e(bar.step),
                "" if total else "− ",
                _e(bar.label),
                _LEAK_PILL.format(_e(point), _e(capfirst(point))) if point else "",
                " neg" if total and bar.amount < 0 else "",
                _e(money(bar.amount)),
            )
        )
    return mark_safe("".join(rows))


def month_rows(value_months) -> SafeString:
    """The month-by-month table's body rows: (month, ``money.Figures`` or None) pairs, "—" for a
    month without a review."""
    rows = []
    for month, f in value_months:
        label = _e(date(month, "M Y"))
        if f:
            rows.append(
                _MONTH_ROW.format(
                    label,
                    _e(money(f.gross_efficiency)),
                    _e(money(f.absorption_cost)),
                    " neg" if f.net_value < 0 else "",
                    _e(money(f.net_value)),
                    _e(money(f.translation_gap)),
                )
            )
        else:
            rows.append(_EMPTY_MONTH_ROW.format(label, label))
    return mark_safe("".join(rows))


def month_list(months) -> str:
    """The 90-day figure's months, ``(year, month)`` pairs, as ``2025-01, 2025-02, 2025-03``."""
    return ", ".join(f"{year}-{month:02d}" for year, month in months)


def section_placeholders(sections) -> SafeString:
    """The placeholders of the sections that load as needed (``use_case_sections.Section.link``
    dicts): a heading and a plain link that htmx replaces with the section when it scrolls into
    view; without JavaScript the link opens the section as a page of its own."""
    return mark_safe(
        "".join(
            _PLACEHOLDER.format(
                slug=_e(s["slug"]),
                url=_e(s["url"]),
                title=_e(s["title"]),
                summary=_e(s["summary"]),
                nav=_e(s["nav"]),
            )
            for s in sections
        )
    )


def section_index(sections) -> SafeString:
    """The sections' links in the page's index of its sections."""
    return mark_safe("".join(_INDEX_LINK.format(_e(s["slug"]), _e(s["nav"])) for s in sections))


def preset_links(page_url: str, presets, month_range) -> SafeString:
    """The range presets (``use_case_page._presets``) as links to the page's value section, the
    shown range marked current."""
    url = _e(page_url)
    return mark_safe(
        "".join(
            _PRESET_LINK.format(
                url,
                _e(p["range"].start_param),
                _e(p["range"].end_param),
                ' aria-current="true"' if p["range"] == month_range else "",
                _e(p["label"]),
            )
            for p in presets
        )
    )
