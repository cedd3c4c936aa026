# ruff: noqa: E501 (the template text kept as it was)
"""``dashboard_rows.row_html`` writes the table row the dashboard template rendered: compared with
that template's row markup (kept here) over every branch of its cells."""

import itertools
from decimal import Decimal

from django.template import Context, Template

from portfolio.dashboard import DashboardRow
from portfolio.dashboard_rows import row_html
from usecases.models import UseCase

#: The dashboard template's row before it moved to Python (issue 20).
TEMPLATE_ROW = Template(
    """{% load money %}{% for row in rows %}{% with uc=row.use_case %}
      <tr data-use-case="{{ uc.pk }}">
        <td><a href="{{ row.url }}">{{ uc.name }}</a></td>
        <td>{{ uc.business_unit }}</td>
        <td><span class="pill pill-{{ uc.stage }}">{{ uc.get_stage_display }}</span></td>
        <td><span class="pill pill-{{ uc.funding_status }}">{{ uc.get_funding_status_display }}</span></td>
        <td>{% if row.owner_name %}{{ row.owner_name }}{% else %}<span class="warning">No value owner</span>{% endif %}</td>
        <td class="num">{% if row.latest_week %}{{ row.adoption_rate|percent:1 }}<div class="muted small">{{ row.latest_week }}</div>{% else %}<span class="muted">—</span>{% endif %}</td>
        <td class="num">{% if row.latest_week %}{{ row.rework_rate|percent:1 }}{% else %}<span class="muted">—</span>{% endif %}</td>
        <td class="num net-value{% if row.has_data and row.net_value < 0 %} neg{% endif %}">{% if row.has_data %}{{ row.net_value|money }}{% else %}<span class="muted" title="No reviews in {{ label }}">—</span>{% endif %}</td>
        <td class="num">{% if row.open_flags %}<a class="pill pill-bad" href="{{ flags_url }}?use_case={{ uc.pk }}&amp;open=true">{{ row.open_flags }}</a>{% else %}<span class="muted">0</span>{% endif %}</td>
      </tr>{% endwith %}{% endfor %}"""
)


def rows():
    from usecases.templatetags.money import money, percent

    names = ("Plain", 'Tom & "Jerry" <b>', "")
    owners = ("Ann O'Neil <ops>", "")
    weeks = (("2026-W45", Decimal("0.1555"), Decimal(1)), (None, None, None))
    values = ((Decimal("-1234.505"), True), (Decimal("98765432.1"), True), (Decimal(0), False))
    for i, (name, owner, week, value, flags, stage) in enumerate(
        itertools.product(names, owners, weeks, values, (0, 3), ("scaled", "on_hold", "weird<"))
    ):
        latest, adoption, rework = week
        net, has_data = value
        uc = UseCase(
            pk=i * 997, name=name, business_unit="R&D <x>", stage=stage, funding_status="frozen"
        )
        yield DashboardRow(
            use_case=uc,
            latest_week=latest,
            adoption_rate=adoption,
            rework_rate=rework,
            net_value=net,
            open_flags=flags,
            has_data=has_data,
            url=uc.get_absolute_url() + "?a=1&b=2",
            owner_name=owner,
            adoption_text=percent(adoption, 1) if latest else "",
            rework_text=percent(rework, 1) if latest else "",
            net_value_text=money(net) if has_data else "",
        )


def test_row_html_is_the_templates_row():
    all_rows = list(rows())
    label, flags_url = "Jan 2026 – Mar <2026>", "/reviews/flags/?x=1&y=2"
    expected = TEMPLATE_ROW.render(
        Context({"rows": all_rows, "label": label, "flags_url": flags_url})
    )
    written = "".join(
        row_html(row, no_data_title=f"No reviews in {label}", flags_url=flags_url)
        for row in all_rows
    )
    assert written == expected
    assert "neg" in written and "No value owner" in written and "title=" in written
