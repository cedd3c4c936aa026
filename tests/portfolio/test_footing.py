"""Every table of money foots to the cent, as displayed and as exported (docs/figures.md).

A property test over random portfolios with awkward amounts (hourly costs and shares in thirds,
minutes that make half cents, costs in odd cents, months without any review): the dashboard, the
CFO report, the use case page, the CSV and the XLSX exports are read back as a person or a
spreadsheet would (the rendered HTML parsed, the CSV rows, the XLSX cells with their cached
values) and each table must add up:

- each row's net value = gross efficiency − translation gap − absorption cost;
- the rows add up to the total row, column by column;
- each waterfall runs from the pilot's promise to net value by the amounts it shows;
- the dashboard, the CFO report and every export agree on the total;
- a row without any review shows "—" (an empty cell in the exports), never 0.00.
"""

import csv
import datetime
import io
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
import time_machine
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_user
from tests.portfolio.test_sql_equals_engine import WEEKS, build
from tests.stagegates.helpers import create_gate
from usecases import economics

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # range Aug-Oct 2026 by default
RANGE = {"start": "2026-08", "end": "2026-10"}
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]
ZERO = Decimal(0)
CENT = Decimal("0.01")


def awkward(*values):
    return st.sampled_from([Decimal(v) for v in values])


week_values = st.fixed_dictionaries(
    {
        "active_users": st.integers(0, 300),
        "target_users": st.sampled_from([0, 3, 100, 333]),
        "tasks_total": st.integers(0, 3000),
        "tasks_with_ai": st.integers(0, 3000),
        "reworked_outputs": st.integers(0, 333),
        "exceptions": st.integers(0, 50),
        # minutes × an hourly cost in thirds / 60: many half cents and repeating decimals
        "minutes_saved_per_task": awkward("0.01", "1.005", "2.50", "3.33", "0.67", "7.77"),
        "rework_minutes_per_output": awkward("0", "0.01", "1.50", "3.33", "6.67"),
        "quality_score": awkward("88"),
        "backlog": st.integers(0, 10),
    }
)
month_values = st.fixed_dictionaries(
    {
        name: awkward("0", "0.01", "0.33", "0.67", "100.05", "333.33", "1234.56")
        for name in economics.COST_FIELDS
    }
)
business_cases = st.none() | st.fixed_dictionaries(
    {
        "baseline_minutes_per_task": awkward("3.33", "10", "7.5"),
        "pilot_effort_reduction": awkward("0.3333", "0.6667", "0.5"),
        "hourly_cost": awkward("33.33", "47.01", "61.30", "0.01", "99.99"),
        "reclaimable_share": awkward("0.3333", "0.6667", "0.8125", "0.5", "1", "0"),
    }
)
use_cases = st.fixed_dictionaries(
    {
        "business_case": business_cases,
        "weeks": st.dictionaries(st.sampled_from(WEEKS[:19]), week_values, max_size=5),
        "months": st.dictionaries(st.sampled_from(MONTHS), month_values, max_size=3),
    }
)
portfolios = st.lists(use_cases, min_size=1, max_size=4)


# --- reading what a person sees ---------------------------------------------------------------


class Tables(HTMLParser):
    """Every ``<table>`` of a page: its attributes and its rows by section, each row its
    attributes and its cells as (text, class)."""

    def __init__(self):
        super().__init__()
        self.tables, self._stack, self._section = [], [], "body"
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({"attrs": attrs, "head": [], "body": [], "foot": []})
        elif tag in ("thead", "tbody", "tfoot") and self.tables:
            self._section = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif tag == "tr" and self.tables:
            self.tables[-1][self._section].append({"attrs": attrs, "cells": []})
        elif tag in ("td", "th") and self.tables:
            self._cell = {"text": "", "class": attrs.get("class") or ""}

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            self.tables[-1][self._section][-1]["cells"].append(self._cell)
            self._cell = None
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = "body"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def tables_of(response) -> list[dict]:
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def table(tables, *, id=None, css=None) -> dict:
    found = [
        t
        for t in tables
        if (id and t["attrs"].get("id") == id)
        or (css and css in (t["attrs"].get("class") or "").split())
    ]
    assert len(found) == 1, (id, css)
    return found[0]


