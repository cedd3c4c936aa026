"""stagegates.decisions: the chair's decision applies to stage and funding, audited; scale is
blocked by an open stop-loss flag or a "no" in the blocking checklist sections."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stagegates import decisions, services, voting
from stagegates.models import Decision
from usecases.models import ChecklistAnswer, Notification, StageTransition, UseCase

from .helpers import TODAY, item_of, stop_loss_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_gate(voting_gate, pmo):
    return services.gate_close(user=pmo, gate=voting_gate)


def decide(user, gate, use_case, decision=None, rationale=""):
    return decisions.decision_record(
        user=user, item=item_of(gate, use_case), decision=decision, rationale=rationale
    )


@pytest.mark.parametrize(
    ("decision", "stage", "funding"),
    [
        ("scale", "scaled", "funded"),
        ("redesign", "redesign", "conditional"),
        ("hold", "on_hold", "frozen"),
        ("stop", "stopped", "ended"),
    ],
)
def test_each_decision_applies(closed_gate, leader, use_case, decision, stage, funding):
    record = decide(leader, closed_gate, use_case, decision, rationale="Because.")
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == (stage, funding)
    assert use_case.scaled_on == (TODAY if decision == "scale" else None)
    latest = use_case.history.first()
    assert latest.history_user == leader
    assert latest.history_change_reason == f"Gate 2026-Q4 decision: {decision}"
    assert record.history.first().history_change_reason == "Gate 2026-Q4"
    assert record.outcome == "" and record.is_override is False  # no votes: no outcome


def test_a_decision_leaves_a_stage_transition_naming_it(closed_gate, leader, use_case, owner):
    record = decide(leader, closed_gate, use_case, "stop", rationale="No value.")
    [moved] = StageTransition.objects.filter(use_case=use_case)
    assert (moved.stage_before, moved.stage_after) == ("rollout", "stopped")
    assert (moved.funding_before, moved.funding_after) == ("conditional", "ended")
    assert (moved.cause_kind, moved.cause_id) == ("gate_decision", record.pk)
    assert moved.cause_label == f"Gate 2026-Q4 decision: stop (decision #{record.pk})"
    assert (moved.reason, moved.actor) == ("Gate 2026-Q4 decision: stop", leader)
    notes = Notification.objects.filter(kind="gate_decision")
    assert sorted(n.recipient.username for n in notes) == ["olivia", "pia"]  # owner and PMO


def test_scale_keeps_an_existing_scaled_on(closed_gate, leader, use_case):
    use_case.scaled_on = datetime.date(2026, 9, 1)
    use_case.save()
    decide(leader, closed_gate, use_case, "scale", rationale="Proven.")
    use_case.refresh_from_db()
    assert use_case.scaled_on == datetime.date(2026, 9, 1)


def test_default_is_the_outcome_and_needs_no_rationale(voting_gate, pmo, leader, use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    record = decide(leader, gate, use_case)
    assert (record.decision, record.outcome, record.is_override) == ("stop", "stop", False)


def test_override_without_rationale_is_refused(voting_gate, pmo, leader, use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="hold", rationale="r")
    closed_gate = services.gate_close(user=pmo, gate=voting_gate)
    with pytest.raises(ValidationError) as excinfo:
        decide(leader, closed_gate, use_case, "stop", rationale="  ")
    assert (
        "departing from it needs a written rationale" in excinfo.value.message_dict["rationale"][0]
    )
    assert not Decision.objects.exists()
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"


def test_scale_blocked_lists_every_condition(closed_gate, leader, owner, use_case):
    stop_loss_flag(use_case)
    for item in ("T1", "E2", "G1"):  # governance does not block scale
        ChecklistAnswer.objects.create(use_case=use_case, item=item, answer="no")
    ChecklistAnswer.objects.create(use_case=use_case, item="A1", answer="partial")
    with pytest.raises(decisions.ScaleBlocked) as excinfo:
        decide(leader, closed_gate, use_case, "scale", rationale="Push on.")
    messages = excinfo.value.message_dict["blocking_conditions"]
    assert len(messages) == 3
    assert messages[0].startswith("Open stop-loss flag (2026-W46): Rework rate 20.0%")
    assert "T1" in messages[1] and "E2" in messages[2]
    assert not Decision.objects.exists()


def test_resolved_flag_no_longer_blocks(closed_gate, leader, use_case):
    stop_loss_flag(use_case, resolved_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC))
    decide(leader, closed_gate, use_case, "scale", rationale="Flag resolved.")
    use_case.refresh_from_db()
    assert use_case.stage == "scaled"


@pytest.mark.parametrize(
    ("decision", "stage"), [("hold", "on_hold"), ("stop", "stopped"), ("redesign", "redesign")]
)
def test_a_gate_decision_may_leave_redesign_with_a_stop_loss_flag_open(
    closed_gate, leader, use_case, decision, stage
):
    """The PMO's plain edit may not leave redesign while a stop-loss flag is open (issue 14):
    "resolve it, or decide at a gate" — the gate decision is not held by that guard."""
    UseCase.objects.filter(pk=use_case.pk).update(stage="redesign", funding_status="conditional")
    flag = stop_loss_flag(use_case)
    decide(leader, closed_gate, use_case, decision, rationale="Decided at the gate.")
    use_case.refresh_from_db()
    assert use_case.stage == stage
    [moved] = StageTransition.objects.filter(use_case=use_case)
    assert (moved.stage_before, moved.cause_kind) == ("redesign", "gate_decision")
    flag.refresh_from_db()
    assert flag.is_open  # the decision does not resolve it


@pytest.mark.parametrize("role", ["pmo", "owner", "other_owner", "contributor"])
def test_only_the_chair_decides(closed_gate, role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        decide(role_users[role], closed_gate, use_case, "hold")


def test_another_leader_is_not_the_chair(closed_gate, leader2, use_case):
    with pytest.raises(PermissionDenied):
        decide(leader2, closed_gate, use_case, "hold")


def test_decisions_wait_for_closing_and_happen_once(voting_gate, pmo, leader, use_case):
    with pytest.raises(ValidationError):
        decide(leader, voting_gate, use_case, "hold")
    services.gate_close(user=pmo, gate=voting_gate)
    decide(leader, voting_gate, use_case, "hold")
    with pytest.raises(ValidationError) as excinfo:
        decide(leader, voting_gate, use_case, "hold")
    assert excinfo.value.message_dict["decision"] == ["This item has been decided already."]


def test_the_value_owner_is_told(closed_gate, leader, owner, use_case):
    decide(leader, closed_gate, use_case, "redesign", rationale="Rework too high.")
    note = Notification.objects.get(recipient=owner)
    assert note.kind == "gate_decision" and note.period == "2026-Q4"
    assert "redesign" in note.title


# --- explicit decisions (issue 15) --------------------------------------------------------------
def test_no_outcome_and_no_choice_is_refused_at_the_field(closed_gate, leader, use_case):
    with pytest.raises(ValidationError) as excinfo:
        decide(leader, closed_gate, use_case)  # no votes: no outcome to fall back on
    assert excinfo.value.message_dict["decision"] == [
        "There is no vote outcome: no quorum (0 of 1 voted, 1 needed). Choose a decision."
    ]
    assert not Decision.objects.exists() and not StageTransition.objects.exists()
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == ("rollout", "conditional")


def test_a_tie_is_refused_without_a_choice_and_decided_explicitly(
    voting_gate, pmo, leader, leader2, use_case
):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="r")
    voting.vote_cast(user=leader2, item=item, choice="stop", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    with pytest.raises(ValidationError) as excinfo:
        decide(leader, gate, use_case, rationale="Undecided.")
    assert "tied (Scale 1 · Stop 1)" in excinfo.value.message_dict["decision"][0]
    record = decide(leader, gate, use_case, "redesign")  # no outcome to depart from
    assert (record.decision, record.outcome, record.is_override) == ("redesign", "", False)


def test_a_rationale_is_always_accepted(voting_gate, pmo, leader, use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    record = decide(leader, gate, use_case, rationale="As voted.")
    assert (record.decision, record.rationale, record.is_override) == ("stop", "As voted.", False)


def test_nothing_changes_a_use_case_without_a_decision(
    voting_gate, pmo, leader, use_case, other_use_case
):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    decide(leader, gate, use_case)  # the outcome, stop, decided on this item only
    use_case.refresh_from_db()
    other_use_case.refresh_from_db()
    assert use_case.stage == "stopped"
    assert (other_use_case.stage, other_use_case.funding_status) == ("rollout", "conditional")
    assert list(StageTransition.objects.values_list("use_case_id", flat=True)) == [use_case.pk]


def test_each_choice_states_its_consequence_before_recording(closed_gate, use_case):
    use_case.stage, use_case.funding_status = "scaled", "funded"
    use_case.save()
    item = item_of(closed_gate, use_case)
    found = {c.choice: c.sentence for c in decisions.consequences(item, blockers=[])}
    name = use_case.name
    assert found == {
        "scale": f"Scale: {name} stays at Scaled / Funded",
        "redesign": f"Redesign: {name} moves from Scaled / Funded to Redesign / Conditional",
        "hold": f"Hold: {name} moves from Scaled / Funded to On hold / Frozen",
        "stop": f"Stop: {name} moves from Scaled / Funded to Stopped / Ended",
    }
    assert not StageTransition.objects.exists()  # a preview writes nothing


def test_the_effect_is_read_from_the_stage_transition(closed_gate, leader, use_case):
    record = decide(leader, closed_gate, use_case, "hold")
    assert decisions.effect_of(record) == {
        "stage_before": "rollout",
        "stage_after": "on_hold",
        "funding_before": "conditional",
        "funding_after": "frozen",
    }
