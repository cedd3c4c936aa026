"""The portfolio dashboard: access per role, figures equal to the economics engine, the leakage
waterfall summed per use case, filters that combine, sorting, the htmx table fragment, an empty
portfolio, and a constant number of queries for 1 vs 40 use cases.

The data helpers at the top are shared by the other portfolio page tests."""

import datetime
import decimal
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio import dashboard
from reviews.models import Flag, FlagKind, MonthlyReview, WeeklyReview
from stagegates.models import GateItem
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases import economics
from usecases.models import BusinessCase, Funding, Stage
from usecases.templatetags.money import money

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # Wednesday of 2026-W48
URL = "/portfolio/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- shared data helpers ----------------------------------------------------------------------


def add_week(use_case, week, **fields):
    values = dict(
        active_users=60,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=700,
        reworked_outputs=70,
        exceptions=20,
        minutes_saved_per_task=Decimal("2.50"),
        rework_minutes_per_output=Decimal("6.00"),
        quality_score=Decimal("88"),
        backlog=100,
    )
    values.update(fields)
    return WeeklyReviewFactory(use_case=use_case, week=week, **values)


def add_month(use_case, month, **fields):
    values = dict(
        training_cost=Decimal("100"),
        support_cost=Decimal("250.50"),
        integration_cost=Decimal("300"),
        run_cost=Decimal("420.25"),
        maintenance_cost=Decimal("80"),
        other_cost=Decimal("12.34"),
    )
    values.update(fields)
    return MonthlyReviewFactory(use_case=use_case, month=month, **values)


def add_flag(use_case, period="2026-W47", kind=FlagKind.STOP_LOSS, **fields):
    values = dict(
        rule_key=f"{kind}:{period}",
        explanation=f"Rework 18.0% exceeds the 15.0% threshold in {period}.",
    )
    values.update(fields)
    return Flag.objects.create(use_case=use_case, kind=kind, period=period, **values)


def totals_of(use_case, months: list[str]) -> economics.PeriodTotals:
    """The engine's totals for ``months`` computed in Python from the stored reviews."""
    weeks = [
        r.figures()
        for r in WeeklyReview.objects.filter(use_case=use_case)
        if economics.format_month(r.month_start.year, r.month_start.month) in months
    ]
    costs = [r.costs() for r in MonthlyReview.objects.filter(use_case=use_case, month__in=months)]
    return economics.PeriodTotals.from_weeks_and_costs(weeks, costs)


