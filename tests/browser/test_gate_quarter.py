"""A whole quarter at a stage gate, in a real browser (issue 15, "done means"), with three
Leadership members — Lena (the chair), Leo and Lucy — the PMO (Pia) and two value owners (Olivia,
Oscar):

1. Pia opens voting; every member is told, with the agenda link.
2. Partial votes: Lena votes on every item (one through the page), Leo on one, Lucy on none;
   three days before closing Leo and Lucy — not Lena — are reminded.
3. Lena closes the gate from its summary (per item: votes, outcome or "no quorum"; who has not
   voted) and is told "3 decisions to record"; Pia is told the gate closed.
4. Olivia submits a weekly review after the close: the frozen pack does not change.
5. Lena records two decisions, each choice with its consequence beside it: the vote outcome
   (pre-selected, with a rationale she need not give) and a choice where there was no outcome.
   Olivia, Oscar and Pia are told: the decision, the rationale, stage and funding before → after,
   and a link to the frozen pack, which Olivia opens.
6. The third item, left undecided, is on the next gate's agenda, carried over.
7. Each person's inbox holds exactly what they were told, and each was e-mailed it.

Screenshots go to the test artifacts folder (``gate-quarter-*.png``).
"""

import datetime
import os

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from reviews import services as review_services
from stagegates import services, tasks, voting
from stagegates.models import Decision, Gate
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from tests.stagegates.helpers import WEEK_FIGURES, monthly, weekly
from usecases.models import Notification

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)  # the 2026-Q4 gate is open
REMINDER_DAY = datetime.datetime(2026, 12, 1, 7, tzinfo=datetime.UTC)  # closes on 12-04
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}


frozen_today = frozen_at(NOW)


@pytest.fixture
def quarter(live_server):
    """The people, three use cases on the 2026-Q4 agenda (a draft gate chaired by Lena)."""
    people = {
        "pia": make_user("pia", "PMO", first_name="Pia", last_name="PMO"),
        "lena": make_user("lena", "Leadership", first_name="Lena", last_name="Chair"),
        "leo": make_user("leo", "Leadership", first_name="Leo", last_name="Leader"),
        "lucy": make_user("lucy", "Leadership", first_name="Lucy", last_name="Lund"),
        "olivia": make_user("olivia", first_name="Olivia", last_name="Owner"),
        "oscar": make_user("oscar", first_name="Oscar", last_name="Other"),
    }
    classifier = make_use_case(
        "Complaint classifier", owner=people["olivia"], stage="scaled", funding_status="funded"
    )
    # The quarter before the gate (2026-08..10) at −1,300 a month: −3,900 frozen at closing.
    for month, week in (("2026-08", "2026-W32"), ("2026-09", "2026-W36"), ("2026-10", "2026-W41")):
        weekly(classifier, week)
        monthly(classifier, month)
    matching = make_use_case("Invoice matching", owner=people["oscar"], business_unit="Finance")
    summariser = make_use_case("Contract summariser", owner=people["oscar"])
    gate = services.gate_create(
        user=people["pia"],
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": people["lena"],
        },
    )
    items = {uc.name: gate.items.get(use_case=uc) for uc in (classifier, matching, summariser)}
    return live_server.url, people, gate, items


class Browser:
    """One logged-in browser context per person (each keeps its session)."""

    def __init__(self, browser, base_url, errors):
        self.browser, self.base_url, self.errors, self.pages = browser, base_url, errors, {}

    def as_user(self, username, path):
        page = self.pages.get(username)
        if page is None:
            page = self.browser.new_context(viewport=WIDE).new_page()
            page.on("pageerror", lambda exc: self.errors.append(f"{username}: {exc}"))
            log_in(page, self.base_url, username, path)
            self.pages[username] = page
        else:
            page.goto(f"{self.base_url}{path}")
        return page

    def inbox(self, username):
        page = self.as_user(username, "/inbox/")
        return page, page.locator("ul.inbox li.inbox-item")

    def close(self):
        for page in self.pages.values():
            page.context.close()


def titles(username):
    return sorted(
        Notification.objects.filter(recipient__username=username).values_list("title", flat=True)
    )


