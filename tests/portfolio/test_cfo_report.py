"""The CFO report page: figures by use case, business unit and month equal to the economics engine,
the 90-day figure per scaled use case (complete / pending), the range, access per role, an empty
portfolio, and a constant number of queries for 1 vs 40 use cases."""

import datetime
import decimal
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from portfolio import cfo, dashboard
from tests.conftest import make_use_case
from tests.portfolio.test_dashboard import (
    add_month,
    add_week,
    count_queries,
    engine_figures,
    populate,
    shown_figures,
    totals_of,
)
from usecases import economics
from usecases.models import BusinessCase, Stage
from usecases.templatetags.money import money

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)
URL = "/reports/cfo/"
MONTHS = ["2026-08", "2026-09", "2026-10"]
FIGURES = ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def summed(figures_list):
    figures_list = list(figures_list)
    with decimal.localcontext(prec=economics.PRECISION):
        return {n: sum((getattr(f, n) for f in figures_list), Decimal(0)) for n in FIGURES}


def same(a: Decimal, b: Decimal) -> bool:
    """Equal far below the cent: sums added up in SQL (each review weighted by its business case,
    one division by 60) differ from the sum of per-use-case engine figures in the 50th digit on
    PostgreSQL (exact NUMERIC); SQLite adds binary floats, exact to about 1e-9 here."""
    tolerance = Decimal("1e-30") if connection.vendor == "postgresql" else Decimal("1e-6")
    return abs(a - b) < tolerance


@pytest.fixture
def data(use_case, other_use_case):
    """Three use cases in two business units, each with its own business case."""
    BusinessCase.objects.filter(use_case=other_use_case).update(
        hourly_cost=Decimal("52.75"), reclaimable_share=Decimal("0.35")
    )
    third = make_use_case(name="Dunning letters", business_unit="Finance")
    BusinessCase.objects.filter(use_case=third).update(hourly_cost=Decimal("38.10"))
    add_week(use_case, "2026-W32")  # Aug
    add_week(use_case, "2026-W36", tasks_with_ai=850)  # Sep
    add_week(use_case, "2026-W44", minutes_saved_per_task=Decimal("4.25"))  # Oct (Thu 29 Oct)
    add_month(use_case, "2026-09")
    add_week(other_use_case, "2026-W40", reworked_outputs=5)  # Oct
    add_month(other_use_case, "2026-08", integration_cost=Decimal("15000"))
    add_month(other_use_case, "2026-11")  # outside the range
    add_week(third, "2026-W35")  # Aug
    add_month(third, "2026-10", support_cost=Decimal("0.01"))
    return {"use_case": use_case, "other": other_use_case, "third": third}


# --- access -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_outsider_gets_403(client_for, role_users):
    assert client_for(role_users["outsider"]).get(URL).status_code == 403


@pytest.mark.parametrize("role", ["owner", "other_owner", "leader", "pmo", "admin"])
def test_portfolio_readers_see_every_use_case(client_for, role_users, data, role):
    report = client_for(role_users[role]).get(URL).context["report"]
    assert [line.use_case.name for line in report.by_use_case] == sorted(
        uc.name for uc in data.values()
    )


def test_contributor_sees_only_their_use_case(client_for, role_users, data):
    response = client_for(role_users["contributor"]).get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert [line.use_case for line in report.by_use_case] == [data["use_case"]]
    assert [line.business_unit for line in report.by_business_unit] == ["Customer Service"]
    expected = engine_figures(data["use_case"], MONTHS)
    assert report.total.net_value == expected.net_value
    body = response.content.decode()
    assert data["other"].name not in body and "Finance" not in body


# --- figures ------------------------------------------------------------------------------------


def test_figures_by_use_case_equal_the_engine(client_for, pmo, data):
    response = client_for(pmo).get(URL)
    report = response.context["report"]
    body = response.content.decode()
    for line in report.by_use_case:
        expected = engine_figures(line.use_case, MONTHS)
        for name in FIGURES:
            assert getattr(line.figures, name) == getattr(expected, name), (line, name)
        assert money(expected.net_value) in body
    everything = summed(engine_figures(uc, MONTHS) for uc in data.values())
    for name in FIGURES:
        assert same(getattr(report.total, name), everything[name])
        assert money(everything[name]) in body


def test_figures_by_business_unit(client_for, pmo, data):
    report = client_for(pmo).get(URL).context["report"]
    units = {line.business_unit: line for line in report.by_business_unit}
    assert list(units) == ["Customer Service", "Finance"]
    finance = summed(engine_figures(data[k], MONTHS) for k in ("other", "third"))
    assert units["Finance"].use_case_count == 2
    for name in FIGURES:
        assert same(getattr(units["Finance"].figures, name), finance[name])
    customer = engine_figures(data["use_case"], MONTHS)
    assert same(units["Customer Service"].figures.net_value, customer.net_value)


