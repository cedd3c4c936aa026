"""The fifth early-warning signal, ``declared_vs_measured`` (reviews.early_warnings): the pure rule
on hand-built values (its boundary: more than 20 % of the measured figure; exactly 20 % is no
signal), and the flag raised by the save hook and the sweep from what telemetry measured
(``reviews.telemetry_figures.measured_weeks``, loaded by ``reviews.series``)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import early_warnings as ew
from reviews.flags import flag_figures
from reviews.models import Flag, FlagKind
from reviews.points import WeekPoint
from reviews.sweep import sweep_portfolio
from reviews.telemetry_figures import measured_weeks
from tests.conftest import make_use_case
from tests.factories import WeeklyReviewFactory
from usecases import economics

from .stoploss_helpers import (
    HEALTHY,
    TODAY,
    frozen_today,  # noqa: F401
    submit_week,
)
from .telemetry_helpers import telemetry_rows as telemetry

D = Decimal
W47 = "2026-W47"


def declared(active_users=100, tasks_with_ai=100, week=W47):
    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(week))
    return WeekPoint(
        review_id=1,
        week=week,
        week_start=monday,
        adoption_rate=D("0.8"),
        rework_rate=D("0.1"),
        exception_share=D("0.02"),
        quality_score=D("85"),
        active_users=active_users,
        tasks_with_ai=tasks_with_ai,
    )


def measured(active_users=100, tasks_with_ai=100, traces=150, week=W47):
    return ew.Measured(week, active_users, tasks_with_ai, traces)


def judge(point, seen, percent="20"):
    return ew.declared_vs_measured(point, seen, percent=D(percent))


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "signal"),
    [
        (120, False),  # exactly 20 % above the measured 100: no signal
        (121, True),  # just above
        (80, False),  # exactly 20 % below
        (79, True),  # just below
        (100, False),
    ],
)
@pytest.mark.parametrize("field", ["active_users", "tasks_with_ai"])
def test_the_boundary_is_more_than_20_percent_of_the_measured_figure(field, said, signal):
    found = judge(declared(**{field: said}), measured())
    assert (found is not None) is signal


def test_the_signal_explains_each_figure_that_differs():
    found = judge(declared(active_users=120, tasks_with_ai=300), measured(84, 295, traces=312))
    assert (found.kind, found.period) == (FlagKind.DECLARED_VS_MEASURED, W47)
    assert found.explanation == (
        "2026-W47: declared 120 active users, telemetry measured 84 (declared +42.9 % against "
        "measured). The alert starts above a 20 % difference from the measured figure "
        "(telemetry: 312 traces that week)."
    )
    assert (found.observed, found.threshold) == (D("0.4286"), D("0.2"))


def test_both_figures_and_the_largest_difference():
    found = judge(declared(active_users=70, tasks_with_ai=500), measured(100, 400, traces=1))
    assert found.explanation == (
        "2026-W47: declared 70 active users, telemetry measured 100 (declared −30 % against "
        "measured); declared 500 tasks with AI, telemetry measured 400 (declared +25 % against "
        "measured). The alert starts above a 20 % difference from the measured figure "
        "(telemetry: 1 trace that week)."
    )
    assert found.observed == D("0.3")  # |−30 %| is larger than 25 %


def test_the_largest_difference_may_be_the_second_figure():
    found = judge(declared(active_users=130, tasks_with_ai=10), measured(100, 100))
    assert found.observed == D("0.9")


def test_a_custom_threshold(settings):
    settings.VALUEGATE_SIGNALS = {"declared_vs_measured_percent": "10"}
    t = ew.thresholds()
    assert t["declared_vs_measured_percent"] == D("10")
    assert t["weeks_window"] == 4  # the others keep their defaults
    percent = t["declared_vs_measured_percent"]
    assert ew.declared_vs_measured(declared(110), measured(), percent=percent) is None
    found = ew.declared_vs_measured(declared(111), measured(), percent=percent)
    assert found.threshold == D("0.1")
    assert "above a 10 % difference" in found.explanation
    assert "declared +11 % against measured" in found.explanation


def test_the_default_threshold_is_20_percent():
    assert ew.DEFAULTS["declared_vs_measured_percent"] == D(20)
    assert ew.thresholds()["declared_vs_measured_percent"] == D(20)


def test_zero_measured_with_something_declared_is_a_signal_without_a_ratio():
    found = judge(declared(active_users=45, tasks_with_ai=100), measured(0, 100, traces=60))
    assert found.observed is None  # no ratio to a measured zero
    assert found.threshold == D("0.2")
    assert found.explanation.startswith(
        "2026-W47: declared 45 active users, telemetry measured none. The alert"
    )
    # One figure measured as zero makes the flag's observed difference unknown, not the other's.
    both = judge(declared(active_users=45, tasks_with_ai=200), measured(0, 100))
    assert both.observed is None
    assert "declared 200 tasks with AI, telemetry measured 100 (declared +100 %" in (
        both.explanation
    )


def test_zero_measured_and_zero_declared_is_no_signal():
    assert judge(declared(0, 0), measured(0, 0)) is None


def test_nothing_declared_against_something_measured_is_minus_100_percent():
    found = judge(declared(active_users=0), measured(active_users=12))
    assert "declared 0 active users, telemetry measured 12 (declared −100 %" in found.explanation
    assert found.observed == D(1)


def test_no_telemetry_or_another_week_is_no_signal():
    assert judge(declared(active_users=500), None) is None
    assert judge(declared(active_users=500), measured(week="2026-W46")) is None


def test_it_is_the_fifth_signal_kind():
    assert ew.SIGNAL_KINDS[-1] == FlagKind.DECLARED_VS_MEASURED
    assert len(ew.SIGNAL_KINDS) == 5


def test_flag_figures_in_words():
    flag = Flag(kind=FlagKind.DECLARED_VS_MEASURED, observed_value=D("0.4286"), threshold=D("0.2"))
    assert flag_figures(flag) == ("42.9% apart", "20% apart")
    flag.observed_value = None
    assert flag_figures(flag)[0] == "none measured"


# --- what telemetry measured, loaded -----------------------------------------------------------


@pytest.mark.django_db
def test_measured_weeks_counts_live_and_frozen_weeks_and_leaves_out_weeks_without_spans(owner):
    live = make_use_case("Live", owner=owner)
    frozen = make_use_case("Frozen", owner=owner)
    quiet = make_use_case("No spans that week", owner=owner)
    none = make_use_case("Never any", owner=owner)
    telemetry(live, W47, users=84, tasks=700, traces=720)
    telemetry(live, "2026-W46", users=5, tasks=5)  # another week: not counted in W47
    telemetry(frozen, "2026-W40", users=30, tasks=90, traces=95, frozen=True)
    telemetry(quiet, "2026-W46", users=3, tasks=3)
    found = measured_weeks({live.pk: W47, frozen.pk: "2026-W40", quiet.pk: W47, none.pk: W47})
    assert found == {
        live.pk: ew.Measured(W47, 84, 700, 720),
        frozen.pk: ew.Measured("2026-W40", 30, 90, 95),
    }


@pytest.mark.django_db
def test_measured_weeks_query_count_does_not_grow(owner):
    def count(n):
        weeks = {}
        for i in range(n):
            uc = make_use_case(f"Batch {n} {i}", owner=owner)
            telemetry(uc, W47, users=3, tasks=4)
            weeks[uc.pk] = W47
        with CaptureQueriesContext(connection) as ctx:
            found = measured_weeks(weeks)
        assert len(found) == n
        return len(ctx.captured_queries)

    assert count(1) == count(9) == 4
    silent = make_use_case("Silent", owner=owner)
    with CaptureQueriesContext(connection) as ctx:
        assert measured_weeks({silent.pk: W47}) == {}
    assert len(ctx.captured_queries) == 1


# --- raised by the save hook and the sweep -----------------------------------------------------


def flags_of(use_case):
    return list(Flag.objects.filter(use_case=use_case, kind=FlagKind.DECLARED_VS_MEASURED))


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_the_save_hook_raises_it_for_a_review_far_from_telemetry(use_case, owner):
    submit_week(use_case, "2026-W46", user=owner)  # a week before, without telemetry
    telemetry(use_case, W47, users=84, tasks=800, traces=812)
    review = submit_week(use_case, W47, user=owner, active_users=120, target_users=200)
    [flag] = flags_of(use_case)
    assert (flag.period, flag.observed_value, flag.threshold) == (W47, D("0.4286"), D("0.2"))
    assert flag.explanation.startswith(
        "2026-W47: declared 120 active users, telemetry measured 84 (declared +42.9 %"
    )
    assert "812 traces" in flag.explanation
    assert flag.triggered_by == f"weekly:{W47} (review #{review.pk})"
    assert flag.resolved_at is None and not flag.historical
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"  # a signal changes no stage


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_no_signal_within_the_threshold_or_without_telemetry(
    use_case, other_use_case, owner, other_owner
):
    telemetry(use_case, W47, users=80, tasks=800)
    submit_week(use_case, W47, user=owner, active_users=96)  # exactly +20 %
    submit_week(other_use_case, W47, user=other_owner, active_users=1)  # no telemetry at all
    assert flags_of(use_case) == flags_of(other_use_case) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_an_earlier_week_saved_late_is_not_judged(use_case, owner):
    """Like the other weekly signals: judged at the latest submitted week only."""
    submit_week(use_case, W47, user=owner)
    telemetry(use_case, "2026-W46", users=10, tasks=800)
    submit_week(use_case, "2026-W46", user=owner, active_users=200, target_users=300)
    assert flags_of(use_case) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_the_sweep_raises_it_when_the_spans_arrive_after_the_review(use_case, owner):
    WeeklyReviewFactory(use_case=use_case, week=W47, submitted_by=owner, **HEALTHY)
    telemetry(use_case, W47, users=80, tasks=500, traces=510)  # declared 800 tasks with AI
    sweep_portfolio(today=TODAY)
    [flag] = flags_of(use_case)
    assert "declared 800 tasks with AI, telemetry measured 500 (declared +60 %" in (
        flag.explanation
    )
    assert flag.triggered_by.endswith(", sweep")
    sweep_portfolio(today=TODAY)
    assert len(flags_of(use_case)) == 1  # once


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_the_sweep_reads_telemetry_in_a_constant_number_of_queries(owner):
    def sweep_queries():
        with CaptureQueriesContext(connection) as ctx:
            sweep_portfolio(today=TODAY)
        return [q["sql"] for q in ctx.captured_queries if '"reviews_telemetry' in q["sql"]]

    first = make_use_case("First", owner=owner)
    WeeklyReviewFactory(use_case=first, week=W47, submitted_by=owner, **HEALTHY)
    telemetry(first, W47, users=80, tasks=800)
    one = sweep_queries()
    for i in range(8):
        uc = make_use_case(f"More {i}", owner=owner)
        WeeklyReviewFactory(use_case=uc, week=W47, submitted_by=owner, **HEALTHY)
        telemetry(uc, W47, users=80 + i, tasks=800)
    assert len(sweep_queries()) == len(one) == 4
    assert Flag.objects.filter(kind=FlagKind.DECLARED_VS_MEASURED).count() == 0
