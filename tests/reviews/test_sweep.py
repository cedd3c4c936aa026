"""reviews.sweep: the portfolio-wide sweep evaluates like the save hook, is idempotent, bounded
in queries, and safe when two sweeps run at once (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from reviews.models import Comparison, Flag, FlagKind, Metric
from reviews.sweep import sweep_portfolio
from reviews.tasks import sweep_stop_loss
from tests.conftest import make_use_case
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases.models import Funding, Notification, Stage, UseCase

from .stoploss_helpers import (
    HEALTHY,
    TODAY,
    frozen_today,  # noqa: F401
    make_rule,
    rework,
    weeks_back,
)

pytestmark = pytest.mark.usefixtures("frozen_today")


def add_week(use_case, week, **changes):
    """A weekly review written straight to the table (as an import or the demo seed would):
    the save hook does not run, so only the sweep can find a breach."""
    return WeeklyReviewFactory(use_case=use_case, week=week, **{**HEALTHY, **changes})


def stop_loss(outcome):
    return [f for f in outcome.flags if f.kind == FlagKind.STOP_LOSS]


def stop_loss_reasons(use_case):
    return list(
        use_case.history.filter(history_change_reason__startswith="stop-loss").values_list(
            "history_change_reason", flat=True
        )
    )


@pytest.mark.django_db
def test_sweep_flags_the_latest_week_and_returns_to_redesign(use_case, owner, pmo):
    add_week(use_case, "2026-W46", **rework("0.30"))  # older breach: the sweep judges the latest
    latest = add_week(use_case, "2026-W47", **rework("0.19"))
    outcome = sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    assert flag.period == "2026-W47"
    assert flag.triggered_by == f"weekly:2026-W47 (review #{latest.pk}), sweep"
    assert stop_loss(outcome) == [flag]
    assert outcome.stage_changes == [(use_case.pk, Stage.ROLLOUT)]
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == (Stage.REDESIGN, Funding.CONDITIONAL)
    assert stop_loss_reasons(use_case) == [
        f"stop-loss: rework rate 19.0% exceeds 15.0% in 2026-W47 (weekly review #{latest.pk}, "
        "sweep)"
    ]
    assert {n.recipient for n in Notification.objects.filter(kind="stop_loss")} == {owner, pmo}


@pytest.mark.django_db
def test_sweep_twice_is_sweep_once(use_case, other_use_case, owner):
    add_week(use_case, "2026-W47", **rework("0.19"))
    add_week(other_use_case, "2026-W47", active_users=10)  # adoption 10%
    first = sweep_portfolio(today=TODAY)
    assert len(stop_loss(first)) == 2 and len(first.stage_changes) == 2
    state = (
        list(Flag.objects.values_list("pk", "explanation")),
        Notification.objects.count(),
        UseCase.history.count(),
    )
    second = sweep_portfolio(today=TODAY)
    assert (second.flags, second.stage_changes) == ([], [])
    assert state == (
        list(Flag.objects.values_list("pk", "explanation")),
        Notification.objects.count(),
        UseCase.history.count(),
    )


@pytest.mark.django_db
def test_sweep_and_hook_raise_the_same_flag_once(use_case, owner):
    from .stoploss_helpers import submit_week

    submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    assert stop_loss(sweep_portfolio(today=TODAY)) == []
    assert Flag.objects.filter(kind=FlagKind.STOP_LOSS).count() == 1


@pytest.mark.django_db
def test_sweep_evaluates_the_latest_month_with_a_monthly_review(use_case):
    make_rule(metric=Metric.NET_VALUE, comparison=Comparison.FALLS_BELOW, threshold=Decimal(0))
    add_week(use_case, "2026-W41")
    MonthlyReviewFactory(
        use_case=use_case,
        month="2026-10",
        training_cost=0,
        support_cost=0,
        integration_cost=0,
        run_cost=Decimal("1000"),
        maintenance_cost=0,
        other_cost=0,
    )
    sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(kind=FlagKind.STOP_LOSS)
    assert flag.period == "2026-10"
    assert flag.observed_value == Decimal("-250.0000")  # 1050 − 300 − 1000


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.PILOT, Stage.ON_HOLD, Stage.STOPPED, Stage.PROPOSED])
def test_sweep_leaves_use_cases_that_owe_no_reviews_alone(use_case, stage):
    UseCase.objects.filter(pk=use_case.pk).update(stage=stage)
    add_week(use_case, "2026-W47", **rework("0.19"))
    assert sweep_portfolio(today=TODAY).flags == []
    assert not Flag.objects.exists()


@pytest.mark.django_db
def test_sweep_in_redesign_flags_without_a_stage_change(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.REDESIGN)
    add_week(use_case, "2026-W47", **rework("0.19"))
    outcome = sweep_portfolio(today=TODAY)
    assert len(stop_loss(outcome)) == 1 and outcome.stage_changes == []


def portfolio(n, owner):
    """``n`` use cases with six healthy weeks and a monthly review each (no breach)."""
    make_rule(metric=Metric.NET_VALUE, comparison=Comparison.FALLS_BELOW, threshold=Decimal(-1e6))
    for i in range(n):
        uc = make_use_case(f"Use case {i}", owner=owner)
        for label in weeks_back(6):
            add_week(uc, label)
        MonthlyReviewFactory(
            use_case=uc,
            month="2026-10",
            training_cost=0,
            support_cost=0,
            integration_cost=0,
            run_cost=0,
            maintenance_cost=0,
            other_cost=0,
        )


def sweep_queries(*, warm=True):
    """The SQL of one sweep; ``warm``: after a first sweep raised whatever there was to raise."""
    if warm:
        sweep_portfolio(today=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        sweep_portfolio(today=TODAY)
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_sweep_query_count_does_not_grow_with_the_portfolio(owner):
    portfolio(1, owner)
    one = sweep_queries()
    portfolio_more = 12
    for i in range(portfolio_more):
        uc = make_use_case(f"More {i}", owner=owner)
        for label in weeks_back(6):
            add_week(uc, label)
    many = sweep_queries()
    # the candidates (1), then per batch: rules, use cases, weeks, months (+ 2 sums), model
    # changes, the telemetry days of the evaluated weeks, standing flags, overdue reviews;
    # savepoint/transaction statements aside (JIT is off on every connection: no SET per batch).
    assert len(many) == len(one), "\n".join(many)
    assert len([q for q in one if "SAVEPOINT" not in q]) <= 12, "\n".join(one)


@pytest.mark.django_db
def test_sweep_writes_do_not_grow_with_new_flags(owner, pmo):
    def breaching(i):
        uc = make_use_case(f"Breach {i}", owner=owner, live_since=None)  # nothing overdue
        add_week(uc, "2026-W47", **rework("0.19"))

    breaching(0)
    one = sweep_queries(warm=False)
    for i in range(1, 4):
        breaching(i)
    three_new = sweep_queries(warm=False)
    assert Flag.objects.count() == 4
    # The new flags' writes are in bulk (reviews.stoploss_effects.raise_many): lock the use
    # cases, insert the flags and their history, update the stages with their history (and the
    # contributors' copies), the StageTransition rows, the notifications (look-up, insert, chat
    # channels) — the same statements for 3 new flags as for 1.
    assert len(three_new) == len(one), "\n".join(three_new)


@pytest.mark.django_db
def test_celery_task_runs_the_sweep_and_is_scheduled(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(live_since=None)  # nothing overdue
    add_week(use_case, "2026-W47", **rework("0.19"))
    assert sweep_stop_loss.apply().get() == {"flags": 1, "stage_changes": 1}
    assert sweep_stop_loss.apply().get() == {"flags": 0, "stage_changes": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stop-loss"]
    assert entry["task"] == "reviews.tasks.sweep_stop_loss"
    assert entry["schedule"] == crontab(minute="*/15")


# --- two sweeps at once (PostgreSQL: real row locks and concurrent transactions) ---------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_raise_one_flag_and_one_stage_change(owner):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    use_cases = [make_use_case(f"Concurrent {i}", owner=owner) for i in range(8)]
    for uc in use_cases:
        add_week(uc, "2026-W47", **rework("0.19"))
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            outcomes.append(sweep_portfolio(today=TODAY))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(len(stop_loss(o)) for o in outcomes) == len(use_cases)
    assert sum(len(o.stage_changes) for o in outcomes) == len(use_cases)
    for uc in use_cases:
        assert Flag.objects.filter(use_case=uc, kind=FlagKind.STOP_LOSS).count() == 1
        assert len(stop_loss_reasons(uc)) == 1
        uc.refresh_from_db()
        assert uc.stage == Stage.REDESIGN
    assert Notification.objects.filter(kind="stop_loss").count() == len(use_cases)  # owner only
