"""stagegates.carryover: an item closed without a decision is carried onto the next gate's agenda
("carried over from 2026-Q4: no decision"), once, until a decision or a later gate settles it;
the PMO sees the list (issue 15, item 4).

Setup: the 2026-Q4 gate closes with ``use_case`` undecided and ``other_use_case`` decided
(redesign). ``use_case`` is then moved back to pilot, so no other agenda rule names it.
"""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from stagegates import carryover, decisions, selectors, services
from stagegates.models import GateItem
from tests.conftest import ROLES, api_token, user_of
from usecases.models import Stage, UseCase

from .helpers import BERLIN, create_gate, item_of

pytestmark = pytest.mark.django_db

CARRIED = "carried over from 2026-Q4: no decision"


def close(gate, pmo):
    return services.gate_close(user=pmo, gate=services.gate_open_voting(user=pmo, gate=gate))


def q1_gate(pmo, leader):
    return create_gate(
        pmo,
        leader,
        quarter="2027-Q1",
        opens_on=datetime.date(2027, 1, 4),
        closes_on=datetime.date(2027, 3, 31),
    )


def to_pilot(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.PILOT)  # test setup only


@pytest.fixture
def q4_closed(gate, pmo, leader, use_case, other_use_case):
    closed = close(gate, pmo)
    decisions.decision_record(
        user=leader, item=item_of(closed, other_use_case), decision="redesign", rationale="Fix."
    )
    to_pilot(use_case)
    return closed


def agenda(gate) -> dict[int, str]:
    return {i.use_case_id: i.reasons for i in GateItem.objects.filter(gate=gate, removed_at=None)}


def test_an_undecided_item_is_carried_to_the_next_gate_the_pmo_creates(
    q4_closed, pmo, leader, use_case, other_use_case
):
    q1 = q1_gate(pmo, leader)
    assert agenda(q1) == {use_case.pk: CARRIED}
    assert other_use_case.pk not in carryover.carry_reasons(q1)


def test_the_gate_created_at_quarter_start_carries_it_too(q4_closed, use_case):
    with time_machine.travel(datetime.datetime(2027, 1, 1, 6, tzinfo=BERLIN), tick=False):
        q1, created = services.gate_ensure_for_quarter()
    assert created
    assert agenda(q1) == {use_case.pk: CARRIED}


def test_a_draft_made_before_closing_gets_it_on_refresh_once(
    gate, pmo, leader, use_case, other_use_case
):
    q1 = q1_gate(pmo, leader)  # both in rollout: on the agenda already
    assert agenda(q1) == {use_case.pk: "in rollout", other_use_case.pk: "in rollout"}
    close(gate, pmo)  # neither decided
    services.gate_refresh_agenda(user=pmo, gate=q1)
    services.gate_refresh_agenda(user=pmo, gate=q1)
    expected = f"{CARRIED}; in rollout"
    assert agenda(q1) == {use_case.pk: expected, other_use_case.pk: expected}
    assert GateItem.objects.filter(gate=q1).count() == 2


def test_no_duplicate_when_the_agenda_runs_again(q4_closed, pmo, leader, use_case):
    q1 = q1_gate(pmo, leader)
    assert services.gate_refresh_agenda(user=pmo, gate=q1) == []
    assert GateItem.objects.filter(gate=q1, use_case=use_case).count() == 1
    assert agenda(q1)[use_case.pk] == CARRIED


def test_an_item_decided_on_the_old_gate_is_not_carried(q4_closed, pmo, leader, use_case):
    decisions.decision_record(
        user=leader, item=item_of(q4_closed, use_case), decision="hold", rationale=""
    )
    q1 = q1_gate(pmo, leader)
    assert use_case.pk not in agenda(q1)