def test_a_whole_quarter_with_three_leadership_members(browser, quarter, artifacts_dir):
    base_url, people, gate, items = quarter
    classifier = items["Complaint classifier"]
    matching = items["Invoice matching"]
    summariser = items["Contract summariser"]
    errors: list[str] = []
    b = Browser(browser, base_url, errors)
    gate_path = f"/gates/{gate.pk}/"

    # 1. The PMO opens voting; every Leadership member is told, with the agenda link.
    pia = b.as_user("pia", gate_path)
    pia.get_by_role("button", name="Open voting").click()
    expect(pia.locator(".messages")).to_contain_text("Voting is open at gate 2026-Q4.")
    lucy, lucy_notes = b.inbox("lucy")
    opened = lucy_notes.filter(has_text="Gate 2026-Q4: voting is open on 3 items")
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text(
        "On the agenda (3): Complaint classifier; Contract summariser; Invoice matching."
    )
    expect(opened).to_contain_text("Voting closes on 2026-12-04.")
    opened.get_by_role("button", name="Open").click()
    lucy.wait_for_url(f"{base_url}{gate_path}")  # the agenda
    expect(lucy.locator("table.agenda tbody tr")).to_have_count(3)

    # 2. Partial votes. Lena casts hers on the classifier through the page.
    lena = b.as_user("lena", f"/gates/items/{classifier.pk}/")
    vote_form = lena.locator("#voting")
    # The pack is long; the box at its top jumps to the form (a plain anchor).
    expect(vote_form.get_by_role("button", name="Cast vote")).not_to_be_in_viewport()
    lena.get_by_role("link", name="Vote on this item ↓").click()
    expect(vote_form.get_by_role("button", name="Cast vote")).to_be_in_viewport()
    assert lena.url.endswith("#voting")
    vote_form.get_by_label("Hold").check()
    vote_form.locator("textarea").fill("Wait for the Q1 budget.")
    vote_form.get_by_role("button", name="Cast vote").click()
    expect(lena.locator("#voting")).to_contain_text("Your vote: Hold")
    expect(lena.locator("#your-vote")).to_have_text("You voted Hold — change your vote ↓")
    voting.vote_cast(user=people["lena"], item=matching, choice="redesign", rationale="Rework.")
    voting.vote_cast(user=people["lena"], item=summariser, choice="hold", rationale="Unproven.")
    voting.vote_cast(user=people["leo"], item=classifier, choice="hold", rationale="Agreed.")
    # Three days before closing: who has not voted on every item is reminded, once.
    with time_machine.travel(REMINDER_DAY, tick=False):
        assert tasks.remind_voters() == 2
        assert tasks.remind_voters() == 0

    # 3. Lena closes from the summary; she is told what is left to her, the PMO that it closed.
    lena = b.as_user("lena", gate_path)
    lena.get_by_role("link", name="Close the gate…").click()
    lena.wait_for_url(f"{base_url}/gates/{gate.pk}/close/")
    rows = lena.locator("table.close-items tbody tr")
    expect(rows.filter(has_text="Complaint classifier")).to_contain_text("Hold")
    expect(rows.filter(has_text="Invoice matching")).to_contain_text(
        "no quorum (1 of 3 voted, 2 needed)"
    )
    expect(lena.locator(".missing-voters")).to_contain_text("Leo Leader — voted on 1 of 3")
    expect(lena.locator(".missing-voters")).to_contain_text("Lucy Lund — voted on 0 of 3")
    expect(lena.locator(".missing-voters")).not_to_contain_text("Lena")
    shot(lena, artifacts_dir, "gate-quarter-close-summary.png")
    lena.get_by_role("button", name="Confirm: close the gate").click()
    lena.wait_for_url(f"{base_url}{gate_path}")
    expect(lena.locator(".messages")).to_contain_text("Gate 2026-Q4 closed")
    assert Gate.objects.get(pk=gate.pk).is_closed

    lena, lena_notes = b.inbox("lena")
    to_record = lena_notes.filter(has_text="Gate 2026-Q4 closed: 3 decisions to record")
    expect(to_record).to_contain_text("1 item with a vote outcome")
    expect(to_record).to_contain_text("2 items without a vote outcome")
    to_record.get_by_role("button", name="Open").click()
    lena.wait_for_url(f"{base_url}{gate_path}")

    # 4. A weekly review after the close (+1,200 in October): the frozen pack stays as it was.
    review_services.weekly_review_submit(
        user=people["olivia"],
        use_case=classifier.use_case,
        week="2026-W43",
        data=dict(WEEK_FIGURES),
    )

    # 5. Decisions, each choice with its consequence beside it.
    lena = b.as_user("lena", f"/gates/items/{classifier.pk}/")
    expect(lena.locator("#snapshot")).to_contain_text("Frozen at closing")
    expect(lena.locator(".grid")).to_contain_text("−EUR 3,900.00")
    expect(lena.locator(".grid")).not_to_contain_text("−EUR 2,700.00")
    decision = lena.locator("#decision")
    hold = decision.get_by_label(
        "Hold: Complaint classifier moves from Scaled / Funded to On hold / Frozen"
    )
    expect(hold).to_be_checked()  # the vote outcome, pre-selected
    expect(decision).to_contain_text("Scale: Complaint classifier stays at Scaled / Funded")
    decision.locator("textarea").fill("Budget review first.")  # not required; accepted
    decision.screenshot(path=os.path.join(artifacts_dir, "gate-quarter-decision.png"))
    decision.get_by_role("button", name="Record the decision").click()
    expect(lena.locator("#decision")).to_contain_text("Budget review first.")

    lena = b.as_user("lena", f"/gates/items/{matching.pk}/")
    decision = lena.locator("#decision")
    expect(decision).to_contain_text("No vote outcome: no quorum (1 of 3 voted, 2 needed)")
    expect(decision.locator("input[type=radio]:checked")).to_have_count(0)
    decision.get_by_label(
        "Redesign: Invoice matching moves from Rollout / Conditional to Redesign / Conditional"
    ).check()
    decision.locator("textarea").fill("Rework too high.")
    decision.get_by_role("button", name="Record the decision").click()
    expect(lena.locator("#decision")).to_contain_text("Rework too high.")
    assert sorted(Decision.objects.values_list("item__use_case__name", "decision")) == [
        ("Complaint classifier", "hold"),
        ("Invoice matching", "redesign"),
    ]

    # The owner's decision notice: the decision, the rationale, before → after, the pack.
    olivia, olivia_notes = b.inbox("olivia")
    notice = olivia_notes.filter(has_text="Gate 2026-Q4 decision: hold for Complaint classifier")
    for line in (
        "Decision: Hold, recorded by Lena Chair on 2026-11-25.",
        "Vote outcome: Hold.",
        "Rationale: Budget review first.",
        "Stage and funding: Scaled / Funded → On hold / Frozen.",
        "Decided on the gate pack frozen at closing (2026-11-25): open it from this notice.",
    ):
        expect(notice).to_contain_text(line)
    shot(olivia, artifacts_dir, "gate-quarter-owner-notice-1440.png")
    olivia.set_viewport_size(NARROW)
    shot(olivia, artifacts_dir, "gate-quarter-owner-notice-390.png")
    olivia.set_viewport_size(WIDE)
    notice.get_by_role("button", name="Open").click()
    olivia.wait_for_url(f"{base_url}/gates/items/{classifier.pk}/")
    expect(olivia.locator("#snapshot")).to_contain_text("Frozen at closing")
    expect(olivia.locator(".grid")).to_contain_text("−EUR 3,900.00")  # the review changed nothing
    expect(olivia.locator("#decision")).to_contain_text("Budget review first.")

    oscar, oscar_notes = b.inbox("oscar")
    notice = oscar_notes.filter(has_text="Gate 2026-Q4 decision: redesign for Invoice matching")
    expect(notice).to_contain_text(
        "Vote outcome: none — no quorum (1 of 3 voted, 2 needed); the chair chose."
    )
    expect(notice).to_contain_text(
        "Stage and funding: Rollout / Conditional → Redesign / Conditional."
    )

    # 6. The undecided item is carried onto the next gate, with its reason.
    next_gate = services.gate_create(
        user=people["pia"],
        data={
            "quarter": "2027-Q1",
            "opens_on": datetime.date(2027, 1, 4),
            "closes_on": datetime.date(2027, 1, 29),
            "chair": people["lena"],
        },
    )
    pia = b.as_user("pia", f"/gates/{next_gate.pk}/")
    carried = pia.locator("table.agenda tbody tr").filter(has_text="Contract summariser")
    expect(carried).to_contain_text("carried over from 2026-Q4: no decision")
    pia = b.as_user("pia", "/gates/undecided/")
    expect(pia.locator("main")).to_contain_text("Contract summariser")

    # 7. Each person's inbox: exactly what they were told (in the page and by e-mail).
    expected = {
        "lena": [
            "Gate 2026-Q4 closed: 3 decisions to record",
            "Gate 2026-Q4: voting is open on 3 items",
        ],
        "leo": [
            "Gate 2026-Q4: voting is open on 3 items",
            "Gate 2026-Q4: your vote is missing on 2 item(s)",
        ],
        "lucy": [
            "Gate 2026-Q4: voting is open on 3 items",
            "Gate 2026-Q4: your vote is missing on 3 item(s)",
        ],
        "pia": [
            "Gate 2026-Q4 closed: 3 decisions for the chair",
            "Gate 2026-Q4 decision: hold for Complaint classifier",
            "Gate 2026-Q4 decision: redesign for Invoice matching",
        ],
        "olivia": ["Gate 2026-Q4 decision: hold for Complaint classifier"],
        "oscar": ["Gate 2026-Q4 decision: redesign for Invoice matching"],
    }
    for username, wanted in expected.items():
        assert titles(username) == wanted, username
        page, notes = b.inbox(username)
        expect(notes).to_have_count(len(wanted))
        for title in wanted:
            expect(notes.filter(has_text=title)).to_have_count(1)
        mailed = sorted(m.subject for m in mail.outbox if m.to == [f"{username}@example.com"])
        assert mailed == wanted, username
    assert errors == []
    b.close()