def amount(text: str) -> Decimal | None:
    """``EUR 1,234.50`` / ``−EUR 0.01`` → Decimal; ``—`` → None (no data)."""
    if text == "—":
        return None
    negative = text.startswith("−")
    digits = text.removeprefix("−").split(" ", 1)[1].replace(",", "")
    value = Decimal(digits)
    assert value == value.quantize(CENT), text
    return -value if negative else value


def figure_columns(t, first: int) -> tuple[list[list], list]:
    """The four figure columns (gross, absorption, net, translation) of a CFO table's rows and
    of its total row, starting at cell ``first``."""
    rows = [[amount(c["text"]) for c in r["cells"][first : first + 4]] for r in t["body"]]
    (foot,) = t["foot"]
    total = [amount(c["text"]) for c in foot["cells"][-4:]]
    return rows, total


def assert_foots(rows, total, label):
    """Each row: net = gross − translation − absorption; the rows add up to the total."""
    for row in rows:
        if row[0] is None:
            assert row == [None] * 4, (label, row)  # no data: every figure "—"
            continue
        gross, absorption, net, gap = row
        assert net == gross - gap - absorption, (label, row)
    for i in range(4):
        assert sum((r[i] for r in rows if r[i] is not None), ZERO) == total[i], (label, i)


def assert_waterfall_foots(t, label):
    running = None
    for row in t["body"]:
        step = row["attrs"]["data-step"]
        value = amount(row["cells"][-1]["text"])
        if step in ("pilot_promise", "gross_efficiency", "net_value"):
            assert running is None or running == value, (label, step, running, value)
            running = value
        else:
            running -= value
    return running


def assert_waterfall_foots_plain(t):
    """The gate pack's waterfall: rows marked ``total`` carry the running value."""
    running = None
    for row in t["body"]:
        value = amount(row["cells"][-1]["text"])
        if "total" in (row["attrs"].get("class") or "").split():
            assert running is None or running == value, (running, value)
            running = value
        else:
            running -= value
    return running


# --- the property ---------------------------------------------------------------------------


