"""Chat alerts through a REAL Celery worker process (prefork) on the test Redis and PostgreSQL,
to a real HTTP receiver on loopback (allowed by ALERT_ALLOWED_HOSTS), one channel of each kind.

The worker runs the stop-loss sweep and the PMO's overdue escalation, twice each and two at once:
every event reaches each channel exactly once (Slack-shaped, Teams-shaped, and the signed JSON
document that follows docs/alert-webhook.schema.json), whoever of the two PMO members and the
value owner the inbox told; a value owner's personal channel gets only their own use cases'.
A receiver that is down is retried with back-off by the worker, then the delivery is failed and
the error is in the API and on the channels page."""

import datetime
import hashlib
import hmac
import json
from pathlib import Path

import jsonschema
import pytest
from celery import group
from django.db import connection

from tests.alert_receiver import SECRET, SITE, add_channel, free_port
from tests.conftest import make_use_case, make_user
from tests.factories import WeeklyReviewFactory
from tests.reviews.cadence_helpers import add_weekly
from tests.reviews.stoploss_helpers import HEALTHY, rework
from tests.worker_support import celery_worker, wait_for
from usecases import economics
from usecases.models import ChannelDelivery, Notification

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

SWEEP = "reviews.tasks.sweep_stop_loss"
OVERDUE = "reviews.tasks.notify_pmo_overdue"
ESCALATION_DAY = "2026-06-05"  # 2026-W22 (25–31 May) is 4 days overdue: the PMO is told
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "alert-webhook.schema.json").read_text()
)
WORKER_ENV = {
    "ALERT_ALLOWED_HOSTS": "127.0.0.1",
    "VALUEGATE_ALERT_BACKOFF": "0.5",
    "VALUEGATE_ALERT_MAX_ATTEMPTS": "3",
    "VALUEGATE_BASE_URL": SITE,
}


def last_complete_week() -> str:
    return economics.format_iso_week(
        *economics.iso_week_of(datetime.date.today() - datetime.timedelta(days=7))
    )


