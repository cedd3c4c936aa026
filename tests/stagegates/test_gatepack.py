"""stagegates.gatepack: the quarter's CFO figures, 90-day figure, waterfall, scenarios, trend vs
thresholds and the recommendation, checked against hand-computed numbers.

Business case of the fixtures: M = 12 min, e = 0.30, H = 45, R = 0.5, adoption 40/60/80%, planned
monthly run + support + maintenance = 2,500. The gate opens 2026-11-16, so its quarter is
2026-08..2026-10 (13 ISO weeks: 4 + 4 + 5). Each month below gets one weekly review (1,400 tasks
with AI × 3 min saved / 60 × 45 = 3,150 gross; 100 reworked × 5 min / 60 × 45 = 375 rework) and a
monthly review of 2,500: net value per month = 3,150 × 0.5 − 375 − 2,500 = −1,300.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stagegates import gatepack, selectors
from usecases.models import ChecklistAnswer

from .helpers import item_of, monthly, stop_loss_flag, weekly

pytestmark = pytest.mark.django_db

WEEKS = {"2026-08": "2026-W32", "2026-09": "2026-W36", "2026-10": "2026-W41"}


def fill_quarter(use_case, **weekly_over):
    for month, week in WEEKS.items():
        weekly(use_case, week, **weekly_over)
        monthly(use_case, month)


def pack_of(gate, use_case, user):
    return selectors.item_pack(user=user, item=item_of(gate, use_case)).pack


def test_quarter_window_and_weeks(gate):
    window = gatepack.quarter_window(gate)
    assert [f"{m:%Y-%m}" for m in window] == ["2026-08", "2026-09", "2026-10"]
    assert gatepack.weeks_in(window) == 13


def test_figures_waterfall_ninety_days_and_hold(gate, leader, use_case):
    use_case.scaled_on = datetime.date(2026, 7, 15)
    use_case.save()
    fill_quarter(use_case)
    weekly(use_case, "2026-W47", reworked_outputs=300)  # after the quarter: trend only
    pack = pack_of(gate, use_case, leader)

    assert pack.quarter_label == "2026-08 to 2026-10"
    assert [m.figures.net_value for m in pack.months] == [D(-1300)] * 3
    assert pack.months_reviewed == 3
    assert pack.figures.gross_efficiency == D(9450)
    assert pack.figures.absorption_cost == D(8625)
    assert pack.figures.net_value == D(-3900)
    assert pack.figures.translation_gap == D(4725)
    steps = {s.step: s.amount for s in pack.waterfall}
    # promise = 3 × 2000 tasks × 3.6 min / 60 × 45 = 16,200; adoption gap = 3 × 600 × 3.6 / 60 × 45
    assert steps["pilot_promise"] == D(16200)
    assert steps["adoption_gap"] == D(4860)
    assert steps["effort_gap"] == D(1890)  # 3 × 1400 × (3.6 − 3) / 60 × 45
    assert steps["net_value"] == D(-3900)
    assert pack.ninety_days.status == "complete" and pack.ninety_days.value == D(-3900)

    assert pack.adoption_rate == D("0.7") and pack.weeks_reviewed == 3
    base = pack.scenarios[1]
    assert base.scenario == "base"
    assert base.quarter_net.quantize(D("0.01")) == D("13560.00")  # (1620 − 2500 × 12 / 52) × 13
    assert base.adoption_met is True and base.net_met is False

    assert pack.recommendation.choice == "hold"
    assert any("below the base scenario" in r for r in pack.recommendation.reasons)

    assert [row.week for row in pack.trend] == ["2026-W32", "2026-W36", "2026-W41", "2026-W47"]
    assert pack.trend[-1].breaches == ("rework_rate",)  # 300 / 1400 > 15%
    assert pack.trend[0].breaches == ()
    assert [t.metric for t in pack.thresholds] == ["rework_rate", "adoption_rate"]


def test_stop_when_losing_money_with_adoption_under_pessimistic(gate, leader, use_case):
    fill_quarter(use_case, active_users=30)
    pack = pack_of(gate, use_case, leader)
    assert pack.adoption_rate == D("0.3")
    assert pack.recommendation.choice == "stop"
    assert pack.trend[0].breaches == ("adoption_rate",)


def test_redesign_and_blockers_with_an_open_stop_loss_flag(gate, leader, use_case):
    fill_quarter(use_case)
    stop_loss_flag(use_case)
    ChecklistAnswer.objects.create(use_case=use_case, item="Q2", answer="no", evidence="none")
    pack = pack_of(gate, use_case, leader)
    assert pack.recommendation.choice == "redesign"
    assert [b.code for b in pack.blockers] == [f"stop_loss:{pack.open_flags[0].pk}", "checklist:Q2"]


def test_scale_when_it_beats_the_base_scenario(gate, leader, use_case):
    fill_quarter(use_case, tasks_with_ai=2000, minutes_saved_per_task=D("12"), active_users=90)
    pack = pack_of(gate, use_case, leader)
    # per month: 2000 × 12 / 60 × 45 = 18,000 gross → 9,000 − 375 − 2,500 = 6,125
    assert pack.figures.net_value == D(18375)
    assert pack.recommendation.choice == "scale"


def test_build_packs_runs_a_constant_number_of_queries(gate, leader, use_case, other_use_case):
    def count(detail):
        items = selectors.gate_items(user=leader, gate=gate)
        with CaptureQueriesContext(connection) as ctx:
            gatepack.build_packs(items, gate, detail=detail)
        return len(ctx.captured_queries)

    few = (count(False), count(True))
    fill_quarter(use_case)
    fill_quarter(other_use_case)
    for week in ("2026-W44", "2026-W45", "2026-W46", "2026-W47"):
        weekly(use_case, week)
    stop_loss_flag(use_case)
    assert (count(False), count(True)) == few


@pytest.mark.parametrize(
    ("stage", "label"), [("scaled", "Continue at scale, funded"), ("rollout", "Hold")]
)
def test_a_healthy_product_at_scale_is_recommended_to_continue(
    gate, leader, use_case, stage, label
):
    """Net 1,200 each month (no run cost), below the base scenario's 13,560 for the quarter: only
    a use case already at scale continues; one in rollout is not proven for scale."""
    use_case.stage = stage
    use_case.save()
    for month, week in WEEKS.items():
        weekly(use_case, week)
        monthly(use_case, month, support_cost=D(0), run_cost=D(0), maintenance_cost=D(0))
    pack = pack_of(gate, use_case, leader)
    assert [m.figures.net_value for m in pack.months] == [D(1200)] * 3
    assert pack.recommendation.label == label
