"""A Celery worker SIGKILLed in the middle of the stop-loss sweep leaves no use case half-changed,
and the next sweep completes the work.

A portfolio of ``N`` use cases in rollout or scaled, each with a last week whose rework (37.5%)
breaches the default policy, saved in bulk so that no save hook has evaluated them yet. A real
worker (prefork, test Redis, the test PostgreSQL database) runs ``reviews.tasks.sweep_stop_loss``;
as soon as its first batch has committed, the whole worker process group is killed with SIGKILL
(no warm shutdown, no chance to clean up). The kill lands between the batches by construction, not
by timing: another connection holds the row lock of the last use case (the second batch's), so the
second batch waits inside its transaction until the worker is dead. Then:

- every use case is either untouched (in its stage, funded, no stop-loss flag) or fully changed
  (in redesign, funding conditional, its stop-loss flag raised and its owner and the PMO
  notified) — never a stage without its flag, or a flag without its stage change;
- the sweep run again (in-process, the same function beat's task calls) finishes the job: every
  use case flagged once, in redesign, each notification stored once.
"""

import datetime
import os
import signal
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from reviews.models import Flag, FlagKind, WeeklyReview, weekly_period_dates
from reviews.sweep import BATCH_SIZE, sweep_portfolio
from tests.conftest import make_user
from tests.db_support import other_connection
from tests.faults import ensure_default_policy
from tests.worker_support import celery_worker, wait_for
from usecases import clock, economics
from usecases.models import BusinessCase, Funding, Notification, Stage, UseCase

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

N = BATCH_SIZE + 100  # two sweep batches: the kill lands after the first, before the second
SWEEP = "reviews.tasks.sweep_stop_loss"


def _business_case(use_case: UseCase) -> BusinessCase:
    return BusinessCase(
        use_case=use_case,
        baseline_tasks_per_week=Decimal("2000"),
        baseline_minutes_per_task=Decimal("12"),
        baseline_source="production",
        hourly_cost=Decimal("45.00"),
        pilot_effort_reduction=Decimal("0.30"),
        reclaimable_share=Decimal("0.50"),
        adoption_pessimistic=Decimal("0.40"),
        adoption_base=Decimal("0.60"),
        adoption_optimistic=Decimal("0.80"),
        planned_monthly_run_cost=Decimal("1200"),
        planned_monthly_support_cost=Decimal("800"),
        planned_monthly_maintenance_cost=Decimal("500"),
        one_off_integration_cost=Decimal("20000"),
        one_off_training_cost=Decimal("5000"),
    )


@pytest.fixture
def breaching_portfolio(django_db_serialized_rollback, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    ensure_default_policy()
    owner = make_user("olivia")
    make_user("pia", "PMO")
    today = clock.today()  # real time: the worker process has no frozen clock
    week = economics.format_iso_week(*economics.iso_week_of(today - datetime.timedelta(days=7)))
    week_start, month_start = weekly_period_dates(week)
    use_cases = UseCase.objects.bulk_create(
        UseCase(
            name=f"Assistant {i:04d}",
            business_unit=f"Unit {i % 7}",
            workflow="Triage",
            stage=Stage.ROLLOUT if i % 2 else Stage.SCALED,
            funding_status=Funding.FUNDED,
            value_owner=owner,
            target_users=100,
            live_since=today - datetime.timedelta(days=180),
        )
        for i in range(N)
    )
    BusinessCase.objects.bulk_create(_business_case(uc) for uc in use_cases)
    WeeklyReview.objects.bulk_create(  # bulk: no save hook, the sweep is the first to look
        WeeklyReview(
            use_case=uc,
            week=week,
            week_start=week_start,
            month_start=month_start,
            active_users=80,
            target_users=100,
            tasks_total=1000,
            tasks_with_ai=800,
            reworked_outputs=300,  # 37.5% rework > 15%
            exceptions=10,
            minutes_saved_per_task=Decimal("3"),
            rework_minutes_per_output=Decimal("5"),
            quality_score=Decimal("85"),
            backlog=40,
        )
        for uc in use_cases
    )
    return owner


def _stop_loss_flags():
    return Flag.objects.filter(kind=FlagKind.STOP_LOSS)


def _assert_no_use_case_half_changed() -> int:
    """Every use case untouched or fully changed; returns how many were changed."""
    has_flag = Exists(_stop_loss_flags().filter(use_case=OuterRef("pk")))
    use_cases = UseCase.objects.annotate(flagged=has_flag)
    stage_without_flag = use_cases.filter(stage=Stage.REDESIGN, flagged=False)
    flag_without_stage = use_cases.filter(flagged=True).exclude(stage=Stage.REDESIGN)
    assert not stage_without_flag.exists(), "in redesign without its stop-loss flag"
    assert not flag_without_stage.exists(), "stop-loss flag raised, stage left unchanged"
    changed = use_cases.filter(flagged=True)
    assert not changed.exclude(funding_status=Funding.CONDITIONAL).exists()
    untouched = use_cases.filter(flagged=False)
    assert not untouched.exclude(funding_status=Funding.FUNDED).exists()
    # The flag's notifications were written in its transaction: owner and PMO, none missing.
    notified = Notification.objects.filter(kind="stop_loss").values("subject_id")
    per_flag = notified.annotate(n=Count("pk")).values_list("n", flat=True)
    assert set(per_flag) <= {2}
    assert notified.count() == 2 * _stop_loss_flags().count()
    return changed.count()


@contextmanager
def _last_use_case_locked():
    """Hold the row lock of the use case the sweep judges last (candidates go by id) on a
    connection of its own, so that the sweep's second batch waits for it in its transaction."""
    with other_connection() as locker:
        row = locker.execute(
            "SELECT id FROM usecases_usecase ORDER BY id DESC LIMIT 1 FOR UPDATE"
        ).fetchone()
        assert row is not None
        yield
        locker.rollback()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sigkill_mid_sweep_leaves_no_half_changed_use_case(breaching_portfolio, tmp_path):
    with celery_worker(tmp_path, concurrency=1) as worker, _last_use_case_locked():
        worker.producer.send_task(SWEEP)
        wait_for(lambda: _stop_loss_flags().exists(), timeout=180, worker=worker)
        # The first batch has committed and the second waits for the lock: kill mid-sweep.
        os.killpg(worker.process.pid, signal.SIGKILL)  # the parent and its pool child
        worker.process.wait(timeout=10)
        log = worker.log()
    assert f"Task {SWEEP}[" in log and "succeeded" not in log, log[-3000:]

    changed = _assert_no_use_case_half_changed()
    assert 0 < changed < N, f"the kill did not land between the batches ({changed} of {N} changed)"

    outcome = sweep_portfolio()  # the next sweep (beat runs one every 15 minutes)

    assert len(outcome.stage_changes) == N - changed
    assert _assert_no_use_case_half_changed() == N
    assert UseCase.objects.filter(stage=Stage.REDESIGN).count() == N
    per_use_case = _stop_loss_flags().values("use_case").annotate(n=Count("pk"))
    assert {row["n"] for row in per_use_case} == {1} and per_use_case.count() == N
    assert not UseCase.objects.filter(~Q(stage=Stage.REDESIGN)).exists()
