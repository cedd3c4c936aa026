"""``report_cells.figure_cells`` writes the four figure cells the CFO report's template partial
rendered: compared with that partial (kept here) for lines with and without data."""

from decimal import Decimal

from django.template import Context, Template

from portfolio.report_cells import figure_cells
from usecases import money

#: The CFO report's ``figure_cells`` partial before it moved to Python (issue 20).
PARTIAL = Template(
    """{% load money %}
{% if no_data %}
<td class="num muted" title="No review in this period">—</td><td class="num muted">—</td><td class="num net-value muted">—</td><td class="num gap muted">—</td>
{% else %}
<td class="num{% if figures.gross_efficiency < 0 %} neg{% endif %}">{{ figures.gross_efficiency|money }}</td>
<td class="num">{{ figures.absorption_cost|money }}</td>
<td class="num net-value{% if figures.net_value < 0 %} neg{% endif %}">{{ figures.net_value|money }}</td>
<td class="num gap">{{ figures.translation_gap|money }}</td>
{% endif %}
"""
)


def test_figure_cells_are_the_partials():
    cases = [
        money.Figures(),
        money.Figures(gross_efficiency=Decimal("1234.56"), translation_gap=Decimal("0.01")),
        money.Figures(gross_efficiency=Decimal("-0.01"), rework=Decimal("99999999.99")),
        money.Figures(gross_efficiency=Decimal("10.00"), other=Decimal("25.50")),  # net < 0
    ]
    for figures in cases:
        for has_data in (True, False):
            expected = PARTIAL.render(
                Context({"figures": figures, "no_data": "" if has_data else "1"})
            )
            assert figure_cells(figures, has_data) == expected, (figures, has_data)