def half_up(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def shown_figures(engine: economics.PeriodFigures) -> economics.PeriodFigures:
    """The rounding rule (docs/figures.md), written out here on its own: gross, translation and
    rework rounded half-up, costs as entered, net derived from the rounded parts."""
    costs = engine.absorption_cost - engine.rework_cost  # entered in cents: exact
    gross, gap, rework = (
        half_up(engine.gross_efficiency),
        half_up(engine.translation_gap),
        half_up(engine.rework_cost),
    )
    return economics.PeriodFigures(
        gross_efficiency=gross,
        translation_gap=gap,
        absorption_cost=rework + costs,
        net_value=gross - gap - rework - costs,
        rework_cost=rework,
    )


def engine_figures(use_case, months: list[str]) -> economics.PeriodFigures:
    """What the pages show for ``use_case`` over ``months``: each month's engine figures rounded
    by the rule, then added up."""
    bc = BusinessCase.objects.get(use_case=use_case).inputs()
    per_month = [
        shown_figures(economics.period_figures(totals_of(use_case, [m]), bc)) for m in months
    ]
    return economics.PeriodFigures(
        *[
            sum((getattr(f, name) for f in per_month), Decimal(0))
            for name in (
                "gross_efficiency",
                "translation_gap",
                "absorption_cost",
                "net_value",
                "rework_cost",
            )
        ]
    )


def engine_waterfall(use_case, months: list[str]) -> list[economics.WaterfallStep]:
    """The waterfall as shown: each month's steps rounded half-up, the effort gap and net value
    derived from the rounded ones, then added up month by month."""
    bc = BusinessCase.objects.get(use_case=use_case).inputs()
    sums: dict[str, Decimal] = {}
    order = []
    for month in months:
        steps = economics.waterfall(totals_of(use_case, [month]), bc)
        amounts = {s.step: half_up(s.amount) for s in steps}
        amounts["effort_gap"] = (
            amounts["pilot_promise"] - amounts["adoption_gap"] - amounts["gross_efficiency"]
        )
        amounts["net_value"] = amounts["gross_efficiency"] - sum(
            amounts[s.step] for s in steps[4:12]
        )
        order = [(s.step, s.leakage_point) for s in steps]
        for name, amount in amounts.items():
            sums[name] = sums.get(name, Decimal(0)) + amount
    return [economics.WaterfallStep(step, point, sums[step]) for step, point in order]


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def populate(n, *, owner, contributor, start=0, gate=None):
    """``n`` use cases in rollout owned by ``owner`` with ``contributor``, each with two weekly
    reviews, a monthly review, an open flag and (with ``gate``) an agenda item."""
    created = []
    for i in range(start, start + n):
        uc = make_use_case(
            name=f"Bulk use case {i:03d}",
            owner=owner,
            business_unit=f"Unit {i % 3}",
            stage=[Stage.ROLLOUT, Stage.SCALED, Stage.REDESIGN][i % 3],
            scaled_on=datetime.date(2026, 7, 15) if i % 3 == 1 else None,
        )
        uc.contributors.add(contributor)
        add_week(uc, "2026-W36")
        add_week(uc, "2026-W40", reworked_outputs=100 + i)
        add_month(uc, "2026-09")
        add_month(uc, "2026-08")
        add_flag(uc)
        if gate is not None:
            GateItem.objects.create(gate=gate, use_case=uc)
        created.append(uc)
    return created


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_outsider_gets_403(client_for, role_users):
    assert client_for(role_users["outsider"]).get(URL).status_code == 403


@pytest.mark.parametrize("role", ["owner", "other_owner", "leader", "pmo", "admin"])
def test_portfolio_readers_see_every_use_case(
    client_for, role_users, use_case, other_use_case, role
):
    response = client_for(role_users[role]).get(URL)
    assert response.status_code == 200
    names = [row.use_case.name for row in response.context["rows"]]
    assert names == sorted([use_case.name, other_use_case.name])
    assert response.context["summary"].use_case_count == 2


def test_contributor_sees_only_their_use_case(client_for, role_users, use_case, other_use_case):
    add_week(use_case, "2026-W36")
    add_week(other_use_case, "2026-W36", tasks_with_ai=900)
    add_flag(other_use_case, explanation="Secret flag of another unit.")
    response = client_for(role_users["contributor"]).get(URL)
    assert response.status_code == 200
    assert [row.use_case for row in response.context["rows"]] == [use_case]
    summary = response.context["summary"]
    assert summary.use_case_count == 1
    expected = engine_figures(use_case, ["2026-08", "2026-09", "2026-10"])
    assert summary.figures.gross_efficiency == expected.gross_efficiency
    assert summary.open_flag_count == 0
    body = response.content.decode()
    assert other_use_case.name not in body
    assert "Secret flag" not in body
    units = dict(response.context["filter"].filters["business_unit"].extra["choices"])
    assert list(units) == [use_case.business_unit]
    owners = client_for(role_users["contributor"]).get("/use-cases/owners/").content.decode()
    assert 'value="olivia"' in owners and "oscar" not in owners


def test_nav_links(client_for, role_users):
    body = client_for(role_users["owner"]).get(URL).content.decode()
    assert '<a href="/portfolio/">Dashboard</a>' in body
    assert '<a href="/reports/cfo/">CFO report</a>' in body


# --- figures ----------------------------------------------------------------------------------


@pytest.fixture
def two_use_cases(use_case, other_use_case):
    """Two use cases with different business cases and reviews in Aug-Oct 2026 (and outside)."""
    BusinessCase.objects.filter(use_case=other_use_case).update(
        hourly_cost=Decimal("61.30"), reclaimable_share=Decimal("0.8125")
    )
    add_week(use_case, "2026-W32")  # August (Thursday 6 Aug)
    add_week(use_case, "2026-W36", tasks_with_ai=810, minutes_saved_per_task=Decimal("3.1"))
    add_week(use_case, "2026-W40", active_users=71, reworked_outputs=133)  # October (Thu 1 Oct)
    add_week(use_case, "2026-W27")  # July: outside the default range
    add_month(use_case, "2026-08")
    add_month(use_case, "2026-10", run_cost=Decimal("999.99"))
    add_month(use_case, "2026-07", other_cost=Decimal("5000"))
    add_week(other_use_case, "2026-W35", tasks_total=500, tasks_with_ai=480)
    add_month(other_use_case, "2026-09", integration_cost=Decimal("7777.77"))
    return use_case, other_use_case


def expected_sum(use_cases, months):
    with decimal.localcontext(prec=economics.PRECISION):
        figures = [engine_figures(uc, months) for uc in use_cases]
        return {
            name: sum((getattr(f, name) for f in figures), Decimal(0))
            for name in ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")
        }


def test_cfo_figures_equal_the_engine_per_use_case(client_for, pmo, two_use_cases):
    months = ["2026-08", "2026-09", "2026-10"]
    response = client_for(pmo).get(URL)
    summary = response.context["summary"]
    expected = expected_sum(two_use_cases, months)
    for name, value in expected.items():
        assert getattr(summary.figures, name) == value, name
    body = response.content.decode()
    assert money(expected["net_value"]) in body
    assert money(expected["gross_efficiency"]) in body
    assert money(expected["translation_gap"]) in body
    assert "Aug 2026 – Oct 2026" in body
    # Each use case has its own business case: the engine on portfolio-wide sums differs.
    pooled = economics.period_figures(
        sum((totals_of(uc, months) for uc in two_use_cases), economics.PeriodTotals()),
        BusinessCase.objects.get(use_case=two_use_cases[0]).inputs(),
    )
    assert cents(pooled.net_value) != cents(expected["net_value"])


def test_table_rows_net_value_and_latest_week(client_for, owner, two_use_cases):
    use_case, other = two_use_cases
    rows = {r.use_case: r for r in client_for(owner).get(URL).context["rows"]}
    months = ["2026-08", "2026-09", "2026-10"]
    assert rows[use_case].net_value == engine_figures(use_case, months).net_value
    assert rows[other].net_value == engine_figures(other, months).net_value
    # The latest weekly review is W40 (not W27, stored later in the table).
    assert rows[use_case].latest_week == "2026-W40"
    assert rows[use_case].adoption_rate == economics.adoption_rate(71, 100)
    assert rows[use_case].rework_rate == economics.rework_rate(133, 700)
    assert rows[other].latest_week == "2026-W35"


def test_waterfall_is_the_sum_of_per_use_case_waterfalls(client_for, leader, two_use_cases):
    months = ["2026-08", "2026-09", "2026-10"]
    bars = client_for(leader).get(URL).context["summary"].waterfall
    per_use_case = [engine_waterfall(uc, months) for uc in two_use_cases]
    assert [b.step for b in bars] == [s.step for s in per_use_case[0]]
    for i, bar in enumerate(bars):
        assert bar.amount == sum((w[i].amount for w in per_use_case), Decimal(0)), bar.step
        assert bar.leakage_point == per_use_case[0][i].leakage_point
    totals = expected_sum(two_use_cases, months)
    assert bars[-1].step == "net_value" and bars[-1].amount == totals["net_value"]
    assert bars[3].step == "gross_efficiency" and bars[3].amount == totals["gross_efficiency"]
    # Each deduction hangs from the running value; the running value lands on net value.
    running = bars[0].amount
    for bar in bars[1:]:
        if bar.is_total:
            assert running == bar.amount, bar.step  # exact: the rounded bars foot
            running = bar.amount
        else:
            assert bar.high == running and bar.low == running - bar.amount
            running -= bar.amount


def test_waterfall_chart_data_is_json_for_the_script(client_for, pmo, two_use_cases):
    body = client_for(pmo).get(URL).content.decode()
    assert '<script id="waterfall-data" type="application/json">' in body
    assert "js/dashboard.js" in body and "chart-4.6.1.umd.min.js" in body
    assert "<script>" not in body  # CSP: no inline script without a nonce


def test_range_from_the_query_string(client_for, pmo, two_use_cases):
    response = client_for(pmo).get(URL, {"start": "2026-08", "end": "2026-08"})
    summary = response.context["summary"]
    assert summary.month_range.label == "Aug 2026"
    assert summary.figures.net_value == expected_sum(two_use_cases, ["2026-08"])["net_value"]
    response = client_for(pmo).get(URL, {"start": "2026-07", "end": "2026-10"})
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert (
        response.context["summary"].figures.net_value
        == expected_sum(two_use_cases, months)["net_value"]
    )


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "2026-13"}, "start"),
        ({"start": "soon", "end": "2026-10"}, "start"),
        ({"start": "2026-10", "end": "2026-08"}, "end"),
        ({"start": "2010-01", "end": "2026-10"}, "end"),
    ],
)
def test_invalid_range_falls_back_to_the_default_and_says_so(client_for, pmo, params, field):
    response = client_for(pmo).get(URL, params)
    assert response.status_code == 200
    assert field in response.context["range_errors"]
    assert response.context["month_range"] == dashboard.default_range(datetime.date(2026, 11, 25))
    assert 'aria-invalid="true"' in response.content.decode()


