"""Closing a gate and recording a decision in a real browser (issue 15): the chair opens the close
summary from the gate page — with JavaScript switched off, the page and its confirm button work
alone — sees the items without a quorum and the members who have not voted, confirms, then
records a decision on a healthy scaled product with each choice's consequence beside it.
Screenshots go to the test artifacts folder (``gate-close-*.png``)."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from stagegates import services, voting
from stagegates.models import Decision
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from usecases.models import StageTransition

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC)  # the 2026-Q4 gate is open


frozen_today = frozen_at(NOW)


@pytest.fixture
def gate_setup(live_server):
    pmo = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    lena = make_user("lena", "Leadership", first_name="Lena", last_name="Chair")
    leo = make_user("leo", "Leadership", first_name="Leo", last_name="Leader")
    make_user("lucy", "Leadership", first_name="Lucy", last_name="Lund")
    classifier = make_use_case(name="Complaint classifier", stage="scaled", funding_status="funded")
    matching = make_use_case(name="Invoice matching")
    gate = services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": lena,
        },
    )
    services.gate_open_voting(user=pmo, gate=gate)
    item = gate.items.get(use_case=matching)
    voting.vote_cast(user=lena, item=item, choice="redesign", rationale="Rework too high.")
    voting.vote_cast(user=leo, item=item, choice="redesign", rationale="Agreed.")
    return live_server.url, gate, gate.items.get(use_case=classifier), classifier


def test_chair_closes_with_the_summary_and_decides_with_the_consequence(
    browser, page, gate_setup, artifacts_dir
):
    base_url, gate, item, classifier = gate_setup
    gate_path = f"/gates/{gate.pk}/"

    # 1. The close summary and the confirmation, without JavaScript.
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    no_js = context.new_page()
    log_in(no_js, base_url, "lena", gate_path)
    no_js.get_by_role("link", name="Close the gate…").click()
    no_js.wait_for_url(f"{base_url}/gates/{gate.pk}/close/")
    expect(no_js.get_by_role("heading", name="Close gate 2026-Q4?")).to_be_visible()
    rows = no_js.locator("table.close-items tbody tr")
    expect(rows.filter(has_text="Complaint classifier")).to_contain_text(
        "no quorum (0 of 3 voted, 2 needed)"
    )
    expect(rows.filter(has_text="Invoice matching")).to_contain_text("Redesign")  # Lena voted
    expect(no_js.locator(".missing-voters")).to_contain_text("Lucy Lund — voted on 0 of 2")
    expect(no_js.locator(".missing-voters")).to_contain_text("Leo Leader — voted on 1 of 2")
    shot(no_js, artifacts_dir, "gate-close-summary.png")
    no_js.get_by_role("button", name="Confirm: close the gate").click()
    no_js.wait_for_url(f"{base_url}{gate_path}")
    expect(no_js.locator(".messages")).to_contain_text("Gate 2026-Q4 closed")
    gate.refresh_from_db()
    assert gate.is_closed
    classifier.refresh_from_db()
    assert (classifier.stage, classifier.funding_status) == ("scaled", "funded")  # untouched
    context.close()

    # 2. The decision, each choice with its consequence beside it; nothing pre-selected.
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, "lena", f"/gates/items/{item.pk}/")
    decision = page.locator("#decision")
    expect(decision).to_contain_text("No vote outcome: no quorum (0 of 3 voted, 2 needed)")
    expect(decision).to_contain_text(
        "Hold: Complaint classifier moves from Scaled / Funded to On hold / Frozen"
    )
    expect(decision).to_contain_text("Scale: Complaint classifier stays at Scaled / Funded")
    expect(decision.locator("input[type=radio]:checked")).to_have_count(0)

    page.get_by_role("button", name="Record the decision").click()  # nothing chosen
    expect(decision).to_contain_text("Choose a decision.")
    assert not Decision.objects.exists()

    hold = decision.get_by_label(
        "Hold: Complaint classifier moves from Scaled / Funded to On hold / Frozen"
    )
    hold.check()
    page.fill("#id_rationale", "Budget review first.")
    decision.screenshot(path=os.path.join(artifacts_dir, "gate-close-decision.png"))
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("Budget review first.")
    shot(page, artifacts_dir, "gate-close-decided.png")

    classifier.refresh_from_db()
    assert (classifier.stage, classifier.funding_status) == ("on_hold", "frozen")
    moved = StageTransition.objects.get(use_case=classifier)
    assert (moved.stage_before, moved.stage_after) == ("scaled", "on_hold")
    assert errors == []
