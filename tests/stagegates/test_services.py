"""stagegates.services: gate creation and its rules, quarter creation by the periodic job,
opening voting, closing (outcome = most votes once a quorum voted; too few votes or a tie → no
outcome), agenda edits."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stagegates import services, tasks, voting
from stagegates.models import Gate, GateStatus
from tests.conftest import make_user
from usecases.models import StageTransition

from .helpers import create_gate, item_of, open_voting

pytestmark = pytest.mark.django_db


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_pmo_creates_a_gate_and_its_agenda(pmo, leader, use_case):
    gate = create_gate(pmo, leader)
    assert (gate.quarter, gate.status, gate.chair) == ("2026-Q4", GateStatus.DRAFT, leader)
    assert gate.history.first().history_user == pmo
    assert list(gate.items.values_list("use_case", flat=True)) == [use_case.pk]


@pytest.mark.parametrize(
    ("over", "field", "fragment"),
    [
        ({"quarter": "2026-Q5"}, "quarter", "not a quarter"),
        ({"quarter": "Q4-2026"}, "quarter", "not a quarter"),
        ({"opens_on": datetime.date(2026, 9, 30)}, "opens_on", "inside its quarter"),
        ({"closes_on": datetime.date(2026, 11, 16)}, "closes_on", "closes after it opens"),
        ({"closes_on": datetime.date(2026, 11, 1)}, "closes_on", "closes after it opens"),
        ({"closes_on": datetime.date(2027, 2, 1)}, "closes_on", "shortly after its quarter"),
        ({"chair": None}, "chair", "Name the chair"),
    ],
)
def test_gate_rules(pmo, leader, over, field, fragment):
    over = {"chair": leader, **over}
    with pytest.raises(ValidationError) as excinfo:
        create_gate(pmo, **over)
    assert fragment in " ".join(errors_of(excinfo)[field])
    assert not Gate.objects.exists()


def test_closing_a_month_after_the_quarter_is_allowed(pmo, leader):
    gate = create_gate(pmo, leader, closes_on=datetime.date(2027, 1, 31))
    assert gate.closes_on == datetime.date(2027, 1, 31)


def test_chair_must_be_leadership(pmo, owner):
    with pytest.raises(ValidationError) as excinfo:
        create_gate(pmo, owner)
    assert "not a Leadership member" in errors_of(excinfo)["chair"][0]


def test_one_gate_per_quarter(pmo, leader):
    create_gate(pmo, leader)
    with pytest.raises(ValidationError) as excinfo:
        create_gate(pmo, leader)
    assert errors_of(excinfo)["quarter"] == [services.QUARTER_TAKEN]


@pytest.mark.parametrize("role", ["leader", "owner", "contributor", "other_owner", "outsider"])
def test_only_pmo_creates(role, role_users, leader):
    with pytest.raises(PermissionDenied):
        create_gate(role_users[role], leader)


def test_admin_creates(admin_user, leader):
    assert create_gate(admin_user, leader).quarter == "2026-Q4"


def test_quarter_job_creates_once(db, use_case):
    first = make_user("lara", "Leadership")
    make_user("lars", "Leadership")
    assert tasks.ensure_current_gate() == "2026-Q4 created"
    assert tasks.ensure_current_gate() == "2026-Q4 exists"
    gate = Gate.objects.get()
    assert (gate.opens_on, gate.closes_on) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert gate.chair == first
    assert list(gate.items.values_list("use_case", flat=True)) == [use_case.pk]


def test_quarter_job_without_leadership_leaves_chair_empty(db):
    gate, created = services.gate_ensure_for_quarter(today=datetime.date(2027, 1, 1))
    assert created and gate.quarter == "2027-Q1" and gate.chair is None


def test_quarter_job_keeps_the_pmo_gate(pmo, leader):
    made = create_gate(pmo, leader)
    gate, created = services.gate_ensure_for_quarter()
    assert (gate, created) == (made, False)
    assert Gate.objects.count() == 1


def test_gate_update_by_pmo(pmo, leader, leader2, use_case):
    gate = create_gate(pmo, leader)
    gate = services.gate_update(user=pmo, gate=gate, data={"chair": leader2})
    assert gate.chair == leader2
    with pytest.raises(ValidationError):
        services.gate_update(user=pmo, gate=gate, data={"closes_on": datetime.date(2026, 11, 10)})


def test_open_voting_needs_a_chair_and_an_agenda(pmo, db):
    gate, _ = services.gate_ensure_for_quarter()
    with pytest.raises(ValidationError) as excinfo:
        open_voting(gate, pmo)
    assert errors_of(excinfo)["gate"] == [
        "Name a chair before opening voting.",
        "The agenda is empty.",
    ]


def test_open_voting_only_from_draft(voting_gate, pmo):
    with pytest.raises(ValidationError):
        open_voting(voting_gate, pmo)


def test_open_voting_is_pmo_only(gate, leader):
    with pytest.raises(PermissionDenied):
        open_voting(gate, leader)


def test_agenda_edits_only_in_draft(voting_gate, pmo, use_case):
    item = item_of(voting_gate, use_case)
    with pytest.raises(ValidationError):
        services.gate_item_remove(user=pmo, item=item)
    with pytest.raises(ValidationError):
        services.gate_refresh_agenda(user=pmo, gate=voting_gate)


def test_pmo_adds_back_a_removed_item(gate, pmo, use_case):
    item = item_of(gate, use_case)
    services.gate_item_remove(user=pmo, item=item)
    back = services.gate_item_add(user=pmo, gate=gate, use_case=use_case)
    assert back.pk == item.pk and back.removed_at is None and back.added_by == pmo
    with pytest.raises(ValidationError) as excinfo:
        services.gate_item_add(user=pmo, gate=gate, use_case=use_case)
    assert "on the agenda already" in errors_of(excinfo)["use_case"][0]


def test_close_outcomes_majority_tie_and_no_votes(
    voting_gate, pmo, leader, leader2, use_case, other_use_case
):
    third = make_user("lucy", "Leadership")
    majority = item_of(voting_gate, use_case)
    tie = item_of(voting_gate, other_use_case)
    voting.vote_cast(user=leader, item=majority, choice="scale", rationale="good")
    voting.vote_cast(user=leader2, item=majority, choice="scale", rationale="good")
    voting.vote_cast(user=third, item=majority, choice="stop", rationale="bad")
    voting.vote_cast(user=leader, item=tie, choice="scale", rationale="good")
    voting.vote_cast(user=leader2, item=tie, choice="stop", rationale="bad")

    gate = services.gate_close(user=leader, gate=voting_gate)  # the chair closes

    assert gate.status == GateStatus.CLOSED and gate.closed_by == leader
    assert (gate.members_at_close, gate.quorum_at_close) == (3, 2)
    majority.refresh_from_db()
    tie.refresh_from_db()
    assert (majority.outcome, tie.outcome) == ("scale", "")


def test_close_with_no_votes_has_no_outcome(voting_gate, pmo, use_case):
    services.gate_close(user=pmo, gate=voting_gate)
    assert item_of(voting_gate, use_case).outcome == ""


def test_close_below_the_quorum_has_no_outcome(voting_gate, pmo, leader, leader2, use_case):
    make_user("lucy", "Leadership")
    make_user("lars", "Leadership")  # 4 members: 3 votes needed
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="good")
    voting.vote_cast(user=leader2, item=item, choice="scale", rationale="good")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    assert (gate.members_at_close, gate.quorum_at_close) == (4, 3)
    assert item_of(voting_gate, use_case).outcome == ""  # 2 of 4 is half, not more than half


def test_closing_changes_no_use_case(voting_gate, pmo, leader, use_case, other_use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    before = {uc.pk: (uc.stage, uc.funding_status) for uc in (use_case, other_use_case)}
    services.gate_close(user=pmo, gate=voting_gate)
    for uc in (use_case, other_use_case):
        uc.refresh_from_db()
        assert (uc.stage, uc.funding_status) == before[uc.pk]
    assert item_of(voting_gate, use_case).outcome == "stop"
    assert not StageTransition.objects.exists()


def test_close_rules(gate, pmo, leader2):
    with pytest.raises(ValidationError):  # still a draft
        services.gate_close(user=pmo, gate=gate)
    open_voting(gate, pmo)
    with pytest.raises(PermissionDenied):  # a leader who is not the chair
        services.gate_close(user=leader2, gate=gate)
    services.gate_close(user=pmo, gate=gate)
    with pytest.raises(ValidationError):
        services.gate_close(user=pmo, gate=gate)


@pytest.mark.parametrize(
    ("choices", "members", "outcome", "text"),
    [
        ([], 3, "", "no quorum (0 of 3 voted, 2 needed)"),
        (["stop"], 3, "", "no quorum (1 of 3 voted, 2 needed)"),  # below the quorum
        (["stop"], 1, "stop", "Stop"),
        (["scale", "scale"], 4, "", "no quorum (2 of 4 voted, 3 needed)"),  # exactly half
        (["scale", "scale", "redesign"], 4, "scale", "Scale"),  # more than half
        (["scale", "redesign"], 2, "", "tied (Scale 1 · Redesign 1)"),
        (["scale", "scale", "stop", "stop", "hold"], 5, "", "tied (Scale 2 · Stop 2)"),
        (["redesign", "redesign", "hold"], 5, "redesign", "Redesign"),
        (["hold", "hold", "hold"], 5, "hold", "Hold"),
    ],
)
def test_tally(choices, members, outcome, text):
    counted = voting.tally(choices, members=members)
    assert (counted.outcome, counted.text) == (outcome, text)
    assert counted.votes == len(choices)


@pytest.mark.parametrize(("members", "needed"), [(0, 1), (1, 1), (2, 2), (4, 3), (5, 3), (8, 5)])
def test_default_quorum_is_more_than_half(members, needed):
    assert voting.quorum_for(members) == needed


def test_quorum_setting(settings):
    settings.VALUEGATE_GATE_QUORUM = 2
    assert voting.quorum_for(8) == 2
    assert voting.tally(["stop", "stop"], members=8).outcome == "stop"
    assert voting.tally(["stop"], members=8).text == "no quorum (1 of 8 voted, 2 needed)"


def test_while_voting_only_the_closing_day_and_chair_change(voting_gate, pmo, leader2):
    gate = services.gate_update(
        user=pmo,
        gate=voting_gate,
        data={"closes_on": datetime.date(2026, 12, 11), "chair": leader2},
    )
    assert (gate.closes_on, gate.chair) == (datetime.date(2026, 12, 11), leader2)
    with pytest.raises(ValidationError) as excinfo:
        services.gate_update(user=pmo, gate=gate, data={"opens_on": datetime.date(2026, 11, 2)})
    assert "fixed once voting is open" in errors_of(excinfo)["opens_on"][0]
    services.gate_close(user=pmo, gate=gate)
    with pytest.raises(ValidationError):
        services.gate_update(user=pmo, gate=gate, data={"closes_on": datetime.date(2026, 12, 12)})