def test_default_range_is_the_last_three_complete_months():
    r = dashboard.default_range(datetime.date(2026, 1, 10))
    assert (r.start, r.end) == (datetime.date(2025, 10, 1), datetime.date(2025, 12, 1))


def test_stage_counts_and_open_flags(client_for, pmo, use_case, other_use_case):
    make_use_case(name="Pilot thing", stage=Stage.PILOT)
    add_flag(use_case, explanation="Rework 18.0% exceeds 15.0% in 2026-W47.")
    add_flag(other_use_case, period="2026-W46", explanation="Adoption fell below 60%.")
    resolved = add_flag(other_use_case, period="2026-W40", explanation="Old news.")
    resolved.resolved_at = datetime.datetime(2026, 10, 10, tzinfo=datetime.UTC)
    resolved.save()
    response = client_for(pmo).get(URL)
    summary = response.context["summary"]
    counts = {value: n for value, _label, n in summary.stage_counts}
    assert counts[Stage.ROLLOUT] == 2 and counts[Stage.PILOT] == 1 and counts[Stage.SCALED] == 0
    assert summary.open_flag_count == 2
    body = response.content.decode()
    assert "Adoption fell below 60%." in body and "Old news." not in body
    rows = {r.use_case.name: r.open_flags for r in response.context["rows"]}
    assert rows == {use_case.name: 1, other_use_case.name: 1, "Pilot thing": 0}


