"""Alerts in chat in a real browser: the PMO's channels page (a Slack channel that works, a Teams
channel whose receiver is down with the error shown, a value owner's personal channel), adding a
signed JSON webhook through the form (a private address refused at the field first), and the
"Send test message" button reaching a real receiver on loopback. Screenshots at 1440 and 390 px."""

import hashlib
import hmac
import os

import pytest
from playwright.sync_api import expect

from tests.alert_receiver import SECRET, add_channel, free_port
from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user
from usecases import transitions
from usecases.models import NotificationChannel

pytestmark = [*BROWSER, pytest.mark.usefixtures("alert_settings")]


def shot(page, artifacts_dir, name):
    for folder in (artifacts_dir, "/tmp"):
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def test_the_pmo_sets_up_channels_and_sees_what_failed(page, live_server, receiver, artifacts_dir):
    pia = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    olivia = make_user("olivia", first_name="Olivia", last_name="Owens")
    use_case = make_use_case("Claims triage", owner=olivia)
    add_channel(pia, "slack", receiver.url("/services/T0/B0/XXXX"), name="#ai-portfolio")
    add_channel(
        pia,
        "teams",
        f"http://127.0.0.1:{free_port()}/workflows/wf/triggers/manual/paths/invoke?sig=abcd",
        name="AI governance (Teams)",
        events=["flag_raised", "gate_voting_opened", "gate_closed", "decision_recorded"],
    )
    add_channel(olivia, "json", receiver.url("/olivia"), name="Olivia's automations")
    transitions.tell(  # a stop-loss flag: the inbox, and the channels (sent after commit)
        use_case,
        transitions.Notice(
            kind="stop_loss",
            subject=use_case,
            period="2026-W47",
            title="Stop-loss on Claims triage: rework rate 19.0% > 15.0%",
            body="Rework rate was above 15.0% for 1 week.",
            url=f"/flags/?use_case={use_case.pk}",
        ),
        cc=[pia],
    )
    assert len(receiver.on("/services/T0/B0/XXXX")) == 1

    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url, "pia", "/alerts/channels/")
    expect(page.get_by_role("heading", name="Alerts in chat", level=1)).to_be_visible()
    teams = page.locator("section.channel", has_text="AI governance (Teams)")
    expect(teams).to_contain_text("0 sent · 0 pending · 1 failed")
    expect(teams.locator(".channel-problems")).to_contain_text("Failed after 3 attempts")
    expect(teams.locator(".channel-problems")).to_contain_text("Could not reach 127.0.0.1")
    expect(teams).to_contain_text("http://127.0.0.1/…/abcd")
    slack = page.locator("section.channel", has_text="#ai-portfolio")
    expect(slack).to_contain_text("1 sent · 0 pending · 0 failed")
    expect(page.locator("section.channel", has_text="Olivia's automations")).to_contain_text(
        "personal channel of Olivia Owens"
    )
    assert "XXXX" not in page.content().replace("/…/XXXX", "")  # only the last 4 characters
    shot(page, artifacts_dir, "alert-channels-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts_dir, "alert-channels-390.png")
    page.set_viewport_size({"width": 1440, "height": 900})

    # Add a signed JSON webhook: a private address is refused at the field, then the receiver.
    page.get_by_role("link", name="Add a channel").click()
    page.fill("#id_name", "SIEM")
    page.select_option("#id_kind", "json")
    page.fill("#id_url", "http://10.0.0.8/hook")
    page.fill("#id_secret", SECRET)
    page.get_by_label("Gate closed").check()
    page.get_by_label("Stop-loss flag raised").check()
    page.get_by_role("button", name="Save channel").click()
    expect(page.locator(".field-error")).to_contain_text(
        "10.0.0.8 is a private, loopback or link-local address"
    )
    shot(page, artifacts_dir, "alert-channel-form-refused-1440.png")
    page.fill("#id_url", receiver.url("/siem"))
    page.fill("#id_secret", SECRET)  # a password field is not sent back
    page.get_by_role("button", name="Save channel").click()
    page.wait_for_url(f"{live_server.url}/alerts/channels/")
    siem = page.locator("section.channel", has_text="SIEM")
    expect(siem).to_contain_text("Stop-loss flag raised, Gate closed")
    siem.get_by_role("button", name="Send test message").click()
    expect(page.locator(".msg-success")).to_have_text("Test message sent to “SIEM”.")
    [got] = receiver.on("/siem")
    assert got.json()["event"] == "test"
    assert got.headers["x-valuegate-signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    )
    expect(page.locator("section.channel", has_text="SIEM")).to_contain_text("went through")
    assert NotificationChannel.objects.get(name="SIEM").owner is None  # PMO-wide