@pytest.fixture
def people(db, alert_settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    return dict(
        olivia=make_user("olivia", first_name="Olivia", last_name="Owens"),
        oscar=make_user("oscar"),
        pia=make_user("pia", "PMO", first_name="Pia", last_name="PMO"),
        paul=make_user("paul", "PMO"),
    )


def portfolio(people):
    """Olivia's use case breaching the rework rule last week; Oscar's healthy one; Olivia's
    late one whose 2026-W22 review is missing (escalated to the PMO on ESCALATION_DAY)."""
    breaching = make_use_case("Claims triage", owner=people["olivia"], live_since=None)
    WeeklyReviewFactory(
        use_case=breaching, week=last_complete_week(), **{**HEALTHY, **rework("0.19")}
    )
    healthy = make_use_case("Invoice matching", owner=people["oscar"], live_since=None)
    WeeklyReviewFactory(use_case=healthy, week=last_complete_week(), **HEALTHY)
    late = make_use_case(
        "Late reports", owner=people["olivia"], live_since=datetime.date(2026, 5, 1)
    )
    for week in ("2026-W18", "2026-W19", "2026-W20", "2026-W21"):
        add_weekly(late, week)
    return breaching, healthy, late


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_event_reaches_each_channel_once_through_the_worker(people, receiver, tmp_path):
    pia = people["pia"]
    breaching, healthy, late = portfolio(people)
    add_channel(pia, "slack", receiver.url("/services/T000/B000/XXXX"), name="#ai-portfolio")
    add_channel(pia, "teams", receiver.url("/workflows/wf/triggers/manual/paths/invoke?sig=s"))
    add_channel(pia, "json", receiver.url("/json"), name="SIEM")
    add_channel(people["olivia"], "json", receiver.url("/olivia"), name="Olivia's")
    add_channel(people["oscar"], "json", receiver.url("/oscar"), name="Oscar's")

    with celery_worker(tmp_path, concurrency=4, env=WORKER_ENV) as worker:
        producer = worker.producer
        group(producer.signature(SWEEP) for _ in range(2)).apply_async()
        group(
            producer.signature(OVERDUE, kwargs={"on": ESCALATION_DAY}) for _ in range(2)
        ).apply_async()
        wait_for(
            lambda: (
                ChannelDelivery.objects.filter(kind="weekly_overdue").exists()
                and ChannelDelivery.objects.filter(kind="stop_loss").exists()
            ),
            timeout=90,
            worker=worker,
        )
        producer.send_task(SWEEP)  # once more, later: nothing new
        producer.send_task(OVERDUE, kwargs={"on": ESCALATION_DAY})
        worker.wait_idle()
        wait_for(
            lambda: not ChannelDelivery.objects.exclude(status="sent").exists(),
            timeout=60,
            worker=worker,
        )
        worker.wait_idle()
        log = worker.log()
    assert "Traceback" not in log, log[-4000:]

    # The inbox told several people of each event; each channel got each event once.
    assert Notification.objects.filter(kind="stop_loss").count() == 3  # Olivia, Pia, Paul
    assert Notification.objects.filter(kind="weekly_overdue").count() == 2  # Pia, Paul
    deliveries = ChannelDelivery.objects.select_related("channel")
    assert {"stop_loss", "weekly_overdue"} <= {d.kind for d in deliveries}
    by_path = {
        "/services/T000/B000/XXXX": "#ai-portfolio",
        "/workflows/wf/triggers/manual/paths/invoke?sig=s": "teams channel",
        "/json": "SIEM",
        "/olivia": "Olivia's",
        "/oscar": "Oscar's",
    }
    for path, name in by_path.items():
        mine = [d for d in deliveries if d.channel.name == name]
        got = receiver.on(path)
        assert len(got) == len(mine), (path, len(got), len(mine))
        assert all(d.status == "sent" and d.attempts == 1 for d in mine)
        titles = [d.title for d in mine]
        assert len(set((d.kind, d.subject_id, d.period) for d in mine)) == len(mine)
        if name != "Oscar's":
            assert any(t.startswith("Stop-loss on Claims triage") for t in titles), titles
        if name in ("#ai-portfolio", "teams channel", "SIEM"):
            assert any("2026-W22 of Late reports is" in t for t in titles), titles
    # Oscar's use case is healthy and his channel is personal: nothing for him.
    assert receiver.on("/oscar") == []
    # Olivia's personal channel: her use cases only.
    olivia_use_cases = {breaching.pk, late.pk}
    for got in receiver.on("/olivia"):
        assert set(got.json()["use_case_ids"]) <= olivia_use_cases

    # The shapes: Slack's attachment, Teams' Adaptive Card, our signed JSON.
    stop_loss = Notification.objects.filter(kind="stop_loss").first()
    link = f"{SITE}{stop_loss.url}"
    slack = [r.json() for r in receiver.on("/services/T000/B000/XXXX")]
    [s] = [p for p in slack if p["attachments"][0]["title"].startswith("Stop-loss on Claims")]
    assert f"<{link.replace('&', '&amp;')}|Open in Valuegate>" in s["attachments"][0]["text"]
    teams = [r.json() for r in receiver.on("/workflows/wf/triggers/manual/paths/invoke?sig=s")]
    assert all(t["type"] == "message" for t in teams)
    cards = [t["attachments"][0]["content"] for t in teams]
    assert all(c["type"] == "AdaptiveCard" for c in cards)
    assert any(f"[Open in Valuegate]({link})" in b["text"] for c in cards for b in c["body"])
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for got in receiver.on("/json") + receiver.on("/olivia"):
        validator.validate(got.json())
        signature = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(got.headers["x-valuegate-signature"], signature)
    json_events = {r.json()["event"] for r in receiver.on("/json")}
    assert {"flag_raised", "overdue_escalation"} <= json_events


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_receiver_down_is_retried_by_the_worker_then_failed_and_shown(
    people, receiver, tmp_path, client
):
    pia = people["pia"]
    breaching = make_use_case("Claims triage", owner=people["olivia"], live_since=None)
    down = add_channel(pia, "json", f"http://127.0.0.1:{free_port()}/down", name="Down hook")
    add_channel(pia, "slack", receiver.url("/up"), name="Up")
    WeeklyReviewFactory(
        use_case=breaching, week=last_complete_week(), **{**HEALTHY, **rework("0.19")}
    )

    with celery_worker(tmp_path, concurrency=2, env=WORKER_ENV) as worker:
        worker.producer.send_task(SWEEP)
        wait_for(
            lambda: ChannelDelivery.objects.filter(channel=down, status="failed").exists(),
            timeout=90,
            worker=worker,
        )
        worker.wait_idle()
        log = worker.log()

    failed = ChannelDelivery.objects.get(channel=down)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert "Could not reach 127.0.0.1" in failed.last_error
    assert log.count(f"Channel delivery {failed.pk} failed (attempt") == 2  # two back-offs
    assert f"Channel delivery {failed.pk} failed for good" in log
    # The healthy channel was not held up by the broken one.
    assert len(receiver.on("/up")) == 1

    client.force_login(pia)
    api = client.get(f"/api/v1/notification-channels/{down.pk}/").json()
    assert api["failed"] == 1 and api["problems"][0]["attempts"] == 3
    assert "Could not reach 127.0.0.1" in api["problems"][0]["last_error"]
    page = client.get("/alerts/channels/").content.decode()
    assert "Failed</strong> after 3 attempts" in page and "Could not reach 127.0.0.1" in page
