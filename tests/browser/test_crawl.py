"""Every page, for every role, at 1440 and 390 px wide, on the demo portfolio (``seed_demo``):

- no page scrolls sideways (``scrollWidth`` ≤ the viewport): wide tables scroll in their own box;
- zero console errors and zero script errors, with the Content-Security-Policy on;
- zero serious or critical axe-core violations (axe-core vendored in ``tests/browser/vendor``).

The pages of each role are its known pages (listed below from the apps' ``urls.py``; among them the
503 "Briefly unavailable" page, answered for real to a database error by a view of the test URLs)
plus every link of its navigation; a page's sections that load as they scroll into view (the use
case page's, ``portfolio.use_case_sections``) are scrolled in first, so their htmx fragments are
checked in the page. Each page loads once per role, at 1440 px, and is checked again after the
window narrows to 390 px (media queries apply on resize; no reload needed), one browser context per
role on one seeded database. ``test_htmx_fragments_and_the_import_preview`` checks what appears
only after an action: each htmx swap (sorting and paging the dashboard, filtering flags and the
overdue tracker, marking a notification read, the review form's live figures), each section's own
page, and the weekly import's preview after a file is uploaded (with errors, then ready). The
navigation menu at 390 px and the primary action on My work are checked by their own tests below,
with screenshots in the test artifacts folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from portfolio.demo import USERS, seed_demo
from reviews.models import Flag, MonthlyReview, StopLossRule, WeeklyReview
from stagegates.models import GateItem
from stagegates.services import gate_ensure_for_quarter, gate_open_voting
from tests.browser.helpers import BROWSER, log_in, shot
from usecases import sealed
from usecases.models import BusinessCase, ChannelDelivery, NotificationChannel, UseCase

pytestmark = BROWSER

User = get_user_model()
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-4.10.3.min.js"
WIDE, NARROW = 1440, 390
PASSWORDS = {user.username: user.password for user in USERS}
#: The PMO first, on the draft gate (its agenda forms); then voting opens for the others (the
#: leaders' vote form, the hidden tallies).
ROLES = {
    "pmo": "pia",
    "anonymous": None,
    "owner": "olivia",
    "contributor": "carl",
    "leader": "lena",
}
#: The admin and the API pages are Django's and DRF's own (not our layout): not crawled here.
NOT_CRAWLED = re.compile(r"^/(admin|api)/")
#: The 503 "Briefly unavailable" page (``portfolio/db_unavailable.py``), rendered for real: a view
#: of the test URLs raises the ``OperationalError`` a database outage raises, and the middleware
#: answers it, as for any page. Checked for every role like the others.
UNAVAILABLE = "/test-errors/database-down/"
#: The status each page must answer (200 when not here).
STATUS = {UNAVAILABLE: 503}


@pytest.fixture
def demo(live_server):
    seed_demo()  # users, use cases, reviews; then the sweep (flags) and the quarter's gate
    gate, _ = gate_ensure_for_quarter()
    use_case = UseCase.objects.get(name="Customer-response assistant")
    item = GateItem.objects.filter(gate=gate, use_case=use_case).first() or (
        GateItem.objects.filter(gate=gate).order_by("pk").first()
    )
    assert item is not None, "the demo's gate has an agenda"
    # A chat channel with a failed delivery: the channels page with its problems list.
    channel = NotificationChannel.objects.create(
        kind="teams",
        name="AI governance (Teams)",
        url_sealed=sealed.seal("https://example.invalid/workflows/wf/triggers/manual/paths/invoke"),
        url_hint="https://example.invalid/…/voke",
        events=["flag_raised", "gate_closed"],
    )
    ChannelDelivery.objects.create(
        channel=channel,
        event="flag_raised",
        kind="stop_loss",
        subject_type=ContentType.objects.get_for_model(use_case),
        subject_id=use_case.pk,
        period="2026-W47",
        title="Stop-loss on Customer-response assistant",
        status="failed",
        attempts=6,
        next_attempt_at=timezone.now(),
        last_error="Could not reach example.invalid: Connection refused",
    )
    return live_server.url, use_case, gate, item


def pages_for(role: str, use_case: UseCase, gate, item) -> list[str]:
    """The known pages of ``role`` (every one must answer 200, or its ``STATUS``)."""
    if role == "anonymous":
        return [reverse("login"), UNAVAILABLE]
    uc = use_case.pk
    weekly = WeeklyReview.objects.filter(use_case=use_case).order_by("-week_start").first()
    monthly = MonthlyReview.objects.filter(use_case=use_case).order_by("-pk").first()
    common = [
        reverse("portfolio:home"),
        reverse("usecases:list"),
        reverse("usecases:detail", args=[uc]),
        reverse("usecases:business_case_history", args=[uc]),
        reverse("portfolio:dashboard"),
        reverse("portfolio:cfo_report"),
        reverse("stagegates:list"),
        reverse("stagegates:detail", args=[gate.pk]),
        reverse("stagegates:item", args=[item.pk]),
        reverse("stagegates:checklist", args=[uc]),
        reverse("reviews:flags"),
        reverse("usecases:inbox"),
        UNAVAILABLE,
    ]
    submit = [
        reverse("reviews:weekly_new", args=[uc]),
        reverse("reviews:monthly_new", args=[uc]),
        reverse("reviews:weekly_import", args=[uc]),
        reverse("reviews:weekly_edit", args=[weekly.pk]),
        reverse("reviews:monthly_edit", args=[monthly.pk]),
    ]
    open_flag = Flag.objects.filter(resolved_at__isnull=True).order_by("pk").first()
    version = BusinessCase.history.filter(use_case_id=uc).order_by("-history_id").first()
    common.append(reverse("usecases:business_case_version", args=[uc, version.history_id]))
    rule = StopLossRule.objects.order_by("pk").first()
    channel = NotificationChannel.objects.order_by("pk").first()
    return {
        "owner": common
        + submit
        + [
            reverse("usecases:channels"),
            reverse("usecases:channel_create"),
            reverse("usecases:business_case_edit", args=[uc]),
            reverse("usecases:model_change_create", args=[uc]),
            reverse("usecases:checklist_edit", args=[uc]),
        ],
        "contributor": common + submit,
        "leader": common,
        "pmo": common
        + [
            reverse("usecases:create"),
            reverse("usecases:edit", args=[uc]),
            reverse("reviews:policy"),
            reverse("reviews:policy_rule_new"),
            reverse("reviews:policy_use_case", args=[uc]),
            reverse("reviews:overdue"),
            reverse("portfolio:evidence"),
            reverse("reviews:model_prices"),
            reverse("reviews:weekly_import", args=[uc]),
            reverse("reviews:flag_resolve", args=[open_flag.pk]),
            reverse("reviews:policy_rule_edit", args=[rule.pk]),
            reverse("stagegates:new"),
            reverse("stagegates:edit", args=[gate.pk]),
            reverse("stagegates:undecided"),
            reverse("usecases:channels"),
            reverse("usecases:channel_create"),
            reverse("usecases:channel_edit", args=[channel.pk]),
        ],
    }[role]


def watch_console(page) -> list[str]:
    """Console errors and uncaught script errors of ``page``, as they come."""
    errors: list[str] = []

    def on_console(msg):
        if msg.type != "error":
            return
        errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    return errors


def axe_violations(page, *, contrast: bool = True) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now (``contrast=False``:
    without the colour-contrast rule, the slowest, when the same page was checked at another width:
    the colours do not change with it)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate() is not subject to the page's CSP, unlike an injected <script>.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        "contrast => axe.run(document, {resultTypes: ['violations'],"
        " rules: {'color-contrast': {enabled: contrast}}}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        contrast,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def load_sections(page) -> None:
    """Scroll each section that loads as needed into view, and wait for htmx to swap it in."""
    for _ in range(20):
        waiting = page.eval_on_selector_all(".uc-section-later", "els => els.map(e => e.id)")
        if not waiting:
            break
        page.evaluate("id => document.getElementById(id).scrollIntoView()", waiting[0])
        page.wait_for_function(
            "id => !document.querySelector('.uc-section-later#' + id)", arg=waiting[0]
        )
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def nav_links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "nav.mainnav a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [href for href in hrefs if href.startswith("/") and not NOT_CRAWLED.match(href)]


def expected_console_line(errors: list[str], url: str, status: int) -> list[str]:
    """``errors`` less the line a browser always logs for a document answered ``status`` >= 400
    (its own status line), which is not an error of the page."""
    if status < 400:
        return errors
    line = f"the server responded with a status of {status}"
    return [e for e in errors if not (line in e and e.endswith(f"({url})"))]


@pytest.mark.urls("tests.portfolio.error_urls")  # the site's URLs and UNAVAILABLE
def test_every_page_every_role_wide_and_narrow(browser, demo):
    base_url, use_case, gate, item = demo
    problems: list[str] = []
    checked = 0
    for role, username in ROLES.items():
        context = browser.new_context(viewport={"width": WIDE, "height": 900})
        page = context.new_page()
        errors = watch_console(page)
        if username:
            log_in(page, base_url, username, password=PASSWORDS[username])
        queue = pages_for(role, use_case, gate, item)
        seen: set[str] = set()
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            page.set_viewport_size({"width": WIDE, "height": 900})
            response = page.goto(f"{base_url}{path}")
            status = STATUS.get(path, 200)
            if response.status != status:
                problems.append(f"{role} {path}: HTTP {response.status}")
                continue
            page.wait_for_load_state("networkidle")
            errors[:] = expected_console_line(errors, f"{base_url}{path}", status)
            load_sections(page)
            if username:
                queue.extend(link for link in nav_links(page) if link not in seen)
            for width in (WIDE, NARROW):
                if width != WIDE:
                    page.set_viewport_size({"width": width, "height": 844})
                where = f"{role} {path} @{width}px"
                if (scroll := page_width(page)) > width:
                    problems.append(f"{where}: the page is {scroll} px wide")
                violations = axe_violations(page, contrast=width == WIDE)
                problems.extend(f"{where}: {v}" for v in violations)
                problems.extend(f"{where}: console: {e}" for e in errors)
                errors.clear()
                checked += 1
        context.close()
        if role == "pmo":
            gate = gate_open_voting(user=User.objects.get(username=username), gate=gate)
    assert gate.is_voting
    assert not problems, "\n".join(problems)
    assert checked >= 2 * (1 + 4 * 13), checked  # every role's pages, at both widths


def test_narrow_menu_works_by_keyboard_and_without_javascript(browser, demo, artifacts_dir):
    """At 390 px the navigation is one "Menu" button: Tab reaches it, Enter opens it, its links
    are then visible and lead on; at 1440 px the links are a bar and the button is gone. Without
    JavaScript the menu opens all the same (it is a <details>)."""
    base_url, *_ = demo
    for javascript in (True, False):
        context = browser.new_context(
            viewport={"width": NARROW, "height": 844}, java_script_enabled=javascript
        )
        page = context.new_page()
        log_in(page, base_url, "pia", password=PASSWORDS["pia"])
        menu = page.locator("summary.navmenu-toggle")
        flags_link = page.locator("nav.mainnav").get_by_role("link", name="Flags", exact=True)
        expect(menu).to_be_visible()
        expect(menu).to_have_accessible_name(re.compile(r"^Menu"))
        expect(flags_link).to_be_hidden()
        unread = page.locator("#inbox-count").text_content()
        assert int(unread) > 0  # the demo's reminders: the button shows them while closed
        expect(page.locator("#menu-unread")).to_be_visible()
        expect(page.locator("#menu-unread")).to_have_text(f"{unread} unread")
        assert page.locator(".topbar").bounding_box()["height"] < 70  # one line, not four
        page.locator(".brand").focus()
        page.keyboard.press("Tab")
        expect(menu).to_be_focused()
        page.keyboard.press("Enter")
        expect(flags_link).to_be_visible()
        box = flags_link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW
        if javascript:
            shot(page, artifacts_dir, "crawl-390-nav-menu-open.png", full_page=False)
        page.keyboard.press("Tab")  # the first link of the menu: My work
        expect(page.locator("nav.mainnav a").first).to_be_focused()
        flags_link.click()
        page.wait_for_url(f"{base_url}/reviews/flags/")
        expect(page.get_by_role("heading", name="Flags", level=1)).to_be_visible()
        expect(flags_link).to_be_hidden()  # a new page starts with the menu closed

        page.set_viewport_size({"width": WIDE, "height": 900})
        if javascript:  # the wide bar needs ::details-content, not JavaScript; once is enough
            expect(menu).to_be_hidden()
            expect(page.locator("#menu-unread")).to_be_hidden()
            expect(flags_link).to_be_visible()
            assert page.locator(".topbar").bounding_box()["height"] < 70
        context.close()


def test_primary_actions_and_wide_tables_at_390(browser, demo, artifacts_dir):
    """On a phone, My work's "Submit … review" buttons are in view without scrolling sideways;
    the gate agenda scrolls inside a focusable, named region (the arrow keys scroll it); the flags
    stack one block per flag; the use case page stays 390 px wide. Screenshots to look at."""
    base_url, use_case, gate, _ = demo
    context = browser.new_context(viewport={"width": NARROW, "height": 844})
    page = context.new_page()
    log_in(page, base_url, "olivia", password=PASSWORDS["olivia"])
    buttons = page.get_by_role("link", name=re.compile(r"^Submit (weekly|monthly) review$"))
    assert buttons.count() >= 1
    for button in buttons.all():
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW, box
    shot(page, artifacts_dir, "crawl-390-my-work-owner.png")

    page.goto(f"{base_url}{reverse('stagegates:detail', args=[gate.pk])}")
    assert page_width(page) <= NARROW
    region = page.locator(".table-scroll:has(table.agenda)")
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("aria-label", "Agenda")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # wider than a phone
    shot(page, artifacts_dir, "crawl-390-gate-agenda.png")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())

    page.goto(f"{base_url}{reverse('reviews:flags')}")
    assert page_width(page) <= NARROW
    rows = page.locator("table.flags tr.flag-row")
    assert rows.count() >= 1
    for row in rows.all()[:3]:  # one block per flag, all of it in view: no sideways scroll
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW, box
        expect(row.locator("td.flag-explanation")).to_be_visible()
    expect(page.locator("table.flags thead")).to_have_css("position", "absolute")
    shot(page, artifacts_dir, "crawl-390-flags.png")

    page.goto(f"{base_url}{reverse('usecases:detail', args=[use_case.pk])}")
    page.wait_for_load_state("networkidle")
    assert page_width(page) <= NARROW
    expect(page.get_by_role("link", name="Submit weekly review").first).to_be_in_viewport()
    shot(page, artifacts_dir, "crawl-390-use-case.png")
    context.close()


def check_now(page, where: str, errors: list[str], problems: list[str]) -> int:
    """The page as it is now, at 1440 then 390 px: width, axe, console. Returns the checks."""
    page.wait_for_load_state("networkidle")
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900 if width == WIDE else 844})
        at = f"{where} @{width}px"
        if (scroll := page_width(page)) > width:
            problems.append(f"{at}: the page is {scroll} px wide")
        problems.extend(f"{at}: {v}" for v in axe_violations(page, contrast=width == WIDE))
        problems.extend(f"{at}: console: {e}" for e in errors)
        errors.clear()
    page.set_viewport_size({"width": WIDE, "height": 900})
    return 2


def test_htmx_fragments_and_the_import_preview(browser, demo, tmp_path, artifacts_dir):
    """What a page shows only after an action, checked as the crawl checks pages: every htmx
    swap, the use case page's sections (in the page, and each as its own page for a plain link)
    and the weekly import's preview after uploading a file."""
    from portfolio.use_case_sections import SECTIONS
    from tests.use_case_sections import section_url

    base_url, use_case, gate, item = demo
    problems: list[str] = []
    checked = 0
    context = browser.new_context(viewport={"width": WIDE, "height": 900})
    page = context.new_page()
    errors = watch_console(page)
    swaps: list[str] = []
    page.on(
        "response",
        lambda r: (
            r.request.headers.get("hx-request") == "true" and swaps.append(f"{r.status} {r.url}")
        ),
    )
    log_in(page, base_url, "olivia", password=PASSWORDS["olivia"])

    # The use case page's sections: as htmx loads them into the page, and as their own pages.
    page.goto(f"{base_url}{use_case.get_absolute_url()}")
    page.wait_for_load_state("networkidle")
    load_sections(page)
    assert sum("/sections/" in s for s in swaps) == len(SECTIONS), swaps
    checked += check_now(page, "use case page, every section loaded", errors, problems)
    for slug in SECTIONS:
        assert page.goto(f"{base_url}{section_url(use_case, slug)}").status == 200
        checked += check_now(page, f"section page {slug}", errors, problems)

    # The dashboard: sorting and paging swap the table.
    swaps.clear()
    page.goto(f"{base_url}{reverse('portfolio:dashboard')}")
    page.locator("#dashboard-table th a[hx-get]").first.click()
    checked += check_now(page, "dashboard sorted (htmx)", errors, problems)
    next_page = page.locator("#dashboard-table a[rel=next]")
    if next_page.count():
        next_page.click()
        checked += check_now(page, "dashboard next page (htmx)", errors, problems)

    # Flags: a filter swaps the table.
    page.goto(f"{base_url}{reverse('reviews:flags')}")
    page.locator("form.filters select").first.select_option(index=1)
    checked += check_now(page, "flags filtered (htmx)", errors, problems)

    # The inbox: "Mark read" swaps the notification.
    page.goto(f"{base_url}{reverse('usecases:inbox')}")
    mark = page.get_by_role("button", name="Mark read")
    if mark.count():
        mark.first.click()
        checked += check_now(page, "inbox, one marked read (htmx)", errors, problems)

    # The weekly review form: typing swaps the live figures in.
    page.goto(f"{base_url}{reverse('reviews:weekly_new', args=[use_case.pk])}")
    page.locator("#id_active_users").fill("77")
    page.locator("#id_tasks_total").fill("1000")
    checked += check_now(page, "weekly form, live figures (htmx)", errors, problems)
    htmx_swaps = [s for s in swaps if "/sections/" not in s]
    assert any("/portfolio/" in s for s in htmx_swaps), htmx_swaps
    assert any("/preview" in s or "/weekly/" in s for s in htmx_swaps), htmx_swaps

    # The weekly import: the preview after an upload, with errors and then ready.
    header = (
        "week,active_users,tasks_total,tasks_with_ai,reworked_outputs,exceptions,"
        "minutes_saved_per_task,rework_minutes_per_output,quality_score,backlog"
    )
    # The import adds weeks without a review: the demo's two latest weeks are taken out first
    # (the demo reviewed every week up to the last one).
    latest = WeeklyReview.objects.filter(use_case=use_case).order_by("-week_start")[:2]
    w1, w2 = (review.week for review in latest)
    WeeklyReview.objects.filter(use_case=use_case, week__in=[w1, w2]).delete()
    rows = "{},70,1000,800,40,10,3,5,88,90\n{},{},1000,800,40,10,3,5,88,90\n"
    bad, good = tmp_path / "weeks.csv", tmp_path / "weeks-fixed.csv"
    bad.write_text(f"{header}\n" + rows.format(w1, w2, "x"))
    good.write_text(f"{header}\n" + rows.format(w1, w2, 65))
    import_url = f"{base_url}{reverse('reviews:weekly_import', args=[use_case.pk])}"
    for name, upload, shown in (
        ("errors", bad, "#import-errors"),
        ("ready", good, "#import-ready"),
    ):
        page.goto(import_url)
        page.set_input_files("input[type=file]", str(upload))
        page.get_by_role("button", name="Check the file").click()
        expect(page.locator(shown)).to_be_visible()
        checked += check_now(page, f"import preview ({name})", errors, problems)
        page.set_viewport_size({"width": NARROW, "height": 844})
        shot(page, artifacts_dir, f"crawl-390-import-preview-{name}.png")
    context.close()

    # The PMO's overdue tracker: a filter swaps the results.
    context = browser.new_context(viewport={"width": WIDE, "height": 900})
    page = context.new_page()
    errors = watch_console(page)
    log_in(page, base_url, "pia", password=PASSWORDS["pia"])
    page.goto(f"{base_url}{reverse('reviews:overdue')}")
    page.locator("#overdue-results").wait_for()
    select = page.locator("form[hx-get] select").first
    if select.count():
        select.select_option(index=1)
    checked += check_now(page, "overdue filtered (htmx)", errors, problems)
    context.close()

    assert not problems, "\n".join(problems)
    assert checked >= 2 * (1 + len(SECTIONS) + 6), checked