def check_portfolio(pmo, built):
    client = Client()
    client.force_login(pmo)

    # Dashboard: the use case table foots to its total; the waterfall foots to net value.
    tables = tables_of(client.get("/portfolio/", RANGE))
    dash = table(tables, css="dashboard-table")
    nets = [
        amount(next(c["text"] for c in r["cells"] if "net-value" in c["class"]))
        for r in dash["body"]
    ]
    (foot,) = dash["foot"]
    dash_total = amount(next(c["text"] for c in foot["cells"] if "net-value" in c["class"]))
    assert sum((n for n in nets if n is not None), ZERO) == dash_total
    assert assert_waterfall_foots(table(tables, css="waterfall-table"), "dashboard") == dash_total

    # CFO report: three tables, one total, each foots.
    tables = tables_of(client.get("/reports/cfo/", RANGE))
    totals = []
    for table_id, first in (
        ("report-use-case", 3),
        ("report-business-unit", 2),
        ("report-month", 1),
    ):
        rows, total = figure_columns(table(tables, id=table_id), first)
        assert_foots(rows, total, table_id)
        totals.append(total)
    assert totals[0] == totals[1] == totals[2]
    assert totals[0][2] == dash_total

    # CSV: the same rows, footing to the page's total; no data is an empty cell.
    for key in ("use_case", "business_unit", "month"):
        response = client.get("/reports/cfo/export/", {**RANGE, "format": "csv", "table": key})
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        figures = [
            [
                Decimal(r[k]) if r[k] != "" else None
                for k in ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")
            ]
            for r in rows
        ]
        assert_foots(figures, totals[0], f"csv {key}")

    # XLSX: totals are SUM formulas whose cached values are the sums of the rows shown.
    response = client.get("/reports/cfo/export/", {**RANGE, "format": "xlsx"})
    formulas = openpyxl.load_workbook(io.BytesIO(response.content))
    cached = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)
    for sheet_name, first in (("By use case", 4), ("By business unit", 2), ("By month", 1)):
        values = list(cached[sheet_name].iter_rows(min_row=2, values_only=True))
        *body, total = values
        rows = [
            [None if v is None else Decimal(str(v)).quantize(CENT) for v in r[first : first + 4]]
            for r in body
        ]
        assert_foots(rows, [Decimal(str(v)) for v in total[first : first + 4]], sheet_name)
        assert [Decimal(str(v)) for v in total[first : first + 4]] == totals[0]
        sheet = formulas[sheet_name]
        if body:
            last_row = sheet.max_row
            for column in range(first + 1, first + 5):
                letter = openpyxl.utils.get_column_letter(column)
                formula = sheet.cell(row=last_row, column=column).value
                assert formula == f"=SUM({letter}2:{letter}{last_row - 1})"

    # Gate packs (quarter Aug-Oct): the months foot to the quarter row, the waterfall to its
    # net value; a month without any review shows "—".
    gate = create_gate(pmo, make_user("lena-footing", "Leadership"))
    assert gate.items.count() == len(built)  # every random use case is in rollout
    for item in gate.items.select_related("use_case"):
        tables = tables_of(client.get(f"/gates/items/{item.pk}/"))
        months = next(
            t for t in tables if t["foot"] and "Quarter" in t["foot"][0]["cells"][0]["text"]
        )
        rows = [[amount(c["text"]) for c in r["cells"][1:5]] for r in months["body"]]
        total = [amount(c["text"]) for c in months["foot"][0]["cells"][1:5]]
        # the gate pack's columns: gross, translation gap, absorption, net
        rows = [[r[0], r[2], r[3], r[1]] for r in rows]
        total = [total[0], total[2], total[3], total[1]]
        assert_foots(rows, total, f"gate pack {item.use_case.name}")
        waterfall = table(tables, css="waterfall")
        assert assert_waterfall_foots_plain(waterfall) == total[2]

    # Use case pages: month by month foots to the total, the waterfall to net value.
    for uc, *_ in built:
        tables = tables_of(client.get(f"/use-cases/{uc.pk}/", RANGE))
        by_month = [t for t in tables if t["attrs"].get("id") == "value-by-month"]
        waterfall = table(tables, id="waterfall-table")
        net = assert_waterfall_foots(waterfall, uc.name)
        if by_month:
            rows, total = figure_columns(by_month[0], 1)
            assert_foots(rows, total, uc.name)
            assert total[2] == net


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(portfolio=portfolios)
def test_every_table_foots(pmo, portfolio):
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        built = build(portfolio)
        check_portfolio(pmo, built)
        transaction.set_rollback(True)


def test_a_half_cent_in_each_of_three_months(pmo):
    """The example from the issue, made small: three months whose net values are each x.xx5
    exactly. Rounded once over the quarter they would make a cent less than the rows shown;
    by the rule the total is the sum of the rows."""
    portfolio = [
        {
            "business_case": {
                "baseline_minutes_per_task": Decimal("10"),
                "pilot_effort_reduction": Decimal("0.5"),
                "hourly_cost": Decimal("0.30"),
                "reclaimable_share": Decimal("1"),
            },
            # 1 task × 1.005 minutes × 0.30 / 60 = 0.005025 → gross 0.01 per month
            "weeks": {
                week: {
                    "active_users": 1,
                    "target_users": 1,
                    "tasks_total": 1,
                    "tasks_with_ai": 1,
                    "reworked_outputs": 0,
                    "exceptions": 0,
                    "minutes_saved_per_task": Decimal("1.005"),
                    "rework_minutes_per_output": Decimal("0"),
                    "quality_score": Decimal("88"),
                    "backlog": 0,
                }
                for week in ("2026-W32", "2026-W36", "2026-W41")
            },
            "months": {},
        }
    ]
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        built = build(portfolio)
        check_portfolio(pmo, built)
        client = Client()
        client.force_login(pmo)
        report = client.get("/reports/cfo/", RANGE).context["report"]
        # Each month shows 0.01; the quarter is their sum (0.03), not 0.015075 rounded (0.02).
        assert [line.figures.gross_efficiency for line in report.by_month] == [CENT] * 3
        assert report.total.gross_efficiency == Decimal("0.03")
        transaction.set_rollback(True)
