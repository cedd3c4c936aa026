"""stagegates.agenda: the agenda fills itself, idempotently; PMO removals stick."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stagegates import agenda, services
from stagegates.models import GateItem
from tests.conftest import make_use_case

from .helpers import create_gate, stop_loss_flag

pytestmark = pytest.mark.django_db


def agenda_names(gate):
    return sorted(
        GateItem.objects.filter(gate=gate, removed_at__isnull=True).values_list(
            "use_case__name", flat=True
        )
    )


def test_rollout_scaled_stop_loss_and_ninety_day_mark_join(pmo, leader):
    make_use_case("Rollout", stage="rollout")
    make_use_case("Scaled", stage="scaled", scaled_on=datetime.date(2026, 10, 10))
    flagged = make_use_case("Redesign flagged", stage="redesign")
    stop_loss_flag(flagged)
    resolved = make_use_case("Redesign resolved flag", stage="redesign")
    stop_loss_flag(resolved, resolved_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC))
    # 90-day mark: scaled 2026-07-15 → months Aug, Sep, Oct → mark 2026-11-01 (passed)
    make_use_case("On hold past mark", stage="on_hold", scaled_on=datetime.date(2026, 7, 15))
    # scaled 2026-08-02 → Sep, Oct, Nov → mark 2026-12-01 (not yet)
    make_use_case("On hold before mark", stage="on_hold", scaled_on=datetime.date(2026, 8, 2))
    # scaled on the 1st: Aug, Sep, Oct → mark 2026-11-01 (passed)
    make_use_case("Redesign on the 1st", stage="redesign", scaled_on=datetime.date(2026, 8, 1))
    make_use_case("Stopped past mark", stage="stopped", scaled_on=datetime.date(2026, 1, 5))
    make_use_case("Pilot", stage="pilot")

    gate = create_gate(pmo, leader)

    assert agenda_names(gate) == [
        "On hold past mark",
        "Redesign flagged",
        "Redesign on the 1st",
        "Rollout",
        "Scaled",
    ]
    reasons = dict(gate.items.values_list("use_case__name", "reasons"))
    assert reasons["Redesign flagged"] == "open stop-loss flag"
    assert reasons["On hold past mark"] == "passed its 90-day mark"
    assert reasons["Rollout"] == "in rollout"


def test_autofill_is_idempotent_and_respects_removals(pmo, leader, use_case, other_use_case):
    gate = create_gate(pmo, leader)
    assert agenda_names(gate) == sorted([use_case.name, other_use_case.name])
    assert agenda.autofill_agenda(gate) == []
    assert gate.items.count() == 2

    item = gate.items.get(use_case=use_case)
    services.gate_item_remove(user=pmo, item=item)
    assert agenda.autofill_agenda(gate) == []
    assert agenda_names(gate) == [other_use_case.name]

    late = make_use_case("Late rollout", stage="rollout")
    added = services.gate_refresh_agenda(user=pmo, gate=gate)
    assert [i.use_case_id for i in added] == [late.pk]
    assert agenda_names(gate) == sorted([other_use_case.name, "Late rollout"])


def test_autofill_leaves_a_gate_alone_once_voting_opened(pmo, leader, use_case):
    gate = create_gate(pmo, leader)
    services.gate_open_voting(user=pmo, gate=gate)
    make_use_case("Newcomer", stage="rollout")
    gate.refresh_from_db()
    assert agenda.autofill_agenda(gate) == []
    assert agenda_names(gate) == [use_case.name]


def test_decided_since_the_mark_is_not_put_back(pmo, leader):
    from stagegates.models import Decision

    uc = make_use_case("Held after mark", stage="on_hold", scaled_on=datetime.date(2026, 7, 15))
    old = create_gate(
        pmo,
        leader,
        quarter="2026-Q3",
        opens_on=datetime.date(2026, 9, 1),
        closes_on=datetime.date(2026, 9, 30),
    )
    item = old.items.get(use_case=uc)
    Decision.objects.create(
        item=item,
        decision="hold",
        outcome="hold",
        decided_by=leader,
        decided_at=datetime.datetime(2026, 11, 2, 12, tzinfo=datetime.UTC),
    )
    gate = create_gate(pmo, leader)
    assert uc.name not in agenda_names(gate)


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_cutoff_matches_the_ninety_day_mark(scaled_on):
    """``scaled_on <= scaled_on_cutoff(d)`` exactly when the 90-day mark is on or before ``d``."""
    mark = agenda.ninety_day_mark(scaled_on)
    for as_of in (mark - datetime.timedelta(days=1), mark, mark + datetime.timedelta(days=40)):
        assert (scaled_on <= agenda.scaled_on_cutoff(as_of)) is (mark <= as_of)
