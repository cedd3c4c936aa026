"""Issue 14 in a real browser, the scenarios the other browser tests leave out:

- item 2, before saving: the correction page foresees the withdrawal — live panel (1440 and 390
  px) and, without JavaScript, the "Preview figures" button — then the save says what happened;
- item 1 without JavaScript: the preview of a breaching review says what submitting would do;
- item 4: back-filled history (weeks older than the look-back) imported from a file opens no
  flag, moves no stage, is no action item, and shows as historical in the import preview and on
  the use case page;
- the gates section: an item a closed gate left without quorum or decision says so.

Today is Wednesday 2026-11-25 (ISO week 2026-W48): the look-back is 2026-W44..W47."""

import datetime

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import Flag, FlagKind, FlagResolution, WeeklyReview
from stagegates.models import Gate, GateItem, GateStatus, Vote
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from tests.reviews.stoploss_helpers import HEALTHY
from usecases.models import Funding, Stage, StageTransition, UseCase

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)


frozen_today = frozen_at(NOW)


@pytest.fixture
def job_ad_writer(live_server):
    """Olivia's Job ad writer in Rollout / Funded; the PMO is Pia."""
    owner = make_user("olivia", first_name="Olivia", last_name="Owens")
    make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    use_case = make_use_case(
        "Job ad writer", owner=owner, stage=Stage.ROLLOUT, funding_status=Funding.FUNDED
    )
    return live_server.url, owner, use_case


def breach_w47(use_case, owner) -> WeeklyReview:
    """60 reworked outputs of 300 (20 %): flag, Redesign / Conditional."""
    figures = {**HEALTHY, "tasks_total": 400, "tasks_with_ai": 300, "reworked_outputs": 60}
    review = services.weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W47", data=figures
    )
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)
    return review


def state(use_case):
    return tuple(UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk))


def foreseen(flag, name="Job ad writer") -> str:
    return (
        f"Saving the correction withdraws stop-loss flag #{flag.pk} (2026-W47): rework rate now "
        f"10.0%. {name} returns to Rollout / Funded; Olivia Owens and the PMO are notified."
    )


def test_correction_live_panel_foresees_the_withdrawal(page, job_ad_writer, artifacts_dir):
    base_url, owner, use_case = job_ad_writer
    review = breach_w47(use_case, owner)
    flag = Flag.objects.get(kind=FlagKind.STOP_LOSS)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if width == 1440:
            log_in(page, base_url, owner.username, f"/reviews/weekly/{review.pk}/")
        else:
            page.goto(f"{base_url}/reviews/weekly/{review.pk}/")
        panel = page.locator("#figure-consequences")
        page.fill("#id_reworked_outputs", "30")
        expect(panel).to_contain_text("What saving this correction does")
        expect(panel).to_contain_text(foreseen(flag))
        expect(panel.locator("li")).to_have_attribute("data-effect", "restored")
        expect(panel).to_have_class("consequences consequences-good")
        expect(page.locator("#figure-rework_rate .breach-mark")).to_have_count(0)
        shot(page, artifacts_dir, f"correction-foresees-withdrawal-{width}.png")
    # Nothing happened yet.
    assert Flag.objects.get(pk=flag.pk).is_open
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    warning = page.locator(".msg-warning")
    expect(warning).to_contain_text(
        f"Stop-loss flag #{flag.pk} (2026-W47) withdrawn: rework rate now 10.0%. Job ad writer "
        "returned to Rollout / Funded; Olivia Owens and the PMO were notified."
    )
    shot(page, artifacts_dir, "weekly-after-correction.png", full_page=False)
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)