def test_open_flags_are_the_newest_and_counted_per_reader(
    client_for, role_users, use_case, other_use_case
):
    """More open flags than the dashboard shows: the newest FLAGS_SHOWN in order, and the count of
    all the reader may see (the count is a subquery of its own; the list reads an index)."""
    base = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    mine, others = [], []
    for week in range(12):  # the contributor's use case: 12 open, one an hour apart
        flag = add_flag(use_case, period=f"2026-W{week + 30}")
        Flag.objects.filter(pk=flag.pk).update(raised_at=base + datetime.timedelta(hours=2 * week))
        mine.append(flag.pk)
    for week in range(3):  # another use case, raised in between
        flag = add_flag(other_use_case, period=f"2026-W{week + 30}")
        Flag.objects.filter(pk=flag.pk).update(raised_at=base + datetime.timedelta(hours=15 + week))
        others.append(flag.pk)
    resolved = add_flag(use_case, period="2026-W20")
    Flag.objects.filter(pk=resolved.pk).update(
        raised_at=base + datetime.timedelta(days=5), resolved_at=base + datetime.timedelta(days=6)
    )
    newest_first = list(
        Flag.objects.filter(resolved_at__isnull=True)
        .order_by("-raised_at", "-id")
        .values_list("pk", flat=True)
    )
    for who, expected in (
        ("pmo", newest_first),
        ("contributor", [pk for pk in newest_first if pk in mine]),
    ):
        summary = client_for(role_users[who]).get(URL).context["summary"]
        assert summary.open_flag_count == len(expected)
        assert [f.pk for f in summary.open_flags] == expected[: dashboard.FLAGS_SHOWN]
    assert len(newest_first) == 15 and resolved.pk not in newest_first


# --- filters, sorting, htmx ---------------------------------------------------------------------


@pytest.fixture
def portfolio(use_case, other_use_case, other_owner):
    """Four use cases across units, stages, funding and owners; one with an open flag."""
    third = make_use_case(
        name="Claims triage",
        owner=other_owner,
        business_unit="Finance",
        stage=Stage.SCALED,
        funding_status=Funding.FUNDED,
    )
    ownerless = make_use_case(name="Expense auditor", business_unit="Finance")
    add_flag(third)
    add_week(use_case, "2026-W36", active_users=90)
    add_week(third, "2026-W36", active_users=40)
    add_month(third, "2026-09", other_cost=Decimal("90000"))
    return {"use_case": use_case, "other": other_use_case, "third": third, "ownerless": ownerless}


