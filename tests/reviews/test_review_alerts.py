"""The review events in chat (usecases.alerts), end to end through the save hook to a real HTTP
receiver: a stop-loss flag raised and withdrawn say what the inbox says; an early-warning signal,
which tells nobody in the app, is an event of its own."""

import pytest

from reviews.models import Flag, FlagKind
from tests.alert_receiver import SITE, add_channel
from usecases.models import AlertEvent, Notification

from .stoploss_helpers import (
    correct_week,
    frozen_today,  # noqa: F401
    rework,
    submit_week,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today", "alert_settings")]


def documents(receiver, path):
    return [r.json() for r in receiver.on(path)]


def test_a_stop_loss_flag_raised_then_withdrawn(
    receiver, pmo, owner, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/pmo"))
    add_channel(owner, "json", receiver.url("/olivia"), events=[AlertEvent.FLAG_WITHDRAWN])
    with django_capture_on_commit_callbacks(execute=True):
        review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    raised = Notification.objects.get(kind="stop_loss", recipient=pmo)
    [flag_raised] = documents(receiver, "/pmo")
    assert flag_raised["event"] == "flag_raised"
    assert (flag_raised["title"], flag_raised["text"]) == (raised.title, raised.body)
    assert flag_raised["url"] == f"{SITE}{raised.url}"
    assert receiver.on("/olivia") == []  # she subscribed to withdrawals only

    with django_capture_on_commit_callbacks(execute=True):
        correct_week(review, user=owner, **rework("0.10"))
    withdrawn = Notification.objects.get(kind="stop_loss_withdrawn", recipient=pmo)
    assert [d["event"] for d in documents(receiver, "/pmo")] == ["flag_raised", "flag_withdrawn"]
    [to_olivia] = documents(receiver, "/olivia")
    assert (to_olivia["event"], to_olivia["title"]) == ("flag_withdrawn", withdrawn.title)
    assert to_olivia["text"] == withdrawn.body


def test_an_early_warning_signal_is_posted_though_the_inbox_stays_quiet(
    receiver, pmo, owner, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/warnings"), events=[AlertEvent.EARLY_WARNING])
    add_channel(pmo, "json", receiver.url("/flags"), events=[AlertEvent.FLAG_RAISED])
    with django_capture_on_commit_callbacks(execute=True):
        for week, exceptions in zip(
            ("2026-W44", "2026-W45", "2026-W46", "2026-W47"), (10, 20, 30, 40), strict=True
        ):
            submit_week(use_case, week, user=owner, exceptions=exceptions)
    flag = Flag.objects.get(kind=FlagKind.EXCEPTIONS_GROWING)
    assert not Notification.objects.exists()
    [warning] = documents(receiver, "/warnings")
    assert warning["event"] == "early_warning" and warning["kind"] == "early_warning"
    assert warning["title"] == f"Early warning on {use_case.name}: Exceptions growing"
    assert warning["text"] == flag.explanation
    assert warning["subject"] == {"type": "reviews.flag", "id": flag.pk}
    assert receiver.on("/flags") == []
