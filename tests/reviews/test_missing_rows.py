"""``reviews.missing_rows``: the union compiled twice per kind of period gives exactly the rows of
the union the ORM builds period by period (``cadence._period_select`` for each, ``union``), for
every filter, including filter values that look like a period's values; and ``MissingRows``
reads like a queryset of dicts (slices, count, order, chunks)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import cadence, missing_rows
from tests.conftest import make_use_case, make_user
from tests.reviews.cadence_helpers import add_monthly, add_weekly
from usecases.models import UseCase

D = datetime.date
TODAY = D(2026, 6, 10)


def orm_union(*, today, periods, order=None, **filters):
    """The rows as the ORM builds them, one queryset per period (the reference)."""
    use_cases = cadence.owing_use_cases(**filters)
    parts = [cadence._period_select(use_cases, period, today) for period in periods]
    if not parts:
        return []
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return list(union.order_by(*(order or missing_rows.ROW_ORDER)))


@pytest.fixture
def portfolio(db):
    olivia = make_user("olivia", first_name="Olivia", last_name="Owner")
    # A business unit and a username that read like a period's values: they are filters, never
    # taken for the period's parameters.
    tricky = make_user("2026-W19", first_name="2026-05-04")
    cases = [
        make_use_case("Alpha", owner=olivia, live_since=D(2025, 12, 1)),
        make_use_case("Beta", owner=tricky, business_unit="2026-05-04", live_since=D(2026, 3, 2)),
        make_use_case("Gamma", owner=None, business_unit="2026-W19", live_since=D(2026, 5, 4)),
        make_use_case("Delta", owner=olivia, business_unit="6", live_since=D(2026, 1, 5)),
    ]
    for week in ("2026-W10", "2026-W11", "2026-W19", "2026-W22"):
        add_weekly(cases[0], week)
    add_weekly(cases[1], "2026-W19")
    add_monthly(cases[0], "2026-04")
    add_monthly(cases[3], "2026-03")
    return cases


FILTERS = [
    {},
    {"owner": "olivia"},
    {"owner": "2026-W19"},
    {"owner": cadence.NO_OWNER},
    {"business_unit": "2026-05-04"},
    {"business_unit": "2026-W19"},
    {"business_unit": "6"},
    {"owner": "nobody"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("today", [TODAY, D(2026, 6, 1), D(2026, 6, 6), D(2026, 1, 1)])
def test_the_compiled_union_is_the_orms(portfolio, filters, today):
    for periods in [
        cadence.lookback_periods(today=today),
        cadence.lookback_periods(today=today, kinds=[cadence.MONTHLY]),
        cadence.lookback_periods(today=today)[:1],
        cadence.reminder_periods(today=today),
    ]:
        rows = cadence.missing_reviews(today=today, periods=periods, **filters)
        assert list(rows) == orm_union(today=today, periods=periods, **filters)


@pytest.mark.django_db
def test_ids_as_a_list_a_subquery_or_none(portfolio):
    periods = cadence.lookback_periods(today=TODAY)
    some = [portfolio[0].pk, portfolio[2].pk]
    subquery = UseCase.objects.filter(name__in=["Beta", "Delta"]).values("pk")
    for ids in (some, subquery, [portfolio[1].pk]):
        rows = cadence.missing_reviews(today=TODAY, periods=periods, use_case_ids=ids)
        assert list(rows) == orm_union(today=TODAY, periods=periods, use_case_ids=ids)
        assert list(rows)
    with CaptureQueriesContext(connection) as ctx:
        for empty in (
            cadence.missing_reviews(today=TODAY, periods=periods, use_case_ids=[]),
            cadence.missing_reviews(today=TODAY, periods=[]),
        ):
            assert empty.is_empty() and list(empty) == [] and empty[:5] == []
            assert empty.count() == 0 and list(empty.iterator()) == []
    assert ctx.captured_queries == []


@pytest.mark.django_db
def test_a_list_of_ids_is_one_parameter_a_period_on_postgresql(portfolio):
    """A data steward's 500 use cases are one array in each period's SELECT on PostgreSQL
    (``usecases.any_of``), not 500 parameters 32 times; the rows are those of the ids."""
    periods = cadence.lookback_periods(today=TODAY)
    one = cadence.missing_reviews(today=TODAY, periods=periods, use_case_ids=[portfolio[0].pk])
    ids = [case.pk for case in portfolio[:3]] + list(range(10**6, 10**6 + 500))
    many = cadence.missing_reviews(today=TODAY, periods=periods, use_case_ids=ids)
    if connection.vendor == "postgresql":
        assert len(many.params) == len(one.params)
        assert many.union.count("= ANY(") == len(periods)
    else:  # SQLite: ``__in``, a parameter per id
        assert len(many.params) == len(one.params) + (len(ids) - 1) * len(periods)
    as_subquery = UseCase.objects.filter(pk__in=ids).values("pk")
    expected = orm_union(today=TODAY, periods=periods, use_case_ids=as_subquery)
    assert list(many) == expected and {row["use_case_id"] for row in expected} == {
        case.pk for case in portfolio[:3]
    }


@pytest.mark.django_db
def test_rows_read_like_a_queryset(portfolio, monkeypatch):
    rows = cadence.overdue_reviews(today=TODAY)
    everything = list(rows)
    assert len(everything) > 10 and rows.count() == len(everything)
    assert rows[3:7] == everything[3:7] and rows[:2] == everything[:2]
    assert rows[5:] == everything[5:] and rows[4:4] == [] and rows[:0] == []
    assert rows[len(everything) + 3 :] == []
    newest_first = ("-due_on", "use_case_name", "kind", "use_case_id")
    overdue = [p for p in cadence.lookback_periods(today=TODAY) if p.days_overdue(TODAY) >= 1]
    assert list(rows.order_by(*newest_first)) == orm_union(
        today=TODAY, periods=overdue, order=newest_first
    )
    monkeypatch.setattr(missing_rows, "CHUNK", 3)
    assert list(rows.iterator()) == everything
    assert all(isinstance(r["due_on"], datetime.date) for r in everything)
    assert {type(r["owner_is_active"]) for r in everything} <= {bool, type(None)}
    with pytest.raises(ValueError, match="not a column"):
        rows.order_by("pk")
    with pytest.raises(TypeError):
        rows[0]  # noqa: B018
    with pytest.raises(ValueError):
        rows[-3:]  # noqa: B018


@pytest.fixture
def compiled(monkeypatch):
    """The labels of the periods whose SELECT the ORM builds, in order; nothing seen yet in this
    process (``missing_rows._SLOTS`` empty)."""
    labels = []
    original = cadence._period_select

    def counting(use_cases, period, today):
        labels.append(period.label)
        return original(use_cases, period, today)

    monkeypatch.setattr(cadence, "_period_select", counting)
    monkeypatch.setattr(missing_rows, "_SLOTS", {})
    return labels


@pytest.mark.django_db
def test_one_statement_compiled_four_times_not_thirty_two(portfolio, compiled):
    """The ORM compiles two SELECTs per kind (a period and the one before it)."""
    periods = cadence.lookback_periods(today=TODAY)
    assert len(periods) == 32
    rows = cadence.missing_reviews(today=TODAY, periods=periods)
    assert len(compiled) == 4
    with CaptureQueriesContext(connection) as ctx:
        list(rows)
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].count("UNION ALL") == 31


@pytest.mark.django_db
def test_the_same_sql_seen_again_is_compiled_once_per_kind(portfolio, compiled):
    """The period values' places are kept by the SQL they were found in: the same filters with
    other values, on another day, compile one SELECT per kind, and give the ORM's rows."""
    first = cadence.lookback_periods(today=TODAY)
    rows = cadence.missing_reviews(today=TODAY, periods=first, owner="olivia")
    assert len(compiled) == 4 and list(rows)
    for today, owner in [(D(2026, 6, 1), "2026-W19"), (D(2026, 1, 1), "olivia"), (TODAY, "x")]:
        compiled.clear()
        periods = cadence.lookback_periods(today=today)
        rows = cadence.missing_reviews(today=today, periods=periods, owner=owner)
        assert len(compiled) == 2, (today, owner)
        assert list(rows) == orm_union(today=today, periods=periods, owner=owner)
    # Another shape (another filter, a list of ids of another length): its own SQL, found anew.
    compiled.clear()
    ids = [portfolio[0].pk, portfolio[1].pk]
    rows = cadence.missing_reviews(today=TODAY, periods=first, use_case_ids=ids)
    assert len(compiled) == 4
    assert list(rows) == orm_union(today=TODAY, periods=first, use_case_ids=ids)


