"""Migration reviews.0005: periods stored as typed before it are rewritten canonically, and a real
duplicate (the same use case and period, spelt twice) stops it with a message naming both rows.

Each test migrates the database back to reviews.0004, inserts rows as the old code stored them
(its period patterns took any Unicode digit), migrates forward, and restores the latest schema.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reviews import selectors
from tests.conftest import make_use_case, make_user

# serialized_rollback: the flush after each test then leaves the content types to the next
# serialized test (a plain transactional flush re-creates them under new ids, and a later
# serialized_rollback test then collides with them on PostgreSQL).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("reviews", "0004_use_case_period_indexes")
AFTER = ("reviews", "0005_canonical_periods")
COSTS = dict(
    training_cost=Decimal("100"),
    support_cost=Decimal("200"),
    integration_cost=Decimal("0"),
    run_cost=Decimal("300"),
    maintenance_cost=Decimal("0"),
    other_cost=Decimal("0"),
)
FIGURES = dict(
    active_users=70,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=30,
    minutes_saved_per_task=Decimal("2.5"),
    rework_minutes_per_output=Decimal("6"),
    quality_score=Decimal("90"),
    backlog=40,
    declared_hours_saved=Decimal("0"),
)


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def old_apps():
    """The models as of reviews.0004; the latest schema is restored afterwards."""
    apps = _migrate(BEFORE)
    yield apps
    for name in ("Flag", "WeeklyReview", "MonthlyReview"):  # whatever a failed run left
        apps.get_model("reviews", name).objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def use_case():
    return make_use_case(owner=make_user("olivia"))


def old_weekly(apps, use_case, week, monday):
    """A weekly review as the old code stored it: the text as typed, the dates parsed."""
    model = apps.get_model("reviews", "WeeklyReview")
    thursday = monday + datetime.timedelta(days=3)
    return model.objects.create(
        use_case_id=use_case.pk,
        week=week,
        week_start=monday,
        month_start=thursday.replace(day=1),
        **FIGURES,
    )


def old_monthly(apps, use_case, month, first, **costs):
    model = apps.get_model("reviews", "MonthlyReview")
    return model.objects.create(
        use_case_id=use_case.pk, month=month, month_start=first, **{**COSTS, **costs}
    )


W45 = datetime.date(2026, 11, 2)  # Monday of 2026-W45
OCTOBER = datetime.date(2026, 10, 1)


def test_rows_spelt_otherwise_are_rewritten_canonically_and_reported(old_apps, use_case, capsys):
    weekly = old_weekly(old_apps, use_case, "２０２６-W45", W45)
    canonical = old_weekly(old_apps, use_case, "2026-W44", datetime.date(2026, 10, 26))
    monthly = old_monthly(old_apps, use_case, "2026-١٠", OCTOBER)
    flag = old_apps.get_model("reviews", "Flag").objects.create(
        use_case_id=use_case.pk,
        kind="stop_loss",
        rule_key="rule:1",
        period="２０２６-W45",
        explanation="Rework rate above 15%.",
        triggered_by="weekly:２０２６-W45",
    )

    new_apps = _migrate(AFTER)

    Weekly = new_apps.get_model("reviews", "WeeklyReview")
    Monthly = new_apps.get_model("reviews", "MonthlyReview")
    assert Weekly.objects.get(pk=weekly.pk).week == "2026-W45"
    assert Weekly.objects.get(pk=canonical.pk).week == "2026-W44"
    assert Monthly.objects.get(pk=monthly.pk).month == "2026-10"
    flag = new_apps.get_model("reviews", "Flag").objects.get(pk=flag.pk)
    assert (flag.period, flag.triggered_by) == ("2026-W45", "weekly:2026-W45")
    # The audit history says what was rewritten, and from what.
    history = new_apps.get_model("reviews", "HistoricalWeeklyReview").objects.get(id=weekly.pk)
    assert history.week == "2026-W45"
    assert (
        history.history_change_reason
        == "week stored canonically (was '\\uff12\\uff10\\uff12\\uff16-W45')"
    )
    report = capsys.readouterr().out
    assert "Stored 3 period(s) canonically" in report
    assert f"weeklyreview #{weekly.pk} (use case #{use_case.pk}, week '2026-W45')" in report
    assert f"monthlyreview #{monthly.pk}" in report
    assert f"flag #{flag.pk}" in report


def test_a_real_duplicate_stops_the_migration_naming_both_rows(old_apps, use_case):
    first = old_weekly(old_apps, use_case, "2026-W45", W45)
    second = old_weekly(old_apps, use_case, "２０２６-W45", W45)
    other = old_weekly(old_apps, use_case, "2026-W٤٤", datetime.date(2026, 10, 26))

    with pytest.raises(RuntimeError) as raised:
        _migrate(AFTER)

    message = str(raised.value)
    assert f"weeklyreview #{second.pk} (use case #{use_case.pk}, week " in message
    assert f"is the same week as weeklyreview #{first.pk} (use case #{use_case.pk}, week " in (
        message
    )
    assert "Nothing was changed" in message
    Weekly = old_apps.get_model("reviews", "WeeklyReview")
    # Nothing was changed: the row that had no twin keeps its old spelling too.
    assert Weekly.objects.get(pk=other.pk).week == "2026-W٤٤"
    assert MigrationExecutor(connection).loader.applied_migrations.get(AFTER) is None


def test_duplicate_monthly_reviews_are_summed_never_one_row_winning(old_apps, use_case):
    """Before the database refused them, two monthly reviews of one month could exist: the
    month's costs are both, not whichever row was read last; and the migration names both."""
    first = old_monthly(old_apps, use_case, "2026-10", OCTOBER, run_cost=Decimal("4033.93"))
    second = old_monthly(old_apps, use_case, "２０２６-１０", OCTOBER, run_cost=Decimal("0"))

    totals = selectors.monthly_totals(start=OCTOBER, end=OCTOBER, use_case_ids=[use_case.pk])
    assert totals[use_case.pk][OCTOBER].costs == Decimal("4333.93") + Decimal("300")

    with pytest.raises(RuntimeError) as raised:
        _migrate(AFTER)
    assert f"monthlyreview #{second.pk}" in str(raised.value)
    assert f"is the same month as monthlyreview #{first.pk}" in str(raised.value)
