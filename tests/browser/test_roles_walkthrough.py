"""A walk through the demo portfolio as each role: log in, land on My work, visit the pages the role
uses and check that every one answers 200 without a script error; the pages a role may not open
answer 403. Every page is saved as a screenshot (``walkthrough-<role>-<page>.png``) in the test
artifacts folder, to be looked at."""

import os
import re

import pytest
from django.urls import reverse

from portfolio.demo import USERS, seed_demo
from reviews.sweep import sweep_portfolio
from stagegates.models import GateItem
from stagegates.services import gate_ensure_for_quarter
from tests.browser.helpers import BROWSER, log_in
from tests.use_case_sections import load_sections_in_browser
from usecases.models import UseCase

pytestmark = BROWSER

PASSWORDS = {user.username: user.password for user in USERS}
ROLES = {"owner": "olivia", "contributor": "carl", "leader": "lena", "pmo": "pia", "admin": "admin"}


@pytest.fixture
def demo(live_server):
    seed_demo()
    sweep_portfolio()  # raises the flags the demo's data deserves
    gate, _ = gate_ensure_for_quarter()
    use_case = UseCase.objects.get(name="Customer-response assistant")
    item = GateItem.objects.filter(gate=gate).order_by("pk").first()
    return live_server.url, use_case, gate, item


def pages_for(role, use_case, gate, item):
    """(slug, path) of the pages ``role`` uses, and the paths it must be refused."""
    uc = use_case.pk
    common = [
        ("use-case-list", reverse("usecases:list")),
        ("use-case", reverse("usecases:detail", args=[uc])),
        ("dashboard", reverse("portfolio:dashboard")),
        ("cfo-report", reverse("portfolio:cfo_report")),
        ("gates", reverse("stagegates:list")),
        ("gate", reverse("stagegates:detail", args=[gate.pk])),
        ("flags", reverse("reviews:flags")),
        ("inbox", reverse("usecases:inbox")),
    ]
    if item is not None:
        common.append(("gate-item", reverse("stagegates:item", args=[item.pk])))
    submit = [
        ("weekly-form", reverse("reviews:weekly_new", args=[uc])),
        ("monthly-form", reverse("reviews:monthly_new", args=[uc])),
        ("import", reverse("reviews:weekly_import", args=[uc])),
    ]
    pmo = [
        ("use-case-new", reverse("usecases:create")),
        ("policy", reverse("reviews:policy")),
        ("overdue", reverse("reviews:overdue")),
    ]
    refused = {
        "owner": [reverse("reviews:overdue"), reverse("usecases:create")],
        "contributor": [reverse("reviews:overdue"), reverse("usecases:edit", args=[uc])],
        "leader": [reverse("reviews:weekly_new", args=[uc]), reverse("reviews:overdue")],
        "pmo": [reverse("reviews:weekly_new", args=[uc])],  # the PMO imports, never submits
        "admin": [],
    }[role]
    pages = {
        "owner": common + submit + [("business-case", f"/use-cases/{uc}/business-case/edit/")],
        "contributor": common + submit,
        "leader": common,
        "pmo": common
        + pmo
        + [
            ("use-case-edit", reverse("usecases:edit", args=[uc])),
            ("import", reverse("reviews:weekly_import", args=[uc])),
        ],
        "admin": common + submit + pmo + [("admin", reverse("admin:index"))],
    }[role]
    return pages, refused


@pytest.mark.parametrize("role", ROLES)
def test_walkthrough(role, page, demo, artifacts_dir):
    base_url, use_case, gate, item = demo
    username = ROLES[role]
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "favicon" not in msg.text
            and "404" not in msg.text
            and problems.append(f"console: {msg.text}")
        ),
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    log_in(page, base_url, username, password=PASSWORDS[username])
    assert page.locator("h1").first.is_visible()
    assert "My work" in page.content()
    page.screenshot(
        path=os.path.join(artifacts_dir, f"walkthrough-{role}-my-work.png"), full_page=True
    )

    pages, refused = pages_for(role, use_case, gate, item)
    for slug, path in pages:
        response = page.goto(f"{base_url}{path}")
        assert response.status == 200, (role, path, response.status)
        if slug == "use-case":  # its sections load as they scroll into view (issue 16)
            load_sections_in_browser(page)
        html = page.content()
        assert not re.search(r"Server Error|Traceback|TemplateSyntaxError", html), (role, path)
        page.screenshot(
            path=os.path.join(artifacts_dir, f"walkthrough-{role}-{slug}.png"), full_page=True
        )
        if slug == "use-case":  # a long page: each panel on its own too, readable at full size
            for section in page.locator("main section[id]").all():
                name = section.get_attribute("id")
                section.screenshot(
                    path=os.path.join(artifacts_dir, f"walkthrough-{role}-{slug}-{name}.png")
                )
    assert problems == [], problems
    for path in refused:  # (the browser logs each 403 as a console error: expected here)
        response = page.goto(f"{base_url}{path}")
        assert response.status == 403, (role, path, response.status)
