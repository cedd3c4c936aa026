"""The evidence pack in a real browser (issue 19): a contributor downloads their use case's pack
from its page, and the PMO prepares the portfolio's on its page (a large portfolio: the task runs
in this process after commit) — at 1440 and 390 px wide, without sideways scrolling, with
screenshots in the test artifacts folder."""

import hashlib
import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import BROWSER, log_in, shot
from tests.browser.test_crawl import axe_violations
from tests.browser.test_dashboard import frozen_today, portfolio  # noqa: F401

pytestmark = BROWSER


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def verified(data: bytes) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    return manifest


@pytest.mark.parametrize("width", [1440, 390])
def test_a_contributor_downloads_the_use_case_pack(
    page,
    portfolio,  # noqa: F811
    artifacts_dir,
    tmp_path,
    width,
):
    base_url, users = portfolio
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, users["contributor"].username)
    page.goto(f"{base_url}/use-cases/")
    page.get_by_role("link", name="Customer-response assistant").first.click()
    link = page.locator("#evidence-pack-download")
    expect(link).to_be_visible()
    assert not scrolls_sideways(page)
    assert axe_violations(page) == []
    shot(page, artifacts_dir, f"evidence-use-case-{width}.png")
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "pack.zip"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("evidence-pack-use-case-")
    manifest = verified(path.read_bytes())
    assert [u["name"] for u in manifest["use_cases"]] == ["Customer-response assistant"]
    assert manifest["generated_by"]["username"] == "carl"


@pytest.mark.parametrize("width", [1440, 390])
def test_the_pmo_prepares_and_downloads_the_portfolio_pack(
    page,
    portfolio,  # noqa: F811
    artifacts_dir,
    tmp_path,
    settings,
    width,
):
    settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES = 2  # the portfolio holds four
    base_url, users = portfolio
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, users["pmo"].username)
    page.goto(f"{base_url}/portfolio/")
    page.locator("#portfolio-evidence-link").click()
    expect(page.get_by_role("heading", name="Evidence pack", exact=True)).to_be_visible()
    # htmx binds the button at DOMContentLoaded: a click before it posts the form as a page,
    # which answers with a message (its markup: the next test), not the swap checked here.
    page.wait_for_load_state("domcontentloaded")
    page.get_by_role("button", name="Prepare the evidence pack").click()
    link = page.locator("#portfolio-evidence-download")
    expect(link).to_be_visible(timeout=60_000)
    assert not scrolls_sideways(page)
    assert axe_violations(page) == []
    shot(page, artifacts_dir, f"evidence-portfolio-{width}.png")
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "portfolio.zip"
    download.value.save_as(path)
    manifest = verified(path.read_bytes())
    assert manifest["scope"] == "portfolio" and len(manifest["use_cases"]) == 4


def test_asked_for_a_pack_not_yet_prepared_the_pmo_is_told_in_a_list(
    page,
    portfolio,  # noqa: F811
    artifacts_dir,
    settings,
):
    """The download link of a large portfolio before its pack is prepared: the page says so in
    its messages, and the messages stay a list for a screen reader (axe's listitem rule: a
    ``role`` on the <ul> itself took its list semantics away). The same list holds "being
    prepared" when the form posts as a page, without htmx."""
    settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES = 2  # the portfolio holds four
    base_url, users = portfolio
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, base_url, users["pmo"].username)
    page.goto(f"{base_url}/reports/evidence/evidence-pack.zip")
    page.wait_for_url(f"{base_url}/reports/evidence/#evidence-pack")
    message = page.get_by_role("status").filter(has_text="prepare its evidence pack first")
    expect(message).to_be_visible()
    expect(message.get_by_role("listitem")).to_have_count(1)
    assert axe_violations(page) == []
    shot(page, artifacts_dir, "evidence-portfolio-not-prepared-390.png")
