"""usecases.alerts: chat alerts posted to a real HTTP receiver on loopback (tasks run in-process
here; tests/usecases/test_alerts_worker.py has the real worker). Each event reaches a channel once,
however many people the inbox told; the generic webhook's body follows the documented JSON Schema
and its signature verifies; a receiver that is down is retried, then the delivery fails with the
error shown on the channels page and in the API."""

import datetime
import hashlib
import hmac
import json
import socket
from pathlib import Path

import jsonschema
import pytest
from django.db import connection

from tests.alert_receiver import SECRET, SITE, add_channel, free_port
from tests.conftest import make_user
from usecases import alerts, clock, transitions
from usecases.models import AlertEvent, ChannelDelivery, DeliveryStatus, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alert_settings")]

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "alert-webhook.schema.json").read_text()
)


def notice(use_case, *, kind="stop_loss", period="2026-W47"):
    return transitions.Notice(
        kind=kind,
        subject=use_case,
        period=period,
        title=f"Stop-loss on {use_case.name}: rework rate 19.0% > 15.0%",
        body="Rework rate was above 15.0% for 1 week.\n\nTriggered by the sweep.",
        url=f"/flags/?use_case={use_case.pk}",
    )


def tell(use_case, cc, capture, **kw):
    """Tell the value owner and ``cc`` (as a stop-loss flag does), run what runs after commit."""
    with capture(execute=True):
        transitions.tell(use_case, notice(use_case, **kw), cc=cc)


def validate(document):
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


