"""Portfolios larger than one page: the dashboard table and the CFO report's use case and 90-day
lines are paged (``PAGE_SIZE`` rows), sorted in SQL over every row, with totals over every row;
the exports still carry every line. The SQL sort is checked against a reference sort in Python
over the engine's own figures, for every sort key, both directions."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio import cfo, dashboard
from portfolio.filters import SORT_FIELDS, DashboardFilter, choices_for
from reviews.models import WeeklyReview
from tests.conftest import make_use_case, make_user
from tests.portfolio.test_dashboard import (
    add_flag,
    add_month,
    add_week,
    count_queries,
    engine_figures,
)
from usecases import economics, money
from usecases.models import BusinessCase, Funding, Stage
from usecases.permissions import visible_use_cases

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)
URL = "/portfolio/"
CFO_URL = "/reports/cfo/"
MONTHS = ["2026-08", "2026-09", "2026-10"]
SIZE = dashboard.PAGE_SIZE + 7


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def big_portfolio(owner, other_owner):
    """PAGE_SIZE + 7 use cases with varied names (case, punctuation), owners, stages, funding,
    business cases, reviews, flags and scale dates; a few without any review or owner."""
    rng = random.Random(7)
    named_owner = make_user("zed", "Value owner", first_name="Ada", last_name="Zimmer")
    owners = [owner, other_owner, named_owner, None]
    use_cases = []
    for i in range(SIZE):
        name = rng.choice(["alpha", "Beta", "gamma-", "Delta ", "éclair", "Zulu"]) + f" {i:02d}"
        stage = rng.choice(Stage.values)
        uc = make_use_case(
            name=name,
            owner=owners[i % 4],
            business_unit=rng.choice(["Finance", "Customer Service", "HR"]),
            stage=stage,
            funding_status=rng.choice(Funding.values),
            scaled_on=datetime.date(2026, rng.choice([5, 6, 7]), rng.choice([1, 15]))
            if i % 3 == 0
            else None,
        )
        BusinessCase.objects.filter(use_case=uc).update(
            hourly_cost=Decimal(rng.randint(3000, 9000)) / 100,
            reclaimable_share=Decimal(rng.randint(10, 95)) / 100,
        )
        if i % 11 != 5:  # some use cases have no review at all
            for week in rng.sample(["2026-W33", "2026-W36", "2026-W40", "2026-W43"], 2):
                add_week(
                    uc,
                    week,
                    active_users=rng.randint(0, 100),
                    target_users=rng.choice([0, 80, 100]),
                    tasks_with_ai=rng.randint(0, 900),
                    reworked_outputs=rng.randint(0, 150),
                    minutes_saved_per_task=Decimal(rng.randint(50, 600)) / 100,
                )
            add_month(uc, rng.choice(MONTHS), other_cost=Decimal(rng.randint(0, 90000)))
        if i % 4 == 0:
            add_flag(uc)
        use_cases.append(uc)
    return use_cases


def engine_net(use_case) -> tuple[bool, Decimal]:
    """(has a review in the range, the engine's net value over the range)."""
    starts = [datetime.date(2026, m, 1) for m in (8, 9, 10)]
    has_data = (
        use_case.weekly_reviews.filter(month_start__in=starts).exists()
        or use_case.monthly_reviews.filter(month_start__in=starts).exists()
    )
    return has_data, engine_figures(use_case, MONTHS).net_value


def reference_order(use_cases, sort: str) -> list[str]:
    """The dashboard's documented order, computed in Python from the stored data: rows without a
    value go last either way, ties by name (case-insensitive, code point order)."""
    stage_rank = {v: i for i, v in enumerate(Stage.values)}
    funding_rank = {v: i for i, v in enumerate(Funding.values)}

    def latest(uc):
        return WeeklyReview.objects.filter(use_case=uc).order_by("-week").first()

    def key_of(uc):
        key = sort.removeprefix("-")
        if key == "name":
            return uc.name.lower()
        if key == "business_unit":
            return uc.business_unit.lower()
        if key == "stage":
            return stage_rank[uc.stage]
        if key == "funding":
            return funding_rank[uc.funding_status]
        if key == "owner":
            o = uc.value_owner
            return (o.get_full_name() or o.username).lower() if o else None
        if key in ("adoption", "rework"):
            review = latest(uc)
            if review is None:
                return None
            if key == "adoption":
                return economics.adoption_rate(review.active_users, review.target_users)
            return economics.rework_rate(review.reworked_outputs, review.tasks_with_ai)
        if key == "net_value":
            has_data, net = engine_net(uc)
            return net if has_data else None
        return uc.flags.filter(resolved_at__isnull=True).count()

    by_name = sorted(use_cases, key=lambda uc: (uc.name.lower(), uc.pk))
    keyed = [(key_of(uc), uc) for uc in by_name]
    present = [p for p in keyed if p[0] is not None]
    missing = [p for p in keyed if p[0] is None]
    ordered = sorted(present, key=lambda p: p[0], reverse=sort.startswith("-")) + missing
    return [uc.name for _, uc in ordered]


def all_pages(client, params) -> list:
    """Every page's rows; each page must be read sorted and cut to its rows by the database (one
    statement with ORDER BY ... LIMIT), not by sorting every row in Python."""
    rows, page = [], 1
    while True:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {**params, "page": page})
        assert response.status_code == 200
        page_rows = response.context["rows"]
        paged = [
            q["sql"]
            for q in queries.captured_queries
            if "ORDER BY" in q["sql"] and f"LIMIT {len(page_rows)}" in q["sql"]
        ]
        assert len(paged) == 1, f"page {page}: {len(paged)} sorted and paged statements"
        rows += page_rows
        if not response.context["table"].page.has_next():
            return rows
        page += 1