def test_without_javascript_the_preview_says_what_submitting_and_correcting_do(
    browser, job_ad_writer, artifacts_dir
):
    base_url, owner, use_case = job_ad_writer
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, base_url, owner.username, f"/reviews/use-cases/{use_case.pk}/weekly/new/")
        page.fill("#id_week", "2026-W47")
        for name, value in (
            ("active_users", "75"),
            ("tasks_total", "400"),
            ("tasks_with_ai", "300"),
            ("reworked_outputs", "60"),
            ("exceptions", "10"),
            ("minutes_saved_per_task", "2.5"),
            ("rework_minutes_per_output", "7.5"),
            ("quality_score", "88"),
            ("backlog", "120"),
        ):
            page.fill(f"#id_{name}", value)
        page.get_by_role("button", name="Preview figures").click()
        panel = page.locator("#figure-consequences")
        expect(panel).to_contain_text(
            "Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy). "
            "Submitting returns Job ad writer to Redesign and makes funding Conditional; "
            "Olivia Owens and the PMO are notified."
        )
        expect(page.locator("#figure-rework_rate .breach-mark")).to_have_text(
            "(above 15.0% stop-loss)"
        )
        assert not WeeklyReview.objects.exists() and not Flag.objects.exists()
        shot(page, artifacts_dir, "no-js-preview-breach.png")
        page.get_by_role("button", name="Submit review").click()
        page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
        expect(page.locator(".msg-warning")).to_contain_text("returned to Redesign")
        flag = Flag.objects.get(kind=FlagKind.STOP_LOSS)

        review = WeeklyReview.objects.get()
        page.goto(f"{base_url}/reviews/weekly/{review.pk}/")
        page.fill("#id_reworked_outputs", "30")
        page.get_by_role("button", name="Preview figures").click()
        expect(panel).to_contain_text(foreseen(flag))
        assert Flag.objects.get(pk=flag.pk).is_open
        assert WeeklyReview.objects.get().version == 1
        shot(page, artifacts_dir, "no-js-preview-withdrawal.png")
        page.get_by_role("button", name="Save correction").click()
        page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
        expect(page.locator(".msg-warning")).to_contain_text("returned to Rollout / Funded")
        assert Flag.objects.get(pk=flag.pk).resolution_kind == FlagResolution.WITHDRAWN
    finally:
        context.close()


def test_back_filled_history_opens_no_flag_and_shows_as_historical(
    page, job_ad_writer, artifacts_dir, tmp_path
):
    base_url, owner, use_case = job_ad_writer
    header = (
        "week,active_users,tasks_total,tasks_with_ai,reworked_outputs,exceptions,"
        "minutes_saved_per_task,rework_minutes_per_output,quality_score,backlog"
    )
    july = tmp_path / "july.csv"  # 160 of 800 reworked: 20 % each week
    july.write_text(
        f"{header}\n2026-W30,70,1000,800,160,10,3,5,88,90\n2026-W31,70,1000,800,160,10,3,5,88,90\n"
    )
    sentence = (
        "historical: week 2026-W30 breached rework rate (20.0% > 15.0%), no flag — older than "
        "the 4-week look-back"
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base_url, owner.username, f"/use-cases/{use_case.pk}/")
    page.get_by_role("link", name="Import weekly reviews").first.click()
    page.set_input_files("input[type=file]", str(july))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-ready")).to_contain_text("Every row is valid.")
    expect(page.locator("#import-historical")).to_contain_text(sentence)
    expect(page.locator("#import-consequences")).to_have_count(0)  # no flag to raise
    shot(page, artifacts_dir, "import-preview-historical.png")

    page.get_by_role("button", name="Import 2 weekly reviews").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/#reviews")
    expect(page.locator(".messages")).to_contain_text("2 weekly reviews imported")
    header_text = page.locator(".page-head").first.inner_text()
    assert "Redesign" not in header_text
    expect(page.get_by_text("Funding: Funded")).to_be_visible()
    flags = page.locator("#flags")
    expect(flags).to_contain_text("No open flags")
    flags.locator("summary", has_text="Resolved and historical flags").click()
    expect(flags).to_contain_text("Historical")
    expect(flags).to_contain_text(sentence)
    shot(page, artifacts_dir, "use-case-page-historical.png")
    for width in (390,):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, artifacts_dir, f"use-case-page-historical-{width}.png")

    # Not an action item on My work.
    page.goto(f"{base_url}/")
    expect(page.locator("#my-flags")).not_to_contain_text("Job ad writer")
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
    assert not StageTransition.objects.exists()
    assert not Flag.objects.open().exists()
    assert set(Flag.objects.values_list("period", "historical")) == {
        ("2026-W30", True),
        ("2026-W31", True),
    }