def test_json_webhook_body_follows_the_schema_and_its_signature_verifies(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    channel = add_channel(pmo, "json", receiver.url("/json"))
    tell(use_case, [pmo], django_capture_on_commit_callbacks)

    [got] = receiver.on("/json")
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-valuegate-signature"] == expected
    forged = "sha256=" + hmac.new(b"another secret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-valuegate-signature"] != forged
    document = got.json()
    validate(document)
    delivery = ChannelDelivery.objects.get()
    n = Notification.objects.filter(recipient=pmo).get()
    assert document["event"] == "flag_raised" == got.headers["x-valuegate-event"]
    assert document["delivery_id"] == delivery.pk == int(got.headers["x-valuegate-delivery"])
    assert (document["title"], document["text"]) == (n.title, n.body)  # what the inbox says
    assert document["url"] == f"{SITE}{n.url}"
    assert document["subject"] == {"type": "usecases.usecase", "id": use_case.pk}
    assert document["use_case_ids"] == [use_case.pk]
    assert document["channel"] == {"id": channel.pk, "name": channel.name}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")


def test_the_schema_refuses_what_it_should(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    """The schema is no rubber stamp: a body without a title, or an unknown event, fails it."""
    add_channel(pmo, "json", receiver.url("/json"))
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    document = receiver.on("/json")[0].json()
    for broken in (
        {**document, "event": "coffee"},
        {k: v for k, v in document.items() if k != "title"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_slack_and_teams_get_their_own_shapes_with_the_text_and_the_link(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "slack", receiver.url("/services/T000/B000/XXXX"))
    add_channel(pmo, "teams", receiver.url("/workflows/abc/triggers/manual/paths/invoke?sig=x"))
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    n = Notification.objects.filter(recipient=pmo).get()
    link = f"{SITE}{n.url}"

    [slack] = receiver.on("/services/T000/B000/XXXX")
    attachment = slack.json()["attachments"][0]
    assert attachment["title"] == n.title.replace(">", "&gt;")  # Slack escapes < > &
    assert "Rework rate was above 15.0% for 1 week." in attachment["text"]
    assert f"<{link}|Open in Valuegate>" in attachment["text"]
    assert attachment["footer"] == "Valuegate"

    [teams] = receiver.on("/workflows/abc/triggers/manual/paths/invoke?sig=x")
    card = teams.json()
    assert card["type"] == "message"
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    blocks = card["attachments"][0]["content"]["body"]
    assert [b["text"] for b in blocks if b.get("id") == "title"] == [n.title]
    [text] = [b["text"] for b in blocks if b.get("id") == "body"]
    assert "Rework rate was above 15.0% for 1 week." in text
    assert f"[Open in Valuegate]({link})" in text
    # Neither carries our signature (only the generic webhook is signed).
    assert "x-valuegate-signature" not in slack.headers | teams.headers


def test_one_event_reaches_each_channel_once_however_many_were_told(
    receiver, pmo, owner, use_case, django_capture_on_commit_callbacks
):
    pmo2 = make_user("paul", "PMO")
    add_channel(pmo, "json", receiver.url("/a"))
    add_channel(pmo, "slack", receiver.url("/b"))
    tell(use_case, [pmo, pmo2], django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 3  # owner and two PMO members
    tell(use_case, [pmo, pmo2], django_capture_on_commit_callbacks)  # told again: nothing new
    with django_capture_on_commit_callbacks(execute=True):
        n = notice(use_case)
        assert (
            alerts.publish(
                event=AlertEvent.FLAG_RAISED,
                kind=n.kind,
                subject=use_case,
                period=n.period,
                title=n.title,
                body=n.body,
                url=n.url,
                use_case_ids=[use_case.pk],
            )
            == 0
        )
    assert (len(receiver.on("/a")), len(receiver.on("/b"))) == (1, 1)
    assert ChannelDelivery.objects.count() == 2
    # Another period is another event.
    tell(use_case, [pmo], django_capture_on_commit_callbacks, period="2026-W48")
    assert (len(receiver.on("/a")), len(receiver.on("/b"))) == (2, 2)


def test_a_personal_channel_gets_only_its_owners_use_cases(
    receiver, pmo, owner, other_owner, use_case, other_use_case, django_capture_on_commit_callbacks
):
    add_channel(owner, "json", receiver.url("/olivia"))
    add_channel(other_owner, "json", receiver.url("/oscar"))
    add_channel(pmo, "json", receiver.url("/pmo"))
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    assert [len(receiver.on(p)) for p in ("/olivia", "/oscar", "/pmo")] == [1, 0, 1]
    tell(other_use_case, [pmo], django_capture_on_commit_callbacks)
    assert [len(receiver.on(p)) for p in ("/olivia", "/oscar", "/pmo")] == [1, 1, 2]


def test_unsubscribed_or_switched_off_channels_get_nothing(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/gates-only"), events=[AlertEvent.GATE_CLOSED])
    add_channel(pmo, "json", receiver.url("/off"), enabled=False)
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not ChannelDelivery.objects.exists()


def test_notifications_of_kinds_not_routed_are_not_posted(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/all"))
    tell(use_case, [pmo], django_capture_on_commit_callbacks, kind="stage_edit")
    assert receiver.requests == []


def test_a_receiver_that_is_down_is_retried_then_the_delivery_fails_with_its_error(
    pmo, use_case, client, django_capture_on_commit_callbacks
):
    channel = add_channel(pmo, "json", f"http://127.0.0.1:{free_port()}/hook", name="Ops hook")
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3  # VALUEGATE_ALERT_MAX_ATTEMPTS
    assert delivery.last_error.startswith("Could not reach 127.0.0.1:")
    assert delivery.last_error.endswith(": Connection refused")  # the reason, not a repr
    assert alerts.deliver(delivery.pk) == "skipped"  # failed for good: never sent again

    client.force_login(pmo)
    page = client.get("/alerts/channels/").content.decode()
    assert '0 sent · 0 pending · <span class="bad">1 failed</span>' in page
    assert "Failed</strong> after 3 attempts" in page and "Could not reach 127.0.0.1" in page
    api = client.get(f"/api/v1/notification-channels/{channel.pk}/").json()
    assert api["failed"] == 1 and api["sent"] == 0
    [problem] = api["problems"]
    assert problem["status"] == "failed" and problem["attempts"] == 3
    assert "Could not reach 127.0.0.1" in problem["last_error"]


def test_a_receiver_that_recovers_gets_the_message_after_retries(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/flaky"))
    receiver.answer(503, 502, 200)
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    bodies = [r.body for r in receiver.on("/flaky")]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same message, tried three times
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")


def test_a_refusal_fails_at_once(receiver, pmo, use_case, django_capture_on_commit_callbacks):
    add_channel(pmo, "json", receiver.url("/gone"))
    receiver.answer(404)
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 404 from 127.0.0.1:")


def test_back_off_doubles_and_a_delivery_waits_for_it(
    receiver, settings, pmo, use_case, django_capture_on_commit_callbacks
):
    settings.VALUEGATE_ALERT_BACKOFF = 30
    assert [alerts.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    add_channel(pmo, "json", receiver.url("/slow"))
    receiver.answer(503)
    tell(use_case, [pmo], django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at - clock.now() > datetime.timedelta(seconds=25)
    assert alerts.deliver(delivery.pk) == "skipped"  # not due yet
    assert alerts.send_pending() == 0
    assert len(receiver.requests) == 1


def test_a_leased_delivery_is_not_sent_by_a_second_sender(
    receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    add_channel(pmo, "json", receiver.url("/lease"))
    with django_capture_on_commit_callbacks(execute=False):  # enqueued, not run
        transitions.tell(use_case, notice(use_case), cc=[pmo])
    delivery = ChannelDelivery.objects.get()
    ChannelDelivery.objects.filter(pk=delivery.pk).update(claimed_at=clock.now())
    assert alerts.deliver(delivery.pk) == "skipped"
    assert alerts.send_pending() == 0
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=clock.now() - datetime.timedelta(hours=1)  # its sender died
    )
    assert alerts.send_pending() == 1
    assert len(receiver.on("/lease")) == 1


def test_the_url_and_the_secret_are_encrypted_at_rest_and_shown_masked(receiver, pmo, client):
    url = receiver.url("/services/T000/B000/SECRETPART9xyz")
    channel = add_channel(pmo, "json", url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT url_sealed, secret_sealed, url_hint FROM usecases_notificationchannel"
        )
        [(url_sealed, secret_sealed, hint)] = cursor.fetchall()
    assert "SECRETPART" not in url_sealed and "127.0.0.1" not in url_sealed
    assert SECRET not in secret_sealed
    assert hint == "http://127.0.0.1/…/9xyz"
    client.force_login(pmo)
    for body in (
        client.get("/alerts/channels/").content.decode(),
        client.get(f"/alerts/channels/{channel.pk}/edit/").content.decode(),
        json.dumps(
            client.get(f"/api/v1/notification-channels/{channel.pk}/").json(), ensure_ascii=False
        ),
    ):
        assert "SECRETPART" not in body and SECRET not in body
        assert "http://127.0.0.1/…/9xyz" in body


def test_send_test_message_from_the_page(receiver, pmo, client):
    channel = add_channel(pmo, "json", receiver.url("/test"), name="#ai-portfolio")
    client.force_login(pmo)
    response = client.post(f"/alerts/channels/{channel.pk}/test/", follow=True)
    assert "Test message sent to “#ai-portfolio”." in response.content.decode()
    [got] = receiver.on("/test")
    document = got.json()
    validate(document)
    assert document["event"] == "test" and document["delivery_id"] is None
    assert got.headers["x-valuegate-signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    )
    channel.refresh_from_db()
    assert channel.tested_at is not None and channel.test_error == ""

    receiver.answer(500)
    response = client.post(f"/alerts/channels/{channel.pk}/test/", follow=True)
    page = response.content.decode()
    assert "The test message to “#ai-portfolio” failed: HTTP 500 from 127.0.0.1:" in page
    channel.refresh_from_db()
    assert channel.test_error.startswith("HTTP 500")
    api = client.post(f"/api/v1/notification-channels/{channel.pk}/test/").json()
    assert api["ok"] is False and api["error"].startswith("HTTP 500")


def test_a_receiver_that_never_answers_times_out(
    settings, pmo, use_case, django_capture_on_commit_callbacks
):
    settings.VALUEGATE_ALERT_TIMEOUT = 0.5
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        add_channel(pmo, "json", f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        tell(use_case, [pmo], django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.endswith(": no answer within 0.5 s")


def test_the_documented_example_follows_the_schema():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "alerts.md").read_text()
    example = doc.split("Example:\n\n```json\n", 1)[1].split("```", 1)[0]
    validate(json.loads(example))