@pytest.mark.parametrize("sort", [s for key in SORT_FIELDS for s in (key, f"-{key}")])
def test_sql_sort_over_every_page_matches_the_reference(client_for, pmo, big_portfolio, sort):
    rows = all_pages(client_for(pmo), {"sort": sort})
    assert len(rows) == SIZE
    assert [r.use_case.name for r in rows] == reference_order(big_portfolio, sort)


def test_pages_rows_and_totals(client_for, pmo, big_portfolio):
    client = client_for(pmo)
    first = client.get(URL, {"sort": "-net_value"})
    assert len(first.context["rows"]) == dashboard.PAGE_SIZE
    body = first.content.decode()
    assert f"{SIZE} use cases · showing 1–{dashboard.PAGE_SIZE}" in body
    assert "Page 1 of 2" in body
    assert "?sort=-net_value&amp;page=2" in body  # the next page keeps the sort
    second = client.get(URL, {"sort": "-net_value", "page": 2})
    assert len(second.context["rows"]) == SIZE - dashboard.PAGE_SIZE
    # Every row's net value is the engine's; the table total covers both pages.
    rows = first.context["rows"] + second.context["rows"]
    for row in rows:
        has_data, net = engine_net(row.use_case)
        assert row.has_data == has_data
        assert row.net_value == net
    total = first.context["table_total"].net_value
    assert abs(total - sum(r.net_value for r in rows)) < Decimal("1e-6")
    assert total == first.context["summary"].figures.net_value
    assert f"Total of all {SIZE} use cases" in body
    # A page out of range shows the last page; garbage shows the first.
    assert client.get(URL, {"page": 99}).context["table"].page.number == 2
    assert client.get(URL, {"page": "x"}).context["table"].page.number == 1


def test_filtered_total_covers_every_matching_row(client_for, pmo, big_portfolio):
    client = client_for(pmo)
    response = client.get(URL, {"business_unit": "Finance"})
    matching = [uc for uc in big_portfolio if uc.business_unit == "Finance"]
    expected = sum((engine_net(uc)[1] for uc in matching), Decimal(0))
    assert response.context["table"].count == len(matching)
    assert abs(response.context["table_total"].net_value - expected) < Decimal("1e-6")
    partial = client.get(URL, {"business_unit": "Finance"}, headers={"HX-Request": "true"})
    assert partial.context["table_total"].net_value == response.context["table_total"].net_value


#: The dashboard's queries in each shape: session, user, groups, filter choices, then the stage
#: counts (with the filtered table's count), the page, the figures (the table's total and the
#: page's rows: two queries; a filtered table adds the portfolio's total, two more), the open
#: flags, and the unread notifications. The htmx fragment has no summary: COUNT, page, figures
#: (two queries), the notifications.
QUERIES = {"page": 10, "filtered": 12, "fragment": 9, "fragment filtered": 9}


def test_queries_do_not_grow_with_pages(client_for, pmo, owner, big_portfolio):
    client = client_for(pmo)
    shapes = [(URL, "page"), (URL + "?page=2", "page")]
    shapes += [(URL + f"?sort={s}", "page") for key in SORT_FIELDS for s in (key, f"-{key}")]
    shapes += [(URL + f"?sort=-{key}&page=2", "page") for key in SORT_FIELDS]
    shapes += [
        (URL + "?business_unit=HR&sort=owner", "filtered"),
        (URL + "?flags=none&sort=-net_value&page=2", "filtered"),
        (URL + "?stage=rollout&funding=funded", "filtered"),
        (URL + "?page=2&sort=-adoption", "fragment"),
        (URL + "?business_unit=Finance&sort=-net_value", "fragment filtered"),
    ]
    for url, shape in shapes:
        headers = {"HTTP_HX_REQUEST": "true"} if shape.startswith("fragment") else {}
        assert count_queries(client, url, **headers) == QUERIES[shape], url
    assert max(QUERIES.values()) <= 12


