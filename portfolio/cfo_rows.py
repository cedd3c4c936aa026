"""The CFO report's lines written in Python: the four figure cells (gross efficiency, absorption
cost, net value, translation gap) of every use case, business unit and month line and each total
row (about 110 a page), and the rows of the use case and 90-day tables (50 each a page).
Rendered by the template engine (a partial per line, about 10 variables a row) they cost more
than the rest of the report's Python. The HTML is what the template rendered; the template keeps
the tables around them (``templates/portfolio/cfo_report.html``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.defaultfilters import date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from usecases.templatetags.money import money

if TYPE_CHECKING:  # cfo's lines write their cells here
    from .cfo import NinetyDayLine, UseCaseLine

NO_DATA = (
    '\n\n<td class="num muted" title="No review in this period">—</td>'
    '<td class="num muted">—</td><td class="num net-value muted">—</td>'
    '<td class="num gap muted">—</td>\n\n'
)


def figure_cells(figures, has_data: bool = True) -> SafeString:
    """The four ``<td>`` of ``figures`` (``money.Figures``), negatives marked ``neg`` where the
    report marks them (gross efficiency and net value)."""
    if not has_data:
        return mark_safe(NO_DATA)
    gross, net = figures.gross_efficiency, figures.net_value
    return mark_safe(
        f'\n\n<td class="num{" neg" if gross < 0 else ""}">{escape(money(gross))}</td>\n'
        f'<td class="num">{escape(money(figures.absorption_cost))}</td>\n'
        f'<td class="num net-value{" neg" if net < 0 else ""}">{escape(money(net))}</td>\n'
        f'<td class="num gap">{escape(money(figures.translation_gap))}</td>\n\n'
    )


def use_case_row(line: UseCaseLine) -> SafeString:
    """A line of the use case table (with the newline and indentation before it)."""
    uc = line.use_case
    no_data = "" if line.has_data else ' class="no-data"'
    return mark_safe(
        f'\n      <tr data-use-case="{uc.pk}"{no_data}>\n'
        f'        <th scope="row"><a href="{escape(uc.get_absolute_url())}">'
        f"{escape(uc.name)}</a></th>\n"
        f"        <td>{escape(uc.business_unit)}</td>\n"
        f'        <td><span class="pill pill-{escape(uc.stage)}">'
        f"{escape(uc.get_stage_display())}</span></td>\n"
        f"        {line.cells}\n"
        f"      </tr>"
    )


def ninety_rows(lines: list[NinetyDayLine]) -> list[SafeString]:
    """``ninety_row`` of each line, each date written once: the lines' scaled-on dates and
    months repeat (sorted by date), and a date through Django's ``date`` filter costs ~10 µs."""
    written: dict[tuple, str] = {}

    def day(value, spec: str) -> str:
        key = (value, spec)
        if key not in written:
            written[key] = _date(value, spec)
        return written[key]

    return [ninety_row(line, day) for line in lines]


def _date(value, spec: str) -> str:
    return escape(date(value, spec))


def ninety_row(line: NinetyDayLine, day=_date) -> SafeString:
    """A line of the 90-day table (with the newline and indentation before it); ``day`` writes
    a date escaped (``value, format``)."""
    uc = line.use_case
    months = line.months
    complete = line.is_complete
    reviewed = (
        ""
        if complete
        else f'<div class="muted small">{line.months_available} of 3 months reviewed</div>'
    )
    if complete:
        neg = " neg" if line.value < 0 else ""
        value = escape(money(line.value))
    else:
        neg, value = "", '<span class="muted">pending</span>'
    return mark_safe(
        f'\n      <tr data-use-case="{uc.pk}">\n'
        f'        <th scope="row"><a href="{escape(uc.get_absolute_url())}">{escape(uc.name)}</a>'
        f'<div class="muted small">{escape(uc.get_stage_display())} · '
        f"{escape(uc.business_unit)}</div></th>\n"
        f"        <td>{day(uc.scaled_on, 'j M Y')}</td>\n"
        f"        <td>{day(months[0], 'M Y')} – {day(months[2], 'M Y')}</td>\n"
        f'        <td><span class="pill pill-ninety-{escape(line.status)}">'
        f"{escape(line.status_label)}</span>{reviewed}</td>\n"
        f'        <td class="num net-value{neg}">{value}</td>\n'
        f"      </tr>"
    )