def test_figures_by_month(client_for, pmo, data):
    report = client_for(pmo).get(URL).context["report"]
    assert [line.label for line in report.by_month] == MONTHS
    for line in report.by_month:
        expected = summed(engine_figures(uc, [line.label]) for uc in data.values())
        for name in FIGURES:
            assert same(getattr(line.figures, name), expected[name]), (line.label, name)
    # Months add up to the total (the engine is linear in the sums).
    total = summed(line.figures for line in report.by_month)
    assert all(same(getattr(report.total, n), total[n]) for n in FIGURES)


def test_range_from_the_query_string(client_for, pmo, data):
    response = client_for(pmo).get(URL, {"start": "2026-09", "end": "2026-11"})
    report = response.context["report"]
    assert [line.label for line in report.by_month] == ["2026-09", "2026-10", "2026-11"]
    months = ["2026-09", "2026-10", "2026-11"]
    expected = summed(engine_figures(uc, months) for uc in data.values())
    assert same(report.total.net_value, expected["net_value"])
    body = response.content.decode()
    assert "Sep 2026 – Nov 2026" in body
    assert "format=xlsx&amp;start=2026-09&amp;end=2026-11" in body


def test_invalid_range_is_reported(client_for, pmo, data):
    response = client_for(pmo).get(URL, {"start": "2026-10", "end": "2026-02"})
    assert response.status_code == 200
    assert response.context["range_errors"] == {"end": ["The last month comes before the first."]}
    assert "The last month comes before the first." in response.content.decode()
    assert [line.label for line in response.context["report"].by_month] == MONTHS


# --- net value after 90 days at scale ------------------------------------------------------------


@pytest.fixture
def scaled(owner):
    complete = make_use_case(
        name="Scaled mid-July",
        owner=owner,
        stage=Stage.SCALED,
        scaled_on=datetime.date(2026, 7, 15),
    )
    for month in ("2026-08", "2026-09", "2026-10"):
        add_month(complete, month)
    add_week(complete, "2026-W33")
    add_week(complete, "2026-W41", tasks_with_ai=990)
    add_month(complete, "2026-07", other_cost=Decimal("99999"))  # before the window
    first_of_month = make_use_case(
        name="Scaled on the 1st",
        stage=Stage.SCALED,
        business_unit="Finance",
        scaled_on=datetime.date(2026, 9, 1),
    )
    add_month(first_of_month, "2026-09")
    add_week(first_of_month, "2026-W38")
    add_week(first_of_month, "2026-W43")  # October, but no monthly review for October
    make_use_case(name="Never scaled", stage=Stage.ROLLOUT)
    return complete, first_of_month


def test_ninety_days_complete_and_pending(client_for, pmo, scaled):
    complete, first_of_month = scaled
    response = client_for(pmo).get(URL, {"start": "2026-01", "end": "2026-02"})
    lines = {line.use_case: line for line in response.context["report"].ninety_days}
    assert set(lines) == {complete, first_of_month}
    bc = BusinessCase.objects.get(use_case=complete).inputs()
    expected = economics.net_value_90_days(
        complete.scaled_on,
        {
            (2026, m): shown_figures(
                economics.period_figures(totals_of(complete, [f"2026-{m:02d}"]), bc)
            ).net_value  # each month rounded by the rule, the 90 days their sum
            for m in (8, 9, 10)
        },
    )
    assert expected.status == "complete"
    assert lines[complete].status == "complete"
    assert lines[complete].value == expected.value
    assert lines[first_of_month].status == "pending"
    assert lines[first_of_month].months_available == 1  # Sep reviewed; Oct and Nov not
    assert lines[first_of_month].months == [
        datetime.date(2026, 9, 1),
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 1),
    ]
    body = response.content.decode()
    assert money(expected.value) in body
    assert "1 of 3 months reviewed" in body
    assert "Never scaled" not in body.split('id="ninety-h"')[1]


def test_no_scaled_use_case(client_for, pmo, use_case):
    body = client_for(pmo).get(URL).content.decode()
    assert "No use case has reached scale yet." in body


# --- empty portfolio and speed -------------------------------------------------------------------


def test_empty_portfolio_renders_cleanly(client_for, pmo):
    response = client_for(pmo).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No use cases yet." in body
    assert "No reviews in Aug 2026 – Oct 2026" in body
    assert response.context["report"].total == dashboard.CfoFigures()
    assert len(response.context["report"].by_month) == 3


def test_report_selector_matches_the_page(pmo, data):
    month_range = dashboard.MonthRange(datetime.date(2026, 8, 1), datetime.date(2026, 10, 1))
    report = cfo.cfo_report(user=pmo, month_range=month_range)
    assert report.has_data
    assert len(report.by_use_case) == 3


@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "pmo", "admin"])
def test_constant_queries_for_1_vs_40_use_cases(client_for, role_users, role):
    owner, contributor = role_users["owner"], role_users["contributor"]
    client = client_for(role_users[role])
    populate(1, owner=owner, contributor=contributor, start=1)  # a scaled one
    before = count_queries(client, URL)
    populate(39, owner=owner, contributor=contributor, start=2)
    assert count_queries(client, URL) == before
    report = client.get(URL).context["report"]
    assert len(report.by_use_case) == 42 if role != "contributor" else 41
    assert len(report.ninety_days) == 14  # every third bulk use case scaled mid-July