def test_figures_are_read_for_the_page_rows_only(pmo, big_portfolio):
    """The table's total and the portfolio's are summed in SQL; only the page's use cases come
    back with their own figures, and they foot to the total over every page."""
    month_range = dashboard.MonthRange(datetime.date(2026, 8, 1), datetime.date(2026, 10, 1))
    queryset = dashboard.table_queryset(pmo)
    pages = [
        dashboard.table_page(queryset, month_range=month_range, sort="-net_value", page_number=n)
        for n in (1, 2)
    ]
    rows = {}
    for page in pages:
        ids = [uc.pk for uc in page.use_cases]
        figures = dashboard.table_figures(user=pmo, month_range=month_range, page_ids=ids)
        assert set(figures.rows) <= set(ids)
        assert figures.portfolio == figures.total
        rows |= figures.rows
    assert len(rows) > dashboard.PAGE_SIZE
    everything = dashboard.table_figures(
        user=pmo, month_range=month_range, page_ids=[uc.pk for uc in big_portfolio]
    )
    assert everything.rows == rows
    assert figures.total == money.total(rows.values())
    finance = queryset.filter(business_unit="Finance")
    filtered = dashboard.table_figures(
        user=pmo,
        month_range=month_range,
        page_ids=[uc.pk for uc in finance],
        table_ids=finance.order_by().values("pk"),
    )
    assert filtered.portfolio == figures.total
    assert filtered.rows == {pk: f for pk, f in rows.items() if pk in {uc.pk for uc in finance}}
    assert filtered.total == money.total(filtered.rows.values())
    assert filtered.total != figures.total


def test_quick_select_renders_like_the_stock_widget(pmo, big_portfolio):
    from django import forms
    from django.test.html import parse_html

    form = DashboardFilter(
        {"owner": "oscar", "stage": "bogus"},
        queryset=dashboard.table_queryset(pmo),
        choices=choices_for(visible_use_cases(pmo)),
    ).form
    form.is_valid()
    for name in ("stage", "business_unit"):
        bound = form[name]
        quick = str(bound)
        stock = forms.Select(choices=bound.field.choices).render(
            bound.html_name, bound.value(), attrs=bound.build_widget_attrs({"id": bound.auto_id})
        )
        assert parse_html(quick) == parse_html(stock), name
    assert 'aria-invalid="true"' in str(form["stage"])
    assert 'name="owner" value="oscar"' in str(form["owner"])  # a search field (owner_search)


def test_the_filter_form_shares_the_long_choices_instead_of_copying_them(pmo, big_portfolio):
    """Each form deep-copies its fields; the units' choices are shared by reference
    (``SharedChoices``), and a bound form still validates against them. The owner is looked up
    among the visible use cases (``owner_search``)."""
    choices = choices_for(visible_use_cases(pmo))
    forms = [
        DashboardFilter(data, queryset=dashboard.table_queryset(pmo), choices=choices).form
        for data in ({"owner": "oscar"}, {"owner": "nobody-at-all"})
    ]
    for form in forms:
        assert form.fields["business_unit"]._choices.choices is choices["business_unit"]
    assert forms[0].is_valid() and forms[0].cleaned_data["owner"] == "oscar"
    assert not forms[1].is_valid() and "owner" in forms[1].errors


# --- the CFO report -------------------------------------------------------------------------------


def test_cfo_pages_and_totals(client_for, pmo, big_portfolio):
    client = client_for(pmo)
    params = {"start": "2026-08", "end": "2026-10"}
    first = client.get(CFO_URL, params).context["report"]
    assert first.use_case_count == SIZE
    assert len(first.by_use_case) == cfo.PAGE_SIZE
    second = client.get(CFO_URL, {**params, "page": 2}).context["report"]
    lines = first.by_use_case + second.by_use_case
    assert [line.use_case.pk for line in lines] == [
        uc.pk for uc in sorted(big_portfolio, key=lambda uc: (uc.name.lower(), uc.pk))
    ]
    for line in lines:
        assert line.figures.net_value == engine_net(line.use_case)[1]
    assert abs(first.total.net_value - sum(x.figures.net_value for x in lines)) < Decimal("1e-6")
    assert sum(u.use_case_count for u in first.by_business_unit) == SIZE
    scaled = [uc for uc in big_portfolio if uc.scaled_on]
    assert first.ninety_day_count == len(scaled)
    body = client.get(CFO_URL, {**params, "ninety_page": 1}).content.decode()
    assert "Pages of the use case lines" in body
    assert "?start=2026-08&amp;end=2026-10&amp;ninety_page=1&amp;page=2#by-use-case-h" in body


def test_cfo_ninety_day_pages(client_for, pmo, owner):
    for i in range(cfo.PAGE_SIZE + 2):
        make_use_case(
            name=f"Scaled {i:02d}", stage=Stage.SCALED, scaled_on=datetime.date(2026, 6, 1 + i % 28)
        )
    client = client_for(pmo)
    first = client.get(CFO_URL).context["report"]
    second = client.get(CFO_URL, {"ninety_page": 2}).context["report"]
    assert len(first.ninety_days) == cfo.PAGE_SIZE and len(second.ninety_days) == 2
    on = [line.use_case.scaled_on for line in first.ninety_days + second.ninety_days]
    assert on == sorted(on)
    assert "ninety_page=2#ninety-h" in client.get(CFO_URL).content.decode()


def test_exports_carry_every_line(client_for, pmo, big_portfolio):
    response = client_for(pmo).get(
        reverse("portfolio:cfo_export"),
        {"format": "csv", "table": "use_case", "start": "2026-08", "end": "2026-10"},
    )
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 1 + SIZE  # the header and every use case
