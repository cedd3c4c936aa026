"""stagegates.notices (issue 15, item 5): who is told what, when, with which link — in the inbox
and by e-mail, each once.

Time is frozen at 2026-11-25 (``conftest``); the 2026-Q4 gate (closes 2026-12-04) is chaired by
Lena; its agenda holds Olivia's customer-response assistant and Oscar's invoice matching."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from stagegates import decisions, notices, services, tasks, voting
from stagegates.models import GateItem
from tests.conftest import make_user
from usecases.models import Notification, UseCase

from .helpers import BERLIN, item_of, open_voting

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucy(db):
    return make_user("lucy", "Leadership", first_name="Lucy", last_name="Lund")


def told(kind):
    """``{username: notification}`` of ``kind``."""
    return {
        n.recipient.username: n
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    }


def mails_to(username):
    return [m for m in mail.outbox if m.to == [f"{username}@example.com"]]


# --- voting opened --------------------------------------------------------------------------------
def test_voting_opened_tells_every_leadership_member_once_with_the_agenda(
    gate, pmo, leader, leader2, lucy, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_voting(gate, pmo)

    notes = told(notices.KIND_VOTING_OPENED)
    assert sorted(notes) == ["lena", "leo", "lucy"]  # not the PMO, not the owners
    note = notes["lucy"]
    assert note.title == "Gate 2026-Q4: voting is open on 2 items"
    assert note.body == (
        "On the agenda (2): Customer-response assistant; Invoice matching.\n"
        "Voting closes on 2026-12-04. Votes are blind: you see the others' votes on an item "
        "once you have cast yours."
    )
    assert note.url == f"/gates/{gate.pk}/" and note.subject == gate and note.period == "2026-Q4"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lena@example.com",
        "leo@example.com",
        "lucy@example.com",
    ]
    assert f"Open: {settings.VALUEGATE_BASE_URL}/gates/{gate.pk}/" in mails_to("lucy")[0].body

    assert notices.voting_opened(gate, items=list(gate.items.all())) == 0  # once
    assert Notification.objects.filter(kind=notices.KIND_VOTING_OPENED).count() == 3


def test_opening_refused_tells_nobody(gate, pmo, leader):
    services.gate_update(user=pmo, gate=gate, data={"opens_on": datetime.date(2026, 12, 1)})
    with pytest.raises(Exception, match="opens on 2026-12-01"):
        open_voting(gate, pmo)
    assert not Notification.objects.exists()


# --- the reminder ---------------------------------------------------------------------------------
def test_reminder_three_days_before_to_who_has_not_voted_on_every_item_once(
    voting_gate, leader, leader2, lucy, use_case, other_use_case
):
    for item in voting_gate.items.all():
        voting.vote_cast(user=leader, item=item, choice="redesign", rationale="r")
    voting.vote_cast(
        user=leader2, item=item_of(voting_gate, use_case), choice="hold", rationale="r"
    )

    with time_machine.travel(datetime.datetime(2026, 12, 1, 8, tzinfo=BERLIN), tick=False):
        assert tasks.remind_voters() == 2
    notes = told(notices.KIND_VOTE_REMINDER)
    assert sorted(notes) == ["leo", "lucy"]  # Lena voted on every item
    assert notes["leo"].title == "Gate 2026-Q4: your vote is missing on 1 item(s)"
    assert notes["lucy"].body == (
        "Voting at gate 2026-Q4 closes on 2026-12-04. You have not voted on 2 of 2 item(s)."
    )
    assert notes["lucy"].url == f"/gates/{voting_gate.pk}/"

    voting.vote_cast(user=lucy, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    with time_machine.travel(datetime.datetime(2026, 12, 2, 8, tzinfo=BERLIN), tick=False):
        assert tasks.remind_voters() == 0  # once per gate, however often the job runs
    assert Notification.objects.filter(kind=notices.KIND_VOTE_REMINDER).count() == 2


# --- closing --------------------------------------------------------------------------------------
def test_closing_tells_the_chair_how_many_decisions_to_record_and_the_pmo(
    leader2, voting_gate, pmo, leader, owner, use_case, django_capture_on_commit_callbacks
):
    for voter in (leader, leader2):
        voting.vote_cast(
            user=voter, item=item_of(voting_gate, use_case), choice="redesign", rationale="r"
        )
    with django_capture_on_commit_callbacks(execute=True):
        gate = services.gate_close(user=pmo, gate=voting_gate)

    chair = told(notices.KIND_DECISIONS_TO_RECORD)
    assert list(chair) == ["lena"]
    assert chair["lena"].title == "Gate 2026-Q4 closed: 2 decisions to record"
    assert chair["lena"].body == (
        "You chair gate 2026-Q4. Closed by Pia PMO on 2026-11-25; each item's pack is frozen as "
        "it was at closing.\n"
        "1 item with a vote outcome: record it, or depart from it with a written rationale.\n"
        "1 item without a vote outcome (no quorum or a tie): choose the decision.\n"
        "Nothing changes a use case until you record its decision; an item left undecided is "
        "carried over to the next gate."
    )
    assert chair["lena"].url == f"/gates/{gate.pk}/"

    pmo_notes = told(notices.KIND_CLOSED)
    assert list(pmo_notes) == ["pia"]
    assert pmo_notes["pia"].title == "Gate 2026-Q4 closed: 2 decisions for the chair"
    assert "2 items: 1 with a vote outcome, 1 without. The chair (Lena Leader)" in (
        pmo_notes["pia"].body
    )
    # Nobody else: not Leo, not the value owners (nothing changed for them yet).
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        ("lena", notices.KIND_VOTING_OPENED),
        ("leo", notices.KIND_VOTING_OPENED),
        ("lena", notices.KIND_DECISIONS_TO_RECORD),
        ("pia", notices.KIND_CLOSED),
    }
    # The e-mails after commit (the sweep also sends the opening's, never sent in this test).
    assert [m.subject for m in mails_to("lena")] == [
        "Gate 2026-Q4: voting is open on 2 items",
        "Gate 2026-Q4 closed: 2 decisions to record",
    ]
    assert [m.subject for m in mails_to("pia")] == [
        "Gate 2026-Q4 closed: 2 decisions for the chair"
    ]

    items = list(GateItem.objects.filter(gate=gate))
    assert notices.gate_closed(gate, items=items) == 0  # once


def test_one_item_is_one_decision_to_record(gate, pmo, leader, other_use_case):
    services.gate_item_remove(user=pmo, item=item_of(gate, other_use_case))
    services.gate_close(user=pmo, gate=open_voting(gate, pmo))
    note = Notification.objects.get(kind=notices.KIND_DECISIONS_TO_RECORD)
    assert note.title == "Gate 2026-Q4 closed: 1 decision to record"
    assert "1 item without a vote outcome" in note.body
    assert "with a vote outcome:" not in note.body


def test_a_failed_close_tells_nobody(voting_gate, leader2):
    with pytest.raises(Exception, match="Only the chair or the PMO"):
        services.gate_close(user=leader2, gate=voting_gate)
    assert not Notification.objects.filter(
        kind__in=(notices.KIND_CLOSED, notices.KIND_DECISIONS_TO_RECORD)
    ).exists()


# --- decisions ------------------------------------------------------------------------------------
@pytest.fixture
def scaled_use_case(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(stage="scaled", funding_status="funded")
    return use_case


def test_a_decision_tells_the_owner_and_the_pmo_everything(
    leader2,
    voting_gate,
    pmo,
    leader,
    owner,
    scaled_use_case,
    django_capture_on_commit_callbacks,
):
    item = item_of(voting_gate, scaled_use_case)
    for voter in (leader, leader2):
        voting.vote_cast(user=voter, item=item, choice="redesign", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decision_record(
            user=leader, item=item_of(gate, scaled_use_case), decision="hold", rationale="Budget."
        )

    notes = told(notices.KIND_DECISION)
    assert sorted(notes) == ["olivia", "pia"]  # the value owner and the PMO; not Leadership
    note = notes["olivia"]
    assert note.title == "Gate 2026-Q4 decision: hold for Customer-response assistant"
    assert note.body == (
        "Decision: Hold, recorded by Lena Leader on 2026-11-25.\n"
        "Vote outcome: Redesign; the chair departed from it.\n"
        "Rationale: Budget.\n"
        "Stage and funding: Scaled / Funded → On hold / Frozen.\n"
        "Decided on the gate pack frozen at closing (2026-11-25): open it from this notice."
    )
    assert note.url == f"/gates/items/{item.pk}/"  # the item page shows the frozen pack
    assert note.subject == item and note.period == "2026-Q4"
    assert notes["pia"].body == note.body
    assert sorted(m.to[0] for m in mail.outbox) == ["olivia@example.com", "pia@example.com"]
    text = mails_to("olivia")[0].body
    assert "Stage and funding: Scaled / Funded → On hold / Frozen." in text
    assert f"Open: {settings.VALUEGATE_BASE_URL}/gates/items/{item.pk}/" in text


def test_a_decision_without_an_outcome_or_a_rationale_says_so(
    voting_gate, pmo, leader, other_owner, other_use_case
):
    gate = services.gate_close(user=pmo, gate=voting_gate)
    decisions.decision_record(user=leader, item=item_of(gate, other_use_case), decision="stop")
    note = told(notices.KIND_DECISION)["oscar"]
    assert note.title == "Gate 2026-Q4 decision: stop for Invoice matching"
    assert note.body.splitlines()[1:4] == [
        "Vote outcome: none — no quorum (0 of 1 voted, 1 needed); the chair chose.",
        "Rationale: none given.",
        "Stage and funding: Rollout / Conditional → Stopped / Ended.",
    ]


def test_a_decision_that_follows_the_outcome_and_changes_nothing(
    voting_gate, pmo, leader, scaled_use_case
):
    item = item_of(voting_gate, scaled_use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="Healthy.")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    decisions.decision_record(user=leader, item=item_of(gate, scaled_use_case), decision=None)
    note = told(notices.KIND_DECISION)["olivia"]
    assert note.body.splitlines()[1:4] == [
        "Vote outcome: Scale.",
        "Rationale: none given.",
        "Stage and funding: unchanged, Scaled / Funded.",
    ]


def test_a_refused_decision_tells_nobody(voting_gate, pmo, leader, use_case):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="redesign", rationale="r")
    gate = services.gate_close(user=pmo, gate=voting_gate)
    with pytest.raises(Exception, match="rationale"):
        decisions.decision_record(user=leader, item=item_of(gate, use_case), decision="stop")
    assert not Notification.objects.filter(kind=notices.KIND_DECISION).exists()
