"""The searches in a real browser. The use case (usecases/use_case_search.py): on the flags page
typing fills the field's list from the server and the chosen name filters the table through
htmx; the policy page opens the use case typed; a gate's agenda takes the use case typed;
without JavaScript a typed name still filters. The use case form's people
(usecases/person_search.py): a suggestion adds its person to the contributors' list. Screenshots
at 1440 and 390 px, no console error."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from reviews.models import Flag, FlagKind
from stagegates.models import Gate, GateItem
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from usecases.models import UseCase

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)


frozen_today = frozen_at(NOW)


@pytest.fixture
def world(live_server):
    make_user("lena", "Leadership", first_name="Lena", last_name="Leader")
    make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    claims = make_use_case(name="Claims triage", stage="scaled")
    make_use_case(name="Claims intake", stage="pilot")
    make_use_case(name="Invoice matching")
    for use_case, period in ((claims, "2026-W47"), (claims, "2026-W46")):
        Flag.objects.create(
            use_case=use_case,
            kind=FlagKind.STOP_LOSS,
            rule_key=f"rule:{period}",
            period=period,
            explanation=f"Rework exceeds the threshold in {period}.",
        )
    Flag.objects.create(
        use_case=make_use_case(name="Contract summaries"),
        kind=FlagKind.EXCEPTIONS_GROWING,
        rule_key="exceptions_growing",
        period="2026-W47",
        explanation="Exceptions grew week on week.",
    )
    return live_server.url


def signed_in(page, base_url, width=1440) -> list[str]:
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, "pia")
    return errors


def test_the_flags_page_searches_the_use_case_and_filters(page, world, artifacts_dir):
    errors = signed_in(page, world)
    page.goto(f"{world}/reviews/flags/")
    page.evaluate("window.__noReload = true")
    field = page.get_by_label("Use case")
    expect(field).to_have_attribute("type", "search")
    options = page.locator("#id_use_case-options option")
    expect(options).to_have_count(0)  # nothing until asked
    field.click()
    field.press_sequentially("claims")
    expect(options).to_have_count(2)
    assert [options.nth(i).get_attribute("value") for i in range(2)] == [
        "Claims intake",
        "Claims triage",
    ]
    expect(options.nth(1)).to_have_text("Scaled")
    assert page.url == f"{world}/reviews/flags/"  # the search did not change the address
    shot(page, artifacts_dir, "flags-use-case-search-1440.png", full_page=False)
    field.fill("claims TRIAGE")
    field.press("Enter")
    page.wait_for_url(re.compile(r"use_case=claims(\+|%20)TRIAGE"))
    expect(page.locator("#flag-table tbody tr")).to_have_count(2)
    expect(page.locator("#flag-table")).to_contain_text("2 flags")
    assert page.evaluate("window.__noReload") is True

    # A link from the use case page carries the id: the field reads the name.
    claims = Flag.objects.filter(use_case__name="Claims triage").first().use_case
    page.goto(f"{world}/reviews/flags/?use_case={claims.pk}")
    expect(page.get_by_label("Use case")).to_have_value("Claims triage")
    expect(page.locator("#flag-table tbody tr")).to_have_count(2)

    page.goto(f"{world}/reviews/flags/?use_case=Nothing+like+it")
    expect(page.locator("#id_use_case")).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_text("No use case you can choose here is called “Nothing like it”")
    ).to_be_visible()
    expect(page.locator("#flag-table tbody tr")).to_have_count(3)
    shot(page, artifacts_dir, "flags-use-case-refused-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, artifacts_dir, "flags-use-case-refused-390.png")
    assert not errors, errors


def test_the_policy_page_and_a_gate_take_the_use_case_typed(page, world, artifacts_dir):
    errors = signed_in(page, world, width=390)
    page.goto(f"{world}/reviews/policy/")
    field = page.get_by_label("Use case")
    field.click()
    field.press_sequentially("invoice")
    expect(page.locator("#id_use_case-options option")).to_have_count(1)
    shot(page, artifacts_dir, "policy-use-case-search-390.png", full_page=False)
    field.fill("Invoice matching")
    page.get_by_role("button", name="Open its policy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice matching")

    gate = Gate.objects.create(
        quarter="2026-Q4",
        opens_on=datetime.date(2026, 11, 16),
        closes_on=datetime.date(2026, 12, 15),
        chair=make_user("cora", "Leadership"),
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{world}/gates/{gate.pk}/")
    field = page.get_by_label("Add a use case")
    field.click()
    field.press_sequentially("intake")
    expect(page.locator("#id_use_case-options option")).to_have_count(1)
    field.fill("Claims intake")
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_text("Claims intake added to the agenda.")).to_be_visible()
    assert GateItem.objects.filter(gate=gate, use_case__name="Claims intake").exists()
    shot(page, artifacts_dir, "gate-added-by-search-1440.png")
    assert not errors, errors


def test_the_use_case_form_names_people_by_typing(page, world, artifacts_dir):
    make_user("olga", first_name="Olga", last_name="Owner")
    make_user("carl", first_name="Carl", last_name="Contributor")
    make_user("cleo", first_name="Cleo", last_name="Contributor")
    invoices = UseCase.objects.get(name="Invoice matching")
    errors = signed_in(page, world)
    page.goto(f"{world}/use-cases/{invoices.pk}/edit/")
    owner = page.get_by_label("Value owner")
    owner.click()
    owner.press_sequentially("olg")
    owner_options = page.locator("#id_value_owner-options option")
    expect(owner_options).to_have_count(1)
    expect(owner_options).to_have_attribute("value", "olga")
    owner.fill("olga")
    contributors = page.get_by_label("Contributors")
    contributors.click()
    contributors.press_sequentially("carl, contrib")
    found = page.locator("#id_contributors-options option")
    expect(found).to_have_count(1)  # Carl is in the list already: only Cleo is offered
    expect(found).to_have_attribute("value", "carl, cleo")
    expect(found).to_have_text("Cleo Contributor (cleo)")
    shot(page, artifacts_dir, "use-case-form-people-1440.png", full_page=False)
    contributors.fill("carl, cleo")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice matching")
    invoices.refresh_from_db()
    assert invoices.value_owner.username == "olga"
    assert sorted(u.username for u in invoices.contributors.all()) == ["carl", "cleo"]
    page.goto(f"{world}/use-cases/{invoices.pk}/edit/")
    expect(page.get_by_label("Contributors")).to_have_value("carl, cleo")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Contributors").fill("carl, nobody")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Nobody who can be chosen here is called “nobody”.")).to_be_visible()
    shot(page, artifacts_dir, "use-case-form-people-refused-390.png")
    assert not errors, errors


def test_a_typed_name_filters_the_flags_without_javascript(browser, world, artifacts_dir):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, world, "lena")
    page.goto(f"{world}/reviews/flags/")
    page.fill("#id_use_case", "contract summaries")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"use_case=contract\+summaries"))
    expect(page.locator("#flag-table tbody tr")).to_have_count(1)
    shot(page, artifacts_dir, "flags-use-case-no-js-390.png")
    context.close()