@pytest.mark.django_db
def test_places_that_do_not_hold_the_period_are_found_again(portfolio, monkeypatch):
    """A kept entry is checked against the period's values before it is used: one that does not
    fit (here, planted) is found again, and the rows stay the ORM's."""
    monkeypatch.setattr(missing_rows, "_SLOTS", {})
    periods = cadence.lookback_periods(today=TODAY)
    cadence.missing_reviews(today=TODAY, periods=periods)
    assert len(missing_rows._SLOTS) == 2
    for key, slots in list(missing_rows._SLOTS.items()):
        missing_rows._SLOTS[key] = tuple((index + 1, name) for index, name in slots)
    rows = cadence.missing_reviews(today=TODAY, periods=periods)
    assert list(rows) == orm_union(today=TODAY, periods=periods)


@pytest.mark.django_db
def test_the_kept_places_are_bounded(portfolio, monkeypatch):
    monkeypatch.setattr(missing_rows, "_SLOTS", {})
    monkeypatch.setattr(missing_rows, "_SLOTS_KEPT", 3)
    periods = cadence.lookback_periods(today=TODAY)
    pks = [case.pk for case in portfolio]
    for length in range(1, 5):  # a list of ids of each length is another SQL
        rows = cadence.missing_reviews(today=TODAY, periods=periods, use_case_ids=pks[:length])
        assert list(rows) == orm_union(today=TODAY, periods=periods, use_case_ids=pks[:length])
        assert len(missing_rows._SLOTS) <= 3