def test_deciding_later_takes_it_off_the_next_draft(q4_closed, pmo, leader, use_case):
    q1 = q1_gate(pmo, leader)
    assert use_case.pk in agenda(q1)
    decisions.decision_record(
        user=leader, item=item_of(q4_closed, use_case), decision="hold", rationale=""
    )
    assert not GateItem.objects.filter(gate=q1, use_case=use_case).exists()
    services.gate_refresh_agenda(user=pmo, gate=q1)
    assert use_case.pk not in agenda(q1)


def test_deciding_later_keeps_an_item_there_for_another_reason(
    gate, pmo, leader, use_case, other_use_case
):
    q1 = q1_gate(pmo, leader)
    close(gate, pmo)
    services.gate_refresh_agenda(user=pmo, gate=q1)
    decisions.decision_record(
        user=leader, item=item_of(gate, use_case), decision="redesign", rationale="Fix."
    )
    assert agenda(q1)[use_case.pk] == "in rollout"
    assert agenda(q1)[other_use_case.pk] == f"{CARRIED}; in rollout"


def test_a_later_closed_gate_supersedes_the_older_one(q4_closed, pmo, leader, use_case):
    q1 = q1_gate(pmo, leader)
    with time_machine.travel(datetime.datetime(2027, 1, 5, 10, tzinfo=BERLIN), tick=False):
        close(q1, pmo)  # undecided again
        q2 = create_gate(
            pmo,
            leader,
            quarter="2027-Q2",
            opens_on=datetime.date(2027, 4, 1),
            closes_on=datetime.date(2027, 6, 30),
        )
    assert agenda(q2) == {use_case.pk: "carried over from 2027-Q1: no decision"}
    assert [i.gate.quarter for i in carryover.outstanding()] == ["2027-Q1"]


# --- the PMO's list -------------------------------------------------------------------------------
def test_the_pmo_sees_the_undecided_items_and_where_they_went(q4_closed, pmo, leader, use_case):
    [line] = selectors.undecided_items(user=pmo)
    assert (line.item.use_case, line.item.gate.quarter, line.carried_to) == (
        use_case,
        "2026-Q4",
        None,
    )
    q1 = q1_gate(pmo, leader)
    [line] = selectors.undecided_items(user=pmo)
    assert line.carried_to == item_of(q1, use_case)


@pytest.mark.parametrize("role", ROLES)
def test_the_undecided_page_is_the_pmos(q4_closed, role, role_users, client_for, use_case):
    user = user_of(role, role_users)
    response = client_for(user).get("/gates/undecided/")
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
        return
    allowed = role in ("pmo", "admin")
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        page = response.content.decode()
        assert use_case.name in page and "2026-Q4" in page
        assert "Items closed without a decision" in client_for(user).get("/gates/").content.decode()
    else:
        assert (
            "Items closed without a decision"
            not in client_for(user).get("/gates/").content.decode()
        )


@pytest.mark.parametrize("role", ROLES)
def test_the_undecided_api_list_is_the_pmos(q4_closed, role, role_users, use_case):
    user = user_of(role, role_users)
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = client.get("/api/v1/gate-items/undecided/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    allowed = role in ("pmo", "admin")
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert [(r["use_case"], r["quarter"], r["carried_to_item"]) for r in rows] == [
            (use_case.pk, "2026-Q4", None)
        ]


def test_a_later_gate_open_for_votes_takes_it_over(q4_closed, pmo, leader, use_case):
    """Once the next gate votes on the item, the old one no longer waits: a gate drafted
    meanwhile does not carry it a second time, nor does the PMO's list show it."""
    q1 = q1_gate(pmo, leader)
    with time_machine.travel(datetime.datetime(2027, 1, 5, 10, tzinfo=BERLIN), tick=False):
        services.gate_open_voting(user=pmo, gate=q1)
        q2 = create_gate(
            pmo,
            leader,
            quarter="2027-Q2",
            opens_on=datetime.date(2027, 4, 1),
            closes_on=datetime.date(2027, 6, 30),
        )
    assert use_case.pk not in agenda(q2)
    assert selectors.undecided_items(user=pmo) == []