def names(response):
    return [row.use_case.name for row in response.context["rows"]]


def test_filters_combine(client_for, pmo, portfolio):
    client = client_for(pmo)
    assert names(client.get(URL, {"business_unit": "Finance"})) == [
        "Claims triage",
        "Expense auditor",
        "Invoice matching",
    ]
    assert names(client.get(URL, {"business_unit": "Finance", "stage": "scaled"})) == [
        "Claims triage"
    ]
    assert names(client.get(URL, {"business_unit": "Finance", "flags": "none"})) == [
        "Expense auditor",
        "Invoice matching",
    ]
    assert names(client.get(URL, {"flags": "open"})) == ["Claims triage"]
    assert names(client.get(URL, {"owner": "oscar", "funding": "funded"})) == ["Claims triage"]
    assert names(client.get(URL, {"owner": "(none)"})) == ["Expense auditor"]
    assert names(client.get(URL, {"owner": "oscar", "stage": "rollout"})) == ["Invoice matching"]
    response = client.get(URL, {"business_unit": "Finance", "stage": "pilot"})
    assert names(response) == []
    assert "No use case matches these filters." in response.content.decode()


def test_unknown_filter_value_is_reported_and_ignored(client_for, pmo, portfolio):
    response = client_for(pmo).get(URL, {"business_unit": "Atlantis", "stage": "scaled"})
    assert response.status_code == 200
    assert "business_unit" in response.context["filter"].errors
    assert names(response) == ["Claims triage"]


def test_a_refused_filter_value_is_not_said_to_match(client_for, pmo, portfolio):
    # Every value refused: the table is the whole portfolio, and says so, not "match the filters".
    response = client_for(pmo).get(URL, {"business_unit": "Atlantis", "owner": "nobody-here"})
    status = response.content.decode().split('class="muted small table-status"')[1].split("</p>")[0]
    count = len(names(response))
    assert "match" not in status
    assert f">{count} use cases · not filtered by business unit, value owner:" in status
    assert "matching the filters" not in response.content.decode()
    # One refused, one applied: the count is of the applied one, and the refused one is named.
    response = client_for(pmo).get(URL, {"business_unit": "Atlantis", "stage": "scaled"})
    status = response.content.decode().split('class="muted small table-status"')[1].split("</p>")[0]
    assert ">1 use case matches the filters · not filtered by business unit:" in status
    # Nothing refused: nothing said about it.
    response = client_for(pmo).get(URL, {"stage": "scaled"})
    assert "not filtered by" not in response.content.decode()


def test_filters_do_not_change_the_portfolio_figures(client_for, pmo, portfolio):
    whole = client_for(pmo).get(URL).context["summary"].figures
    filtered = client_for(pmo).get(URL, {"business_unit": "Finance"})
    assert filtered.context["summary"].figures == whole
    rows = filtered.context["rows"]
    assert filtered.context["table_total"].net_value == sum(r.net_value for r in rows)


def test_sort(client_for, pmo, portfolio):
    client = client_for(pmo)
    assert names(client.get(URL)) == sorted(names(client.get(URL)), key=str.lower)
    assert names(client.get(URL, {"sort": "-name"}))[0] == "Invoice matching"
    # Net value: Claims triage is deep in the red; use cases without data go last either way.
    by_net = names(client.get(URL, {"sort": "net_value"}))
    assert by_net[0] == "Claims triage"
    assert by_net[-2:] == ["Expense auditor", "Invoice matching"]
    by_net_desc = names(client.get(URL, {"sort": "-net_value"}))
    assert by_net_desc[:2] == ["Customer-response assistant", "Claims triage"]
    assert by_net_desc[-2:] == ["Expense auditor", "Invoice matching"]
    assert names(client.get(URL, {"sort": "-adoption"}))[:2] == [
        "Customer-response assistant",
        "Claims triage",
    ]
    assert names(client.get(URL, {"sort": "stage"}))[-1] == "Claims triage"
    assert names(client.get(URL, {"sort": "-flags"}))[0] == "Claims triage"
    assert names(client.get(URL, {"sort": "owner"}))[-1] == "Expense auditor"
    response = client.get(URL, {"sort": "-net_value", "business_unit": "Finance"})
    assert names(response) == ["Claims triage", "Expense auditor", "Invoice matching"]
    body = response.content.decode()
    assert 'aria-sort="descending"' in body
    # The header link toggles the direction and keeps the filters.
    assert "?sort=net_value&amp;business_unit=Finance" in body


