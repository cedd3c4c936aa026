"""reviews.cadence: due dates, overdue, reminder and escalation windows, on hand-picked dates.

Calendar used below (2026): ISO week 2026-W20 runs Monday 11 May – Sunday 17 May; its reminder day
is Monday 18 May, it is due Tuesday 19 May, overdue from Wednesday 20 May, escalated to the PMO on
Friday 22 May. May 2026: reminder Monday 1 June, due Friday 5 June, overdue from the 6th, PMO on
the 8th. 2026 has an ISO week 53: Monday 28 December 2026 – Sunday 3 January 2027.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import cadence
from reviews.overdue_digest import OverdueDigest, overdue_digest
from tests.conftest import make_use_case, make_user
from tests.reviews.cadence_helpers import add_monthly, add_weekly, frozen
from usecases import clock
from usecases.models import Stage

D = datetime.date
MON_18_MAY, TUE_19_MAY, WED_20_MAY = D(2026, 5, 18), D(2026, 5, 19), D(2026, 5, 20)


def labels(rows) -> list[tuple[str, str]]:
    return [(row["kind"], row["period"]) for row in rows]


# --- periods and their dates (no database) ------------------------------------------------------


def test_week_period_dates():
    week = cadence.week_period(2026, 20)
    assert (week.start, week.end) == (D(2026, 5, 11), D(2026, 5, 17))
    assert week.reminder_on == MON_18_MAY
    assert week.due_on == TUE_19_MAY
    assert week.escalate_on == D(2026, 5, 22)  # Friday: 3 days overdue
    assert week.days_overdue(TUE_19_MAY) == 0 and not week.is_overdue(TUE_19_MAY)
    assert week.days_overdue(WED_20_MAY) == 1 and week.is_overdue(WED_20_MAY)
    assert week.days_overdue(MON_18_MAY) == -1


def test_month_period_dates():
    may = cadence.month_period(2026, 5)
    assert may.label == "2026-05"
    assert may.reminder_on == D(2026, 6, 1)
    assert may.due_on == D(2026, 6, 5)
    assert may.escalate_on == D(2026, 6, 8)
    assert not may.is_overdue(D(2026, 6, 5))
    assert may.days_overdue(D(2026, 6, 6)) == 1
    december = cadence.month_period(2026, 12)
    assert december.due_on == D(2027, 1, 5)
    assert december.next.label == "2027-01"


def test_iso_week_53():
    w53 = cadence.week_period(2026, 53)
    assert w53.label == "2026-W53"
    assert (w53.start, w53.end) == (D(2026, 12, 28), D(2027, 1, 3))
    assert w53.reminder_on == D(2027, 1, 4)
    assert w53.due_on == D(2027, 1, 5)
    assert w53.previous.label == "2026-W52"
    assert w53.next.label == "2027-W01"
    assert cadence.week_period(2027, 1).previous == w53
    assert cadence.ended_periods(cadence.WEEKLY, today=D(2027, 1, 4), count=2) == [
        w53,
        cadence.week_period(2026, 52),
    ]
    with pytest.raises(ValueError):
        cadence.week_period(2027, 53)  # 2027 has 52 weeks


def test_reminder_periods_are_the_last_ended_week_and_month():
    assert [p.label for p in cadence.reminder_periods(today=MON_18_MAY)] == ["2026-W20", "2026-04"]
    # Until the next reminder day (Sunday 24 May), the same week; from Monday 25 May, W21.
    assert cadence.reminder_periods(today=D(2026, 5, 24))[0].label == "2026-W20"
    assert cadence.reminder_periods(today=D(2026, 5, 25))[0].label == "2026-W21"
    assert [p.label for p in cadence.reminder_periods(today=D(2026, 6, 1))] == [
        "2026-W22",
        "2026-05",
    ]
    assert cadence.reminder_periods(today=D(2027, 1, 4))[0].label == "2026-W53"


def test_escalation_periods_start_three_days_overdue():
    thursday, friday = D(2026, 5, 21), D(2026, 5, 22)
    assert cadence.escalation_periods(today=thursday)[0].label == "2026-W19"
    assert cadence.escalation_periods(today=friday)[0].label == "2026-W20"
    assert cadence.escalation_periods(today=D(2026, 6, 7))[1].label == "2026-04"
    assert cadence.escalation_periods(today=D(2026, 6, 8))[1].label == "2026-05"


def test_filter_params():
    flt, errors = cadence.OverdueFilter.from_params(
        {"owner": " olivia ", "business_unit": "Finance", "kind": "weekly"}
    )
    assert flt == cadence.OverdueFilter("olivia", "Finance", "weekly") and errors == {}
    flt, errors = cadence.OverdueFilter.from_params({"kind": "daily"})
    assert flt.kind == "" and "kind" in errors


# --- missing and overdue reviews in the database -----------------------------------------------


@pytest.fixture
def live_w20(owner, contributor):
    """Live since Monday 11 May 2026: W20 is its first due week; May is not due (partly live)."""
    uc = make_use_case(owner=owner, live_since=D(2026, 5, 11))
    uc.contributors.add(contributor)
    return uc


@pytest.mark.django_db
def test_monday_reminder_day_not_overdue_yet(live_w20):
    with frozen(MON_18_MAY):
        today = clock.today()
        assert list(cadence.overdue_reviews(today=today)) == []
        periods = cadence.reminder_periods(today=today)
        assert labels(cadence.missing_reviews(today=today, periods=periods)) == [
            ("weekly", "2026-W20")
        ]


@pytest.mark.django_db
def test_tuesday_due_date_is_not_overdue(live_w20):
    with frozen(TUE_19_MAY):
        assert list(cadence.overdue_reviews(today=clock.today())) == []


@pytest.mark.django_db
def test_wednesday_overdue_starts(live_w20, owner):
    with frozen(WED_20_MAY):
        [row] = cadence.overdue_reviews(today=clock.today())
    assert row["use_case_id"] == live_w20.pk
    assert row["kind"] == "weekly" and row["period"] == "2026-W20"
    assert row["due_on"] == TUE_19_MAY
    assert row["days_overdue"] == 1
    assert row["owner_username"] == owner.username
    assert row["business_unit"] == live_w20.business_unit


@pytest.mark.django_db
def test_submitted_review_is_not_missing(live_w20):
    add_weekly(live_w20, "2026-W20")
    assert labels(cadence.overdue_reviews(today=D(2026, 5, 27))) == [("weekly", "2026-W21")]


@pytest.mark.django_db
def test_week_holding_live_since_counts_only_from_its_monday(owner):
    on_monday = make_use_case("A", owner=owner, live_since=D(2026, 5, 11))
    on_tuesday = make_use_case("B", owner=owner, live_since=D(2026, 5, 12))
    rows = list(cadence.overdue_reviews(today=D(2026, 5, 27), kind="weekly"))
    assert {(r["use_case_id"], r["period"]) for r in rows} == {
        (on_monday.pk, "2026-W20"),
        (on_monday.pk, "2026-W21"),
        (on_tuesday.pk, "2026-W21"),
    }


@pytest.mark.django_db
def test_month_holding_live_since_counts_only_from_its_first(owner):
    on_first = make_use_case("A", owner=owner, live_since=D(2026, 4, 1))
    make_use_case("B", owner=owner, live_since=D(2026, 4, 2))
    rows = list(cadence.overdue_reviews(today=D(2026, 5, 6), kind="monthly"))
    assert {(r["use_case_id"], r["period"]) for r in rows} == {(on_first.pk, "2026-04")}
    assert rows[0]["due_on"] == D(2026, 5, 5) and rows[0]["days_overdue"] == 1


@pytest.mark.django_db
def test_monthly_first_and_fifth(owner):
    make_use_case(owner=owner, live_since=D(2026, 5, 1))
    first, fifth, sixth = D(2026, 6, 1), D(2026, 6, 5), D(2026, 6, 6)
    reminded = cadence.missing_reviews(today=first, periods=cadence.reminder_periods(today=first))
    assert ("monthly", "2026-05") in labels(reminded)
    assert list(cadence.overdue_reviews(today=first, kind="monthly")) == []
    assert list(cadence.overdue_reviews(today=fifth, kind="monthly")) == []
    [row] = cadence.overdue_reviews(today=sixth, kind="monthly")
    assert (row["period"], row["due_on"], row["days_overdue"]) == ("2026-05", fifth, 1)


@pytest.mark.django_db
def test_iso_week_53_overdue_on_wednesday_6_january(owner):
    uc = make_use_case(owner=owner, live_since=D(2026, 12, 28))
    assert list(cadence.overdue_reviews(today=D(2027, 1, 5))) == []
    [row] = cadence.overdue_reviews(today=D(2027, 1, 6))
    assert (row["period"], row["due_on"], row["days_overdue"]) == ("2026-W53", D(2027, 1, 5), 1)
    add_weekly(uc, "2026-W53")
    assert list(cadence.overdue_reviews(today=D(2027, 1, 6))) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "due"),
    [
        (Stage.PROPOSED, False),
        (Stage.PILOT, False),
        (Stage.ROLLOUT, True),
        (Stage.SCALED, True),
        (Stage.REDESIGN, True),
        (Stage.ON_HOLD, False),
        (Stage.STOPPED, False),
    ],
)
def test_reviews_are_due_only_in_review_stages(owner, stage, due):
    make_use_case(owner=owner, stage=stage, live_since=D(2026, 5, 11))
    assert bool(list(cadence.overdue_reviews(today=WED_20_MAY))) is due


@pytest.mark.django_db
def test_nothing_due_without_live_since(owner):
    make_use_case(owner=owner, live_since=None)
    assert list(cadence.overdue_reviews(today=WED_20_MAY)) == []


@pytest.mark.django_db
def test_lookback_is_bounded_and_a_setting(owner, settings):
    uc = make_use_case(owner=owner, live_since=D(2020, 1, 6))
    today = D(2026, 6, 10)  # a Wednesday, after the 5th
    rows = list(cadence.overdue_reviews(today=today))
    assert sum(r["kind"] == "weekly" for r in rows) == 26
    assert sum(r["kind"] == "monthly" for r in rows) == 6
    oldest_week = min(r["period_start"] for r in rows if r["kind"] == "weekly")
    assert oldest_week == D(2026, 6, 1) - datetime.timedelta(weeks=25)  # W23 is the newest
    settings.VALUEGATE_CADENCE_LOOKBACK_WEEKS = 4
    settings.VALUEGATE_CADENCE_LOOKBACK_MONTHS = 2
    rows = list(cadence.overdue_reviews(today=today))
    assert labels(rows) == [
        ("monthly", "2026-04"),
        ("weekly", "2026-W20"),
        ("weekly", "2026-W21"),
        ("weekly", "2026-W22"),
        ("monthly", "2026-05"),
        ("weekly", "2026-W23"),
    ]
    assert cadence.overdue_count_by_use_case(today=today) == {uc.pk: 6}


@pytest.mark.django_db
def test_filters_and_counts_by_owner(owner, other_owner):
    a = make_use_case("A", owner=owner, live_since=D(2026, 5, 11))
    make_use_case("B", owner=other_owner, business_unit="Finance", live_since=D(2026, 5, 11))
    make_use_case("C", owner=None, business_unit="Finance", live_since=D(2026, 5, 18))
    today = D(2026, 5, 27)  # W20 and W21 overdue for A and B, W21 for C
    all_rows = cadence.overdue_reviews(today=today)
    assert all_rows.count() == 5
    assert {r["use_case_id"] for r in cadence.overdue_reviews(today=today, owner="olivia")} == {
        a.pk
    }
    no_owner = cadence.overdue_reviews(today=today, owner=cadence.NO_OWNER)
    assert [r["use_case_name"] for r in no_owner] == ["C"]
    finance = cadence.overdue_reviews(today=today, business_unit="Finance")
    assert sorted(r["use_case_name"] for r in finance) == ["B", "B", "C"]
    assert cadence.overdue_reviews(today=today, kind="monthly").count() == 0
    counts = overdue_digest(all_rows, limit=0).owners
    assert [(c.username, c.name, c.count) for c in counts] == [
        ("olivia", "Olivia Owner", 2),
        ("oscar", "Oscar Other", 2),
        ("", "", 1),
    ]
    assert counts[2].filter_value == cadence.NO_OWNER
    nobody = cadence.overdue_reviews(today=today, owner="nobody")
    assert overdue_digest(nobody, limit=10) == OverdueDigest(rows=[], owners=[], escalated=0)


@pytest.mark.django_db
def test_oldest_due_first():
    uc = make_use_case(live_since=D(2026, 4, 1))
    add_monthly(uc, "2026-04")
    rows = list(cadence.overdue_reviews(today=D(2026, 5, 27)))
    assert [r["due_on"] for r in rows] == sorted(r["due_on"] for r in rows)
    assert ("monthly", "2026-04") not in labels(rows)


@pytest.mark.django_db
def test_filter_choices(owner):
    make_use_case("A", owner=owner, live_since=D(2026, 5, 11))
    make_use_case("B", owner=make_user("pilot-owner"), stage=Stage.PILOT, business_unit="Legal")
    choices = cadence.filter_choices()
    assert "owner" not in choices  # searched: usecases.owner_search
    assert choices["business_unit"] == [("Customer Service", "Customer Service")]


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 50])
def test_query_count_does_not_grow_with_the_portfolio(owner, n):
    for i in range(n):
        make_use_case(f"UC {i:02d}", owner=owner, live_since=D(2025, 1, 6))
    today = D(2026, 6, 10)
    with CaptureQueriesContext(connection) as ctx:
        rows = cadence.overdue_reviews(today=today)
        listed = list(rows)
        counts = overdue_digest(rows, limit=10).owners
        per_use_case = cadence.overdue_count_by_use_case(today=today)
    assert len(listed) == n * 32
    assert counts[0].count == n * 32 and len(per_use_case) == n
    assert len(ctx.captured_queries) == 3, [q["sql"][:120] for q in ctx.captured_queries]


def test_missing_reviews_with_no_periods_is_empty_with_the_row_shape(db):
    """Regression: an empty period list raised FieldError (values() of row fields on UseCase)."""
    rows = cadence.missing_reviews(today=datetime.date(2026, 11, 25), periods=[])
    assert list(rows) == []
    with CaptureQueriesContext(connection) as ctx:
        assert overdue_digest(rows, limit=10).total == 0
    assert ctx.captured_queries == []
