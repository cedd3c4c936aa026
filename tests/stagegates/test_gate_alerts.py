"""The gate events in chat (usecases.alerts) to a real HTTP receiver: voting opened, gate closed
and decision recorded, as the inbox says them, once per channel; a value owner's personal channel
gets the gates whose agenda holds their use case, and the decisions about it."""

import pytest

from stagegates import decisions, services, voting
from tests.alert_receiver import SITE, add_channel
from usecases.models import AlertEvent, Notification, UseCase

from .helpers import item_of, open_voting

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alert_settings")]


def events(receiver, path):
    return [r.json()["event"] for r in receiver.on(path)]


def test_a_gate_opened_closed_and_decided(
    gate,
    pmo,
    leader,
    leader2,
    owner,
    other_owner,
    use_case,
    other_use_case,
    receiver,
    django_capture_on_commit_callbacks,
):
    UseCase.objects.filter(pk=use_case.pk).update(stage="scaled", funding_status="funded")
    add_channel(pmo, "slack", receiver.url("/pmo"))
    add_channel(owner, "json", receiver.url("/olivia"))
    add_channel(pmo, "json", receiver.url("/decisions"), events=[AlertEvent.DECISION_RECORDED])
    with django_capture_on_commit_callbacks(execute=True):
        open_voting(gate, pmo)
    opened = Notification.objects.filter(kind="gate_voting_opened").first()
    [slack] = [r.json() for r in receiver.on("/pmo")]
    assert slack["attachments"][0]["title"] == opened.title  # told to 3 people, posted once
    assert f"<{SITE}/gates/{gate.pk}/|Open in Valuegate>" in slack["attachments"][0]["text"]
    [to_olivia] = [r.json() for r in receiver.on("/olivia")]
    assert to_olivia["event"] == "gate_voting_opened"
    assert sorted(to_olivia["use_case_ids"]) == sorted([use_case.pk, other_use_case.pk])

    for voter in (leader, leader2):
        voting.vote_cast(user=voter, item=item_of(gate, use_case), choice="hold", rationale="r")
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.gate_close(user=pmo, gate=gate)
    assert events(receiver, "/olivia") == ["gate_voting_opened", "gate_closed"]
    closed_note = Notification.objects.get(kind="gate_closed")
    assert receiver.on("/pmo")[-1].json()["attachments"][0]["title"] == closed_note.title

    with django_capture_on_commit_callbacks(execute=True):
        decisions.decision_record(
            user=leader, item=item_of(closed, use_case), decision="hold", rationale="Budget."
        )
    decided = Notification.objects.filter(kind="gate_decision").first()
    assert events(receiver, "/olivia") == ["gate_voting_opened", "gate_closed", "decision_recorded"]
    [decision] = [r.json() for r in receiver.on("/decisions")]
    assert (decision["title"], decision["text"]) == (decided.title, decided.body)
    assert decision["url"] == f"{SITE}{decided.url}"
    assert len(receiver.on("/pmo")) == 3
