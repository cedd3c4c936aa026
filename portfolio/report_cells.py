"""The CFO report's four figure cells (gross efficiency, absorption cost, net value, translation
gap) of a line, written in Python: the page shows them on every use case, business unit and
month line and each total row (about 110 a page), and rendering them as a template partial per
line cost more than the rest of the report's Python. The HTML is what the partial rendered (a
line without any review in the range: four muted dashes)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from usecases.templatetags.money import money

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
