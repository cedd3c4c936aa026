# ruff: noqa: E501 (the template text kept as it was)
"""``cfo_rows`` writes the four figure cells the CFO report's template partial
rendered: compared with that partial (kept here) for lines with and without data."""

import dataclasses
import datetime
from decimal import Decimal

from django.template import Context, Engine, Template

from portfolio import cfo
from portfolio.cfo_rows import figure_cells, ninety_row, ninety_rows, use_case_row
from usecases import economics, money
from usecases.models import UseCase

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


#: The report's use case and 90-day rows before they moved to Python (issue 20).
USE_CASE_ROW = Template(
    """{% load money %}{% for line in lines %}
      <tr data-use-case="{{ line.use_case.pk }}"{% if not line.has_data %} class="no-data"{% endif %}>
        <th scope="row"><a href="{{ line.use_case.get_absolute_url }}">{{ line.use_case.name }}</a></th>
        <td>{{ line.use_case.business_unit }}</td>
        <td><span class="pill pill-{{ line.use_case.stage }}">{{ line.use_case.get_stage_display }}</span></td>
        {% with figures=line.figures no_data=line.has_data|yesno:",1" %}{% include "cells" %}{% endwith %}
      </tr>{% endfor %}"""
)
NINETY_ROW = Template(
    """{% load money %}{% for line in lines %}
      <tr data-use-case="{{ line.use_case.pk }}">
        <th scope="row"><a href="{{ line.use_case.get_absolute_url }}">{{ line.use_case.name }}</a><div class="muted small">{{ line.use_case.get_stage_display }} · {{ line.use_case.business_unit }}</div></th>
        <td>{{ line.use_case.scaled_on|date:"j M Y" }}</td>
        <td>{{ line.months.0|date:"M Y" }} – {{ line.months.2|date:"M Y" }}</td>
        <td><span class="pill pill-ninety-{{ line.status }}">{{ line.status_label }}</span>{% if not line.is_complete %}<div class="muted small">{{ line.months_available }} of 3 months reviewed</div>{% endif %}</td>
        <td class="num net-value{% if line.is_complete and line.value < 0 %} neg{% endif %}">{% if line.is_complete %}{{ line.value|money }}{% else %}<span class="muted">pending</span>{% endif %}</td>
      </tr>{% endfor %}"""
)


def use_cases():
    for i, (name, unit, stage) in enumerate(
        [("Plain", "Finance", "scaled"), ('A & "B" <c>', "R&D", "on_hold"), ("x", "<u>", "odd<")]
    ):
        yield UseCase(
            pk=i * 1009 + 1,
            name=name,
            business_unit=unit,
            stage=stage,
            scaled_on=datetime.date(2025, 12 - i * 5, 1 + i * 13),
        )


def test_use_case_rows_are_the_templates():
    lines = [
        cfo.UseCaseLine(uc, figures, has_data)
        for uc in use_cases()
        for figures in (money.Figures(), money.Figures(other=Decimal("12.30")))
        for has_data in (True, False)
    ]
    # The cells partial, as an include: what the {% partial %} rendered.
    cells = PARTIAL.source  # its {% load %} writes nothing
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", {"cells": cells})],
        libraries={"money": "usecases.templatetags.money"},
    )
    template = engine.from_string(USE_CASE_ROW.source)
    expected = template.render(Context({"lines": lines}))
    assert "".join(use_case_row(line) for line in lines) == expected


def test_ninety_rows_are_the_templates():
    results = [
        economics.NinetyDayValue(economics.NINETY_DAY_COMPLETE, Decimal("-1234.5"), 3, ()),
        economics.NinetyDayValue(economics.NINETY_DAY_COMPLETE, Decimal("99.99"), 3, ()),
        economics.NinetyDayValue(economics.NINETY_DAY_PENDING, None, 2, ()),
        economics.NinetyDayValue(economics.NINETY_DAY_PENDING, None, 0, ()),
    ]
    lines = []
    for uc in use_cases():
        for result in results:
            months = tuple(economics.ninety_day_months(uc.scaled_on))
            lines.append(cfo.NinetyDayLine(uc, dataclasses.replace(result, months=months)))
    expected = NINETY_ROW.render(Context({"lines": lines}))
    written = "".join(ninety_row(line) for line in lines)
    assert written == expected
    assert "".join(ninety_rows(lines)) == expected  # each date written once
    assert "pending" in written and " neg" in written and "2 of 3 months" in written
