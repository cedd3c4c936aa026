"""The change log, finished, in Chromium at 1440 and 390 px: a model seen in the telemetry is
proposed on the use case page, the owner confirms it (the effective date editable), each change
shows its impact table, and the gate pack shows the same table. Neither page scrolls sideways.
No serious or critical axe-core violation. Screenshots in the test artifacts folder
(``change-impact-*.png``)."""

import datetime
import os

import time_machine
from django.test import Client

from reviews.ingest_keys import ingest_key_create
from tests.browser.helpers import BROWSER, log_in
from tests.browser.test_crawl import axe_violations
from tests.conftest import make_use_case, make_user
from tests.factories import ModelChangeFactory
from tests.reviews.impact_helpers import impact_weeks
from tests.reviews.telemetry_helpers import NOW, Recorder, at, chat, protobuf_of
from tests.stagegates.helpers import create_gate, item_of
from tests.use_case_sections import load_sections_in_browser
from usecases.models import ModelChange, ProposalStatus, ProposedChange

pytestmark = BROWSER


def send(key, model, day):
    recorder = Recorder()
    recorder.span("chat", at(day, 9), attributes=chat(model, 100, 20, user="u1"))
    response = Client().generic(
        "POST",
        "/otlp/v1/traces",
        protobuf_of(recorder.take()),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200


def shoot(page, selector, name, artifacts_dir):
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert axe_violations(page, contrast=width == 1440) == [], (name, width)
        page.locator(selector).screenshot(
            path=os.path.join(artifacts_dir, f"change-impact-{name}-{width}.png")
        )


def test_propose_confirm_and_read_the_impact(page, live_server, artifacts_dir):
    owner = make_user("olivia")
    pmo = make_user("pia", "PMO")
    leader = make_user("lena", "Leadership")
    use_case = make_use_case(owner=owner)
    impact_weeks(use_case)  # gpt-4.1, effective 11 Nov: impact ready (hand count)
    ModelChangeFactory(
        use_case=use_case,
        version_label="prompt-v8",
        kind="prompt",
        effective_date=datetime.date(2026, 11, 25),
        description="Shorter answers, citing the knowledge base.",
    )
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    with time_machine.travel(NOW, tick=True):
        send(key, "gpt-4.1", 23)  # the baseline of the telemetry
        send(key, "gpt-4.1-mini", 26)  # new: proposed
        proposal = ProposedChange.objects.get()
        gate = create_gate(pmo, leader)

        page.set_viewport_size({"width": 1440, "height": 900})
        log_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}{use_case.get_absolute_url()}")
        load_sections_in_browser(page)
        changes = page.locator("#changes")
        assert "Model gpt-4.1 → gpt-4.1-mini" in changes.inner_text()
        assert "+20.0 pp" in changes.inner_text()
        assert "Not enough weeks yet" in changes.inner_text()
        shoot(page, "#changes", "use-case", artifacts_dir)

        page.set_viewport_size({"width": 1440, "height": 900})
        changes.get_by_role("link", name="Confirm…").click()
        page.fill("#id_effective_date", "2026-11-24")
        page.get_by_role("button", name="Add to the change log").click()
        page.wait_for_url(f"{live_server.url}{use_case.get_absolute_url()}#changes")
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.CONFIRMED
        confirmed = ModelChange.objects.get(version_label="gpt-4.1-mini")
        assert confirmed.effective_date == datetime.date(2026, 11, 24)

        item = item_of(gate, use_case)
        page.goto(f"{live_server.url}{item.get_absolute_url()}")
        pack_changes = page.locator("#changes")
        assert "+20.0 pp" in pack_changes.inner_text()
        assert "gpt-4.1-mini" in pack_changes.inner_text()
        shoot(page, "#changes", "gate-pack", artifacts_dir)