def test_htmx_request_gets_only_the_table(client_for, pmo, portfolio):
    response = client_for(pmo).get(
        URL, {"business_unit": "Finance", "sort": "-name"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-table">')
    assert "<html" not in body and "Value-leakage waterfall" not in body
    assert names(response) == ["Invoice matching", "Expense auditor", "Claims triage"]
    assert response.context["summary"] is None
    # The sort select outside the fragment follows (out-of-band swap).
    assert 'id="id_sort" hx-swap-oob="true"' in body
    assert '<option value="-name" selected>' in body


def test_full_page_wires_the_form_to_htmx_and_works_without_it(client_for, pmo, portfolio):
    body = client_for(pmo).get(URL, {"start": "2026-07", "end": "2026-09"}).content.decode()
    assert 'method="get" action="/portfolio/"' in body
    assert 'hx-get="/portfolio/" hx-target="#dashboard-table"' in body
    assert 'hx-push-url="true"' in body
    # The range travels with the filter form, the filters with the range form.
    assert '<input type="hidden" name="start" value="2026-07">' in body
    body = client_for(pmo).get(URL, {"stage": "scaled"}).content.decode()
    assert '<input type="hidden" name="stage" value="scaled">' in body


# --- empty portfolio ----------------------------------------------------------------------------


def test_empty_portfolio_renders_cleanly(client_for, pmo):
    response = client_for(pmo).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No use cases yet." in body
    assert "No reviews in Aug 2026 – Oct 2026 yet" in body
    assert "No open flags" in body
    assert money(0) in body
    assert response.context["summary"].figures == dashboard.CfoFigures()
    assert [b.amount for b in response.context["summary"].waterfall] == [Decimal(0)] * 13


def test_use_case_without_business_case_or_reviews(client_for, pmo, use_case):
    BusinessCase.objects.filter(use_case=use_case).delete()
    add_week(use_case, "2026-W36")
    response = client_for(pmo).get(URL)
    assert response.status_code == 200
    assert response.context["summary"].figures.net_value == 0


# --- speed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "pmo", "admin"])
def test_constant_queries_for_1_vs_40_use_cases(
    client_for, owner, contributor, leader, pmo, admin_user, role
):
    user = {"owner": owner, "contributor": contributor, "leader": leader, "pmo": pmo}.get(
        role, admin_user
    )
    client = client_for(user)
    populate(1, owner=owner, contributor=contributor)
    full = count_queries(client, URL)
    partial = count_queries(client, URL + "?stage=rollout&flags=open", HTTP_HX_REQUEST="true")
    filtered = count_queries(client, URL + "?business_unit=Unit+0&sort=-net_value")
    populate(39, owner=owner, contributor=contributor, start=1)
    assert count_queries(client, URL) == full
    assert (
        count_queries(client, URL + "?stage=rollout&flags=open", HTTP_HX_REQUEST="true") == partial
    )
    assert count_queries(client, URL + "?business_unit=Unit+0&sort=-net_value") == filtered
    response = client.get(URL)
    assert len(response.context["rows"]) == 40


@pytest.mark.parametrize("sort", ["-net_value", "net_value"])
def test_net_value_sort_joins_the_range_sums(client_for, pmo, portfolio, sort):
    """Sorted by net value, every visible use case needs its range sums: the page's query joins
    them (one grouped pass over the range's reviews), never a subquery per use case in its
    ORDER BY (PostgreSQL runs those once per row: on 2,000 use cases, 4,000 index lookups and
    aggregates)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(pmo).get(URL, {"sort": sort})
    assert response.status_code == 200
    # The table's page: ordered by the key, then by name (``sorted_queryset``).
    orders = [q["sql"].rpartition(" ORDER BY ")[2] for q in ctx.captured_queries]
    page_orders = [o for o in orders if 'LOWER("usecases_usecase"."name")' in o]
    assert len(page_orders) == 1, orders
    assert "SELECT" not in page_orders[0], page_orders[0]
    assert "range_weekly" in page_orders[0] and "range_monthly" in page_orders[0]


def test_owner_with_other_roles_reads_portfolio(client_for, db):
    user = make_user("multi", "Leadership")
    make_use_case(name="Owned", owner=user)
    assert client_for(user).get(reverse("portfolio:dashboard")).status_code == 200