def test_gates_section_says_no_quorum_and_carried_over(page, job_ad_writer, artifacts_dir):
    base_url, owner, use_case = job_ad_writer
    leader = make_user("lena", "Leadership", first_name="Lena", last_name="Leader")
    gate = Gate.objects.create(
        quarter="2026-Q3",
        opens_on=datetime.date(2026, 9, 1),
        closes_on=datetime.date(2026, 9, 20),
        chair=leader,
        status=GateStatus.CLOSED,
        members_at_close=3,
        quorum_at_close=2,
    )
    item = GateItem.objects.create(gate=gate, use_case=use_case)
    Vote.objects.create(item=item, voter=leader, choice="scale", rationale="Good numbers.")
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base_url, owner.username, f"/use-cases/{use_case.pk}/")
    # The gates section loads as it scrolls into view (issue 16): scroll to it by the index.
    page.get_by_role("navigation", name="Sections of this page").get_by_role(
        "link", name="Stage gates"
    ).click()
    gates = page.locator("#gates")
    expect(page.locator("#gates.uc-section-later")).to_have_count(0)
    expect(gates).to_contain_text("No outcome: no quorum (1 of 3 voted, 2 needed)")
    expect(gates).to_contain_text("No decision — carried over to the next gate")
    expect(gates).not_to_contain_text("Not decided yet")
    gates.scroll_into_view_if_needed()
    page.screenshot(path=f"{artifacts_dir}/gates-no-quorum.png", clip=gates.bounding_box())


def test_pmo_restores_a_flag_whose_breach_was_withdrawn_in_one_action(
    page, job_ad_writer, artifacts_dir
):
    """Item 2, when something else changed the use case in between: the correction withdrew the
    W46 breach, but W47's flag was open, so nothing was restored; once W47's is resolved the PMO
    resolves W46's with one action that puts back Rollout / Funded."""
    from reviews.flags import flag_resolve

    base_url, owner, use_case = job_ad_writer
    pmo = use_case.value_owner.__class__.objects.get(username="pia")
    figures = {**HEALTHY, "tasks_total": 400, "tasks_with_ai": 300, "reworked_outputs": 60}
    w46 = services.weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W46", data=figures
    )
    services.weekly_review_submit(user=owner, use_case=use_case, week="2026-W47", data=figures)
    first, second = Flag.objects.filter(kind=FlagKind.STOP_LOSS).order_by("pk")

    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base_url, owner.username, f"/reviews/weekly/{w46.pk}/")
    page.fill("#id_reworked_outputs", "30")
    panel = page.locator("#figure-consequences")
    expect(panel).to_contain_text(
        f"Saving the correction withdraws the breach behind stop-loss flag #{first.pk} "
        "(2026-W46) (rework rate now 10.0%), but restores nothing automatically: stop-loss "
        f"flag #{second.pk} (2026-W47) is still open on this use case."
    )
    expect(panel.locator("li")).to_have_attribute("data-effect", "pmo_to_resolve")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    expect(page.locator(".msg-warning")).to_contain_text("nothing was restored automatically")
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)
    flag_resolve(user=pmo, flag=second, note="Onboarding week, explained.")

    page.get_by_role("button", name="Log out").click()
    log_in(page, base_url, "pia", f"/reviews/flags/{first.pk}/resolve/")
    expect(page.get_by_text("Breach withdrawn by correction").first).to_be_visible()
    shot(page, artifacts_dir, "pmo-resolve-and-restore.png")
    page.get_by_role("button", name="Resolve and restore Rollout / Funded").click()
    expect(page.locator(".messages")).to_contain_text("Rollout / Funded")
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
    assert Flag.objects.get(pk=first.pk).resolution_kind == FlagResolution.RESTORED
