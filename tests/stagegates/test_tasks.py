"""stagegates.tasks: vote reminders 3 days before closing (once), agenda refresh, beat schedule."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from stagegates import services, tasks, voting
from tests.conftest import make_use_case
from usecases.models import Notification

from .helpers import BERLIN, item_of

pytestmark = pytest.mark.django_db


def reminders():
    return sorted(
        Notification.objects.filter(kind="gate_vote_reminder").values_list(
            "recipient__username", "period"
        )
    )


def test_reminds_members_who_have_not_voted_on_everything(
    voting_gate, leader, leader2, use_case, other_use_case, django_capture_on_commit_callbacks
):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="hold", rationale="r")
    voting.vote_cast(
        user=leader, item=item_of(voting_gate, other_use_case), choice="hold", rationale="r"
    )
    voting.vote_cast(
        user=leader2, item=item_of(voting_gate, use_case), choice="hold", rationale="r"
    )

    assert tasks.remind_voters() == 0  # 2026-11-25: closes 2026-12-04, too early
    with time_machine.travel(datetime.datetime(2026, 12, 1, 8, tzinfo=BERLIN), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.remind_voters() == 1
        assert tasks.remind_voters() == 0  # once per gate
    assert reminders() == [("leo", "2026-Q4")]
    note = Notification.objects.get(kind="gate_vote_reminder")
    assert note.title == "Gate 2026-Q4: your vote is missing on 1 item(s)"
    assert note.subject == voting_gate
    assert [m.to for m in mail.outbox] == [["leo@example.com"]]


def test_no_reminder_after_closing_or_past_the_day(voting_gate, pmo, leader):
    with time_machine.travel(datetime.datetime(2026, 12, 5, 8, tzinfo=BERLIN), tick=False):
        assert tasks.remind_voters() == 0  # closes_on has passed
    services.gate_close(user=pmo, gate=voting_gate)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 8, tzinfo=BERLIN), tick=False):
        assert tasks.remind_voters() == 0
    assert reminders() == []


def test_refresh_agendas_adds_to_draft_gates_only(gate, pmo, use_case):
    newcomer = make_use_case("Newcomer", stage="rollout")
    assert tasks.refresh_agendas() == 1
    assert tasks.refresh_agendas() == 0
    assert gate.items.filter(use_case=newcomer).exists()
    services.gate_open_voting(user=pmo, gate=gate)
    make_use_case("Too late", stage="scaled")
    assert tasks.refresh_agendas() == 0


def test_beat_schedule_names_the_tasks():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "stagegates.tasks.ensure_current_gate",
        "stagegates.tasks.refresh_agendas",
        "stagegates.tasks.remind_voters",
    } <= names
    for name in ("ensure_current_gate", "refresh_agendas", "remind_voters"):
        assert callable(getattr(tasks, name).run)
