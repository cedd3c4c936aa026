"""Issue 14 items 5 and 6 in a real browser: the PMO changing a use case's stage needs a written
reason (the field appears once the stage changes; without it the page says so at the field),
leaving redesign with a stop-loss flag open is refused naming the flag; and a policy threshold
is typed as a percentage ("12") and confirmed as one. Screenshots go to the artifacts folder."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from reviews.models import Flag, FlagKind, StopLossRule
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from usecases.models import Notification, StageTransition, UseCase

pytestmark = BROWSER

NOW = datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC)


frozen_today = frozen_at(NOW)


@pytest.fixture
def setup(live_server):
    owner = make_user("olivia", first_name="Olivia", last_name="Owens")
    pmo = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    use_case = make_use_case("Job ad writer", owner=owner)
    return live_server.url, pmo, owner, use_case


def watch_errors(page):
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_pmo_edits_stage_without_then_with_a_reason(page, setup, artifacts_dir):
    base_url, _pmo, owner, use_case = setup
    errors = watch_errors(page)
    edit = f"/use-cases/{use_case.pk}/edit/"
    log_in(page, base_url, "pia", edit)
    reason = page.locator("#change-reason")
    expect(reason).to_be_hidden()  # nothing to explain yet
    page.select_option("#id_stage", "on_hold")
    expect(reason).to_be_visible()
    page.select_option("#id_stage", "rollout")
    expect(reason).to_be_hidden()
    page.select_option("#id_stage", "on_hold")
    page.select_option("#id_funding_status", "frozen")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#change-reason .errorlist")).to_contain_text(
        "Write why you change the stage or funding"
    )
    expect(reason).to_be_visible()
    shot(page, artifacts_dir, "stage-edit-without-reason.png")
    assert UseCase.objects.get(pk=use_case.pk).stage == "rollout"
    page.fill("#id_change_reason", "Team on leave until January.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    expect(page.get_by_text("Use case “Job ad writer” saved.")).to_be_visible()
    shot(page, artifacts_dir, "stage-edit-with-reason.png")
    saved = UseCase.objects.get(pk=use_case.pk)
    assert (saved.stage, saved.funding_status) == ("on_hold", "frozen")
    [moved] = StageTransition.objects.all()
    assert moved.reason == "Team on leave until January."
    assert Notification.objects.get(kind="stage_edit").recipient == owner
    assert errors == []


def test_pmo_cannot_leave_redesign_with_an_open_flag(page, setup, artifacts_dir):
    base_url, _pmo, _owner, use_case = setup
    UseCase.objects.filter(pk=use_case.pk).update(stage="redesign", funding_status="conditional")
    flag = Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.STOP_LOSS,
        rule=StopLossRule.objects.get(use_case=None, metric="rework_rate"),
        rule_key="rule:1",
        period="2026-W48",
        observed_value=Decimal("0.2"),
        threshold=Decimal("0.15"),
        explanation="Rework rate was 20.0% in 2026-W48, above the stop-loss threshold of 15.0%.",
    )
    log_in(page, base_url, "pia", f"/use-cases/{use_case.pk}/edit/")
    page.select_option("#id_stage", "rollout")
    page.select_option("#id_funding_status", "funded")
    page.fill("#id_change_reason", "Looks fine now.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error").filter(has=page.locator("#id_stage"))).to_contain_text(
        f"Stop-loss flag #{flag.pk} (rework rate 20.0% > 15.0%, raised 2026-12-02) is open: "
        "resolve it, or decide at a gate."
    )
    shot(page, artifacts_dir, "stage-edit-open-flag.png")
    assert UseCase.objects.get(pk=use_case.pk).stage == "redesign"


def test_typing_12_in_a_policy_threshold(page, setup, artifacts_dir):
    base_url, *_ = setup
    errors = watch_errors(page)
    rule = StopLossRule.objects.get(use_case=None, metric="rework_rate")
    edit = f"/reviews/policy/rules/{rule.pk}/edit/"
    log_in(page, base_url, "pia", edit)
    expect(page.locator("#id_threshold")).to_have_value("15")
    expect(page.locator("#threshold-unit")).to_have_text("%")
    page.select_option("#id_metric", "quality_score")
    expect(page.locator("#threshold-unit")).to_have_text("points (0–100)")
    page.select_option("#id_metric", "rework_rate")
    expect(page.locator("#threshold-unit")).to_have_text("%")
    page.fill("#id_threshold", "0.12")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".errorlist")).to_contain_text("0.12 here means 0.12 %, not 12 %")
    expect(page.get_by_label("I mean less than 1 %")).to_be_visible()
    shot(page, artifacts_dir, "policy-threshold-0.12.png")
    page.fill("#id_threshold", "12")
    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url(f"{base_url}/reviews/policy/")
    saved = page.get_by_text("Rule saved: Rework rate exceeds 12.0% (default policy).")
    expect(saved).to_be_visible()
    expect(page.locator(f"#rule-{rule.pk}")).to_contain_text("12.00%")
    shot(page, artifacts_dir, "policy-threshold-12.png")
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.12")
    assert errors == []
