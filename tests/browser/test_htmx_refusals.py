"""An htmx request answered 4xx shows the server's message and logs no error (issue 16): htmx is
configured (base.html's htmx-config, ``responseHandling``) to swap 400, 403, 409 and 422 in like a
2xx instead of treating them as errors (htmx would log ``htmx:responseError`` on the console and
swap nothing, so the person would see no reaction at all).

The browser itself notes the status line of a request answered 4xx ("Failed to load resource:
the server responded with a status of 400"), as it does for a document; that line names the
request's own URL and is the only one allowed (as in ``test_console_clean``)."""

import datetime
import os

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from stagegates import services
from stagegates.models import Vote
from tests.browser.helpers import BROWSER, frozen_at, log_in
from tests.conftest import make_use_case, make_user

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC)  # the 2026-Q4 gate is open


frozen_today = frozen_at(NOW)


@pytest.fixture
def world(live_server):
    pmo = make_user("pia", "PMO")
    lena = make_user("lena", "Leadership", first_name="Lena", last_name="Chair")
    make_user("leo", "Leadership")
    use_case = make_use_case(name="Invoice matching", owner=make_user("olivia"))
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
    return live_server.url, gate.items.get(use_case=use_case), lena


class Console:
    """Console errors and script errors; the browser's own status line for ``allowed`` URLs
    (answered 4xx on purpose) is left out."""

    def __init__(self, page):
        self.errors: list[tuple[str, str]] = []
        page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append((m.text, m.location.get("url", ""))),
        )
        page.on("pageerror", lambda exc: self.errors.append((f"script error: {exc}", "")))

    def take(self, *, allowed: str = "", status: int = 0) -> list[str]:
        line = f"the server responded with a status of {status}"
        found = [t for t, url in self.errors if not (allowed and url == allowed and line in t)]
        self.errors.clear()
        return found


def test_a_refused_or_invalid_htmx_vote_shows_the_message_and_logs_no_error(
    page, world, artifacts_dir
):
    base_url, item, lena = world
    console = Console(page)
    statuses = []
    page.on("response", lambda r: "/vote/" in r.url and statuses.append(r.status))
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base_url, "lena", f"/gates/items/{item.pk}/")
    page.wait_for_load_state("networkidle")
    vote_url = f"{base_url}/gates/items/{item.pk}/vote/"

    # 400: a vote without its rationale. The form comes back with the field's message.
    page.locator("#voting input[value=redesign]").check()
    page.get_by_role("button", name="Cast vote").click()
    expect(page.locator("#voting .errorlist")).to_contain_text("This field is required.")
    page.wait_for_load_state("networkidle")
    assert statuses == [400]
    assert page.url == f"{base_url}/gates/items/{item.pk}/"  # swapped in place, no navigation
    assert console.take(allowed=vote_url, status=400) == []
    page.locator("#voting").screenshot(path=os.path.join(artifacts_dir, "htmx-400-vote.png"))

    # 403: lena moved from leadership to the PMO while the page was open: she still sees the
    # pack, but may no longer vote. The refusal says so.
    lena.groups.remove(Group.objects.get(name="Leadership"))
    lena.groups.add(Group.objects.get(name="PMO"))
    page.locator("#voting input[value=redesign]").check()
    page.locator("#voting textarea").fill("Rework is too high.")
    page.get_by_role("button", name="Cast vote").click()
    refusal = page.locator(".htmx-refusal")
    expect(refusal).to_contain_text("Not allowed.")
    expect(refusal).to_contain_text("You may not do this on this gate item.")
    expect(page.locator("h1")).to_have_count(1)  # the message alone, not a page in the page
    page.wait_for_load_state("networkidle")
    assert statuses == [400, 403]
    assert console.take(allowed=vote_url, status=403) == []
    assert not Vote.objects.exists()
    page.screenshot(path=os.path.join(artifacts_dir, "htmx-403-vote.png"))
