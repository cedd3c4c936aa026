"""My work, the portfolio dashboard and the CFO report in a real browser: landing after login per
role, the waterfall chart drawn, filters and sorting swapping the table through htmx (no reload),
the same filters without JavaScript, and the CSV/XLSX downloads opened and compared with the page.
Every page is saved as a screenshot in the test artifacts folder."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from reviews.models import Flag, FlagKind
from stagegates.models import Gate, GateItem, GateStatus
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases.models import Funding, Stage

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # Wednesday of 2026-W48


def signed_in(page, base_url: str, username: str, *, width: int = 1280) -> list[str]:
    """``page`` signed in as ``username``, ``width`` px wide; the console errors it logs from
    now on (a list the test asserts empty at its end)."""
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, username)
    return errors


frozen_today = frozen_at(NOW)


def week(use_case, label, **fields):
    values = dict(
        active_users=70,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=700,
        reworked_outputs=60,
        exceptions=20,
        minutes_saved_per_task=Decimal("3.0"),
        rework_minutes_per_output=Decimal("6.0"),
        quality_score=Decimal("88"),
        backlog=100,
    )
    values.update(fields)
    WeeklyReviewFactory(use_case=use_case, week=label, **values)


def month(use_case, label, **fields):
    values = dict(
        training_cost=Decimal("200"),
        support_cost=Decimal("350"),
        integration_cost=Decimal("0"),
        run_cost=Decimal("420"),
        maintenance_cost=Decimal("150"),
        other_cost=Decimal("0"),
    )
    values.update(fields)
    MonthlyReviewFactory(use_case=use_case, month=label, **values)


@pytest.fixture
def portfolio(live_server):
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    other = make_user("oscar", first_name="Oscar", last_name="Other")
    contributor = make_user("carl", first_name="Carl", last_name="Contributor")
    leader = make_user("lena", "Leadership", first_name="Lena", last_name="Leader")
    pmo = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    assistant = make_use_case(owner=owner)
    assistant.contributors.add(contributor)
    invoices = make_use_case(
        name="Invoice matching",
        owner=other,
        business_unit="Finance",
        stage=Stage.SCALED,
        funding_status=Funding.FUNDED,
        scaled_on=datetime.date(2026, 7, 1),
    )
    claims = make_use_case(name="Claims triage", owner=other, business_unit="Finance")
    make_use_case(name="Contract summaries", business_unit="Legal", stage=Stage.PILOT)
    for label in ("2026-W32", "2026-W36", "2026-W40", "2026-W44", "2026-W46", "2026-W47"):
        week(assistant, label, active_users=55, minutes_saved_per_task=Decimal("1.2"))
        week(invoices, label, tasks_with_ai=900, minutes_saved_per_task=Decimal("4.5"))
        week(claims, label, reworked_outputs=150)
    for label in ("2026-07", "2026-08", "2026-09", "2026-10"):
        month(assistant, label)
        month(invoices, label, run_cost=Decimal("900"))
        month(claims, label, integration_cost=Decimal("2500"))
    Flag.objects.create(
        use_case=claims,
        kind=FlagKind.STOP_LOSS,
        rule_key="rule:1",
        period="2026-W47",
        explanation="Rework 21.4% exceeds the 15.0% threshold in 2026-W47.",
    )
    gate = Gate.objects.create(
        quarter="2026-Q4",
        opens_on=datetime.date(2026, 10, 1),
        closes_on=datetime.date(2026, 12, 15),
        chair=leader,
        status=GateStatus.VOTING,
    )
    GateItem.objects.create(gate=gate, use_case=claims, reasons="Open stop-loss flag")
    users = {"owner": owner, "contributor": contributor, "leader": leader, "pmo": pmo}
    return live_server.url, users


def csp_errors(errors):
    return [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def table_names(page):
    return page.locator("#dashboard-table tbody tr td:first-child a").all_inner_texts()


@pytest.mark.parametrize(
    "role, expected",
    [
        ("owner", "Reviews of your use cases"),
        ("contributor", "Reviews of your use cases"),
        ("leader", "Gates to vote on"),
        ("pmo", "Overdue reviews to chase"),
    ],
)
def test_each_role_lands_on_my_work(page, portfolio, artifacts_dir, role, expected):
    base_url, users = portfolio
    errors = signed_in(page, base_url, users[role].username)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(expected))).to_be_visible()
    if role in ("owner", "contributor"):
        link = page.get_by_role("link", name="Submit weekly review").first
        expect(link).to_have_attribute("href", re.compile(r"/weekly/new/\?week=2026-W4[0-9]"))
    if role == "leader":
        expect(page.get_by_text("Claims triage")).to_be_visible()
        expect(page.get_by_role("link", name="Read the pack and vote")).to_be_visible()
    if role == "pmo":
        expect(page.get_by_text("Rework 21.4% exceeds the 15.0% threshold")).to_be_visible()
    shot(page, artifacts_dir, f"mywork-{role}.png")
    assert not csp_errors(errors), errors


def test_dashboard_filters_sort_and_chart(page, portfolio, artifacts_dir):
    base_url, users = portfolio
    errors = signed_in(page, base_url, users["pmo"].username)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.wait_for_url(f"{base_url}/portfolio/")
    expect(page.get_by_role("heading", name="Portfolio dashboard")).to_be_visible()
    expect(page.locator("#waterfall-chart-box")).to_be_visible()
    # Chart.js drew the waterfall: the canvas has coloured pixels.
    page.wait_for_function(
        """() => {
            const c = document.getElementById('waterfall-chart');
            if (!c || !c.width) return false;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; }
            return false;
        }"""
    )
    assert table_names(page) == [
        "Claims triage",
        "Contract summaries",
        "Customer-response assistant",
        "Invoice matching",
    ]
    shot(page, artifacts_dir, "dashboard.png")

    # Filtering swaps the table through htmx: no reload (the marker survives), URL updated.
    page.evaluate("window.__noReload = true")
    page.select_option("#id_business_unit", "Finance")
    page.wait_for_url(re.compile(r"business_unit=Finance"))
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(2)
    page.select_option("#id_flags", "open")
    page.wait_for_url(re.compile(r"flags=open"))
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(1)
    assert table_names(page) == ["Claims triage"]
    assert page.evaluate("window.__noReload") is True
    shot(page, artifacts_dir, "dashboard-filtered.png")

    # Sorting by a column header, still without a reload; the filters stay.
    page.select_option("#id_flags", "")
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(2)
    page.locator("#dashboard-table th a", has_text="Net value").click()
    page.wait_for_url(re.compile(r"sort=net_value"))
    expect(page.locator("#dashboard-table th[aria-sort=ascending]")).to_have_text("Net value")
    assert table_names(page) == ["Claims triage", "Invoice matching"]
    page.locator("#dashboard-table th a", has_text="Net value").click()
    page.wait_for_url(re.compile(r"sort=-net_value"))
    expect(page.locator("#dashboard-table tbody tr").first).to_contain_text("Invoice matching")
    expect(page.locator("#id_sort")).to_have_value("-net_value")
    assert "business_unit=Finance" in page.url
    assert page.evaluate("window.__noReload") is True

    # The URL is shareable: opening it renders the same view.
    page.goto(page.url)
    assert table_names(page) == ["Invoice matching", "Claims triage"]
    expect(page.locator("#id_business_unit")).to_have_value("Finance")
    assert not csp_errors(errors), errors


def test_dashboard_filters_work_without_javascript(browser, portfolio, artifacts_dir):
    base_url, users = portfolio
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    log_in(page, base_url, users["leader"].username)
    page.goto(f"{base_url}/portfolio/")
    expect(page.locator("#waterfall-chart-box")).to_be_hidden()  # the table carries the figures
    page.select_option("#id_stage", "scaled")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"stage=scaled"))
    assert table_names(page) == ["Invoice matching"]
    page.fill("#range-start", "2026-07")
    page.fill("#range-end", "2026-09")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"start=2026-07&end=2026-09"))
    assert "stage=scaled" in page.url
    expect(page.get_by_text("Jul 2026 – Sep 2026").first).to_be_visible()
    shot(page, artifacts_dir, "dashboard-no-js.png")
    context.close()


def test_the_value_owner_is_searched_not_listed(page, portfolio, artifacts_dir):
    """The owner filter is a search field: typing fills its datalist from the server (owners of
    the use cases the user may see), the chosen username filters the table through htmx, and an
    unknown name is reported at the field."""
    base_url, users = portfolio
    errors = signed_in(page, base_url, users["pmo"].username)
    page.goto(f"{base_url}/portfolio/")
    page.evaluate("window.__noReload = true")
    owner = page.get_by_label("Value owner")
    expect(owner).to_have_attribute("type", "search")
    expect(page.locator("#id_owner-options option")).to_have_count(0)  # nothing until asked
    owner.click()
    owner.press_sequentially("osc")
    expect(page.locator("#id_owner-options option")).to_have_count(1)
    expect(page.locator("#id_owner-options option")).to_have_attribute("value", "oscar")
    expect(page.locator("#id_owner-options option")).to_have_text("Oscar Other (oscar)")
    assert page.url == f"{base_url}/portfolio/"  # the search did not change the address
    shot(page, artifacts_dir, "dashboard-owner-search.png", full_page=False)
    owner.fill("oscar")
    owner.press("Enter")
    page.wait_for_url(re.compile(r"owner=oscar"))
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(2)
    assert table_names(page) == ["Claims triage", "Invoice matching"]
    assert page.evaluate("window.__noReload") is True

    page.goto(f"{base_url}/portfolio/?owner=Nobody+Else")
    expect(page.locator("#id_owner")).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_text("No use case you can see has the value owner “Nobody Else”")
    ).to_be_visible()
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(4)
    # The table does not claim to match a filter it did not apply, and says which it did not.
    status = page.locator("#dashboard-table .table-status")
    expect(status).to_contain_text("4 use cases · not filtered by value owner")
    expect(status).not_to_contain_text("match")
    page.set_viewport_size({"width": 1440, "height": 900})
    shot(page, artifacts_dir, "dashboard-owner-refused-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, artifacts_dir, "dashboard-owner-refused-390.png")
    assert not errors, errors


def test_a_filter_error_leaves_the_button_on_the_inputs_line(page, portfolio, artifacts_dir):
    """A refused filter value's message hangs below its input: the labels stay in line and the
    Filter button stays beside the inputs, not at the bottom of the message."""
    base_url, users = portfolio
    errors = signed_in(page, base_url, users["pmo"].username, width=1440)
    page.goto(f"{base_url}/reviews/flags/?kind=not-a-kind")
    expect(page.locator(".filters .errorlist")).to_contain_text("not-a-kind")
    button = page.locator(".filters").get_by_role("button", name="Filter").bounding_box()
    tops = set()
    for name in ("Use case", "Kind", "Status"):
        box = page.locator(".filters").get_by_label(name).bounding_box()
        tops.add(round(box["y"]))
        assert box["x"] < button["x"], (name, box, button)  # one line: the button ends it
        assert abs(button["y"] + button["height"] / 2 - box["y"] - box["height"] / 2) <= 3, (
            name,
            box,
            button,
        )
    assert len(tops) == 1, tops
    shot(page, artifacts_dir, "flags-refused-kind-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, artifacts_dir, "flags-refused-kind-390.png")
    assert not errors, errors


def test_the_value_owner_by_full_name_without_javascript(browser, portfolio, artifacts_dir):
    base_url, users = portfolio
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, base_url, users["leader"].username)
    page.goto(f"{base_url}/portfolio/")
    page.fill("#id_owner", "olivia owner")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"owner=olivia\+owner"))
    assert table_names(page) == ["Customer-response assistant"]
    shot(page, artifacts_dir, "dashboard-owner-no-js-390.png")
    context.close()


def money_text(value) -> str:
    d = Decimal(str(value)).quantize(Decimal("0.01"))
    sign = "−" if d < 0 else ""
    return f"{sign}EUR {abs(d):,.2f}"


def test_cfo_report_downloads_match_the_page(page, portfolio, artifacts_dir):
    base_url, users = portfolio
    errors = signed_in(page, base_url, users["owner"].username)
    page.get_by_role("link", name="CFO report", exact=True).first.click()
    page.wait_for_url(f"{base_url}/reports/cfo/")
    expect(page.get_by_role("heading", name="CFO report")).to_be_visible()
    shot(page, artifacts_dir, "cfo-report.png")

    def cell(table_id, row_attr, value, column):
        row = page.locator(f"#{table_id} tbody tr[{row_attr}='{value}']")
        return row.locator("td.num").nth(column).inner_text()

    page_net = {
        name: page.locator(
            f"#report-use-case tbody tr:has(a:text-is('{name}')) td.net-value"
        ).inner_text()
        for name in ("Claims triage", "Customer-response assistant", "Invoice matching")
    }
    total_net = page.locator("#report-use-case tfoot td.net-value").inner_text()

    with page.expect_download() as info:
        page.locator("#download-csv").click()
    download = info.value
    assert download.suggested_filename == "cfo-report-use-case-2026-08_2026-10.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    by_name = {r["use_case"]: r for r in rows}
    for name, text in page_net.items():
        assert money_text(by_name[name]["net_value"]) == text
        assert by_name[name]["currency"] == "EUR"
    assert set(by_name) == {
        "Claims triage",
        "Contract summaries",
        "Customer-response assistant",
        "Invoice matching",
    }

    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    download = info.value
    assert download.suggested_filename == "cfo-report-2026-08_2026-10.xlsx"
    data = Path(download.path()).read_bytes()
    # Totals are SUM formulas; their cached values are what a viewer that does not calculate
    # shows, and what is compared with the page below.
    formulas = openpyxl.load_workbook(io.BytesIO(data))["By use case"]
    assert formulas.cell(formulas.max_row, 7).value == f"=SUM(G2:G{formulas.max_row - 1})"
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    sheet = book["By use case"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    net_col = header.index("Net value")
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[1] in page_net:
            assert isinstance(row[net_col], (int, float))
            assert money_text(row[net_col]) == page_net[row[1]]
        if row[1] == "Total":
            assert money_text(row[net_col]) == total_net
    months = book["By month"]
    page_month = page.locator("#report-month tbody tr[data-month='2026-09'] td.net-value")
    sep = next(
        r
        for r in months.iter_rows(min_row=2, values_only=True)
        if isinstance(r[0], datetime.datetime) and r[0].month == 9
    )
    assert money_text(sep[3]) == page_month.inner_text()
    ninety = page.locator("#report-ninety-days tbody tr").first
    expect(ninety).to_contain_text("Invoice matching")
    expect(ninety).to_contain_text("Complete")
    (scaled_row,) = list(book["90 days at scale"].iter_rows(min_row=2, values_only=True))
    assert money_text(scaled_row[-1]) == ninety.locator("td.net-value").inner_text()
    assert cell("report-month", "data-month", "2026-09", 2) == page_month.inner_text()
    assert not csp_errors(errors), errors


def test_a_large_portfolio_pages_through_htmx_and_without_it(page, live_server, artifacts_dir):
    """60 use cases: the table shows 50, "Next →" swaps in the other 10 through htmx with the
    sort kept and the URL pushed; the total covers all 60; the CFO report pages its lines."""
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    for i in range(60):
        uc = make_use_case(name=f"Use case {i:02d}", stage=Stage.SCALED if i % 2 else Stage.ROLLOUT)
        week(uc, "2026-W40", tasks_with_ai=100 + i * 10)
        month(uc, "2026-10")
    base_url = live_server.url
    log_in(page, base_url, "pia")
    page.goto(f"{base_url}/portfolio/?sort=-net_value")
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(50)
    expect(page.locator(".table-status")).to_contain_text("60 use cases · showing 1–50")
    expect(page.locator("#dashboard-table tfoot")).to_contain_text("Total of all 60 use cases")
    first_row = page.locator("#dashboard-table tbody tr").first
    expect(first_row).to_contain_text("Use case 59")  # the most tasks with AI
    shot(page, artifacts_dir, "dashboard-paged.png")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#dashboard-table tbody tr")).to_have_count(10)
    expect(page.locator(".table-status")).to_contain_text("showing 51–60")
    expect(page.locator("#dashboard-table tbody tr").last).to_contain_text("Use case 00")
    assert "page=2" in page.url and "sort=-net_value" in page.url
    expect(page.locator("h1")).to_have_text("Portfolio dashboard")  # swapped, not reloaded
    shot(page, artifacts_dir, "dashboard-paged-2.png")
    page.goto(f"{base_url}/reports/cfo/?start=2026-10&end=2026-10")
    expect(page.locator("#report-use-case tbody tr")).to_have_count(50)
    page.get_by_role("navigation", name="Pages of the use case lines").get_by_role(
        "link", name="Next →"
    ).click()
    expect(page.locator("#report-use-case tbody tr")).to_have_count(10)
    shot(page, artifacts_dir, "cfo-report-paged-2.png")
    assert errors == []
