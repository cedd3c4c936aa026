"""The gate pack PDF (issue 19): ``stagegates.pack_pdf``, its pages and its API routes.

Figures (as test_snapshots.py): one weekly review and one monthly review a month in the quarter
2026-08..2026-10 of ``use_case``: net value −1,300 a month, −3,900 the quarter. The PDFs are read
back with pypdf; each figure is looked for to the cent, as the web pack page prints it.
"""

import datetime
import io
import re
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from reviews import services as review_services
from reviews.models import MonthlyReview
from stagegates import pack_charts, pack_pdf, selectors, services, voting
from stagegates.models import GateItem
from tests.conftest import api_token, make_use_case
from tests.stagegates.test_snapshots import WEEK_DATA, fill_quarter
from usecases.models import ModelChange
from usecases.templatetags.money import money

from .helpers import NOW, TODAY, item_of, stop_loss_flag

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, whitespace runs made single spaces."""
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def web_figures(pack) -> list[str]:
    """The quarter's CFO figures as the web pack page prints them (``money`` filter)."""
    f = pack.figures
    return [
        money(v) for v in (f.gross_efficiency, f.absorption_cost, f.net_value, f.translation_gap)
    ]


@pytest.fixture
def filled(voting_gate, use_case):
    fill_quarter(use_case)
    stop_loss_flag(use_case)
    return item_of(voting_gate, use_case)


# --- figures --------------------------------------------------------------------------------------


def test_the_item_pdf_holds_the_web_packs_figures_to_the_cent(filled, pmo, client):
    text = pdf_text(pack_pdf.render_item_pdf(filled, viewer=pmo))
    pack = selectors.item_pack(user=pmo, item=filled).pack
    # the figures the pack computes, as the web page shows them
    page = client
    page.force_login(pmo)
    html = page.get(reverse("stagegates:item", args=[filled.pk])).content.decode()
    for figure in web_figures(pack):
        assert figure in html
        assert figure in text
    # and what they are (test_snapshots.py): −1,300 a month, −3,900 the quarter
    assert "Net value −EUR 3,900.00" in text
    assert text.count("−EUR 1,300.00") == 3
    assert "2026-08 EUR 3,150.00 EUR 1,575.00 EUR 2,875.00 −EUR 1,300.00 yes" in text
    for row in pack.waterfall_rows:
        assert f"{row.label} {money(row.amount)}" in text
    for s in pack.scenarios:
        assert money(s.quarter_net) in text
    assert "System recommendation: Redesign" in text
    assert "Stop-loss breach (2026-W46" in text
    assert "Stop-loss: above 15.0%" in text  # the threshold line on the rework chart
    assert "Scale is blocked while these conditions hold" in text


def test_the_gate_pdf_has_a_cover_with_the_agenda_then_a_section_per_item(
    filled, voting_gate, other_use_case, pmo
):
    data = pack_pdf.render_gate_pdf(voting_gate, viewer=pmo)
    text = pdf_text(data)
    cover = pdf_text_of_page(data, 0)
    assert "Gate 2026-Q4" in cover
    assert "Agenda and decisions so far" in cover
    assert "1 Customer-response assistant Rollout Redesign −EUR 3,900.00 1" in cover
    assert "2 Invoice matching Rollout Hold EUR 0.00 0" in cover
    assert "1. Customer-response assistant" in text
    assert "2. Invoice matching" in text
    assert text.index("1. Customer-response") < text.index("2. Invoice matching")


def test_every_page_stays_inside_its_margins(filled, voting_gate, other_use_case, pmo, tmp_path):
    """Drawn by pdftoppm: no ink right of the page's 14 mm right margin (the cover's agenda table
    once ran to the paper's edge: cell padding on top of column widths adding up to 100 %)."""
    import subprocess

    from PIL import Image

    pdf = tmp_path / "gate.pdf"
    pdf.write_bytes(pack_pdf.render_gate_pdf(voting_gate, viewer=pmo))
    subprocess.run(["pdftoppm", "-png", "-r", "72", str(pdf), str(tmp_path / "page")], check=True)
    drawn = sorted(tmp_path.glob("page-*.png"))
    assert len(drawn) == pages(pdf.read_bytes())
    for png in drawn:
        image = Image.open(png).convert("L")
        right_margin = round(14 / 25.4 * 72)  # 14 mm at 72 dpi
        strip = image.crop((image.width - right_margin + 2, 0, image.width, image.height))
        assert strip.getextrema()[0] >= 250, f"{png.name}: ink in the right margin"


def pdf_text_of_page(data: bytes, index: int) -> str:
    page = PdfReader(io.BytesIO(data)).pages[index]
    return re.sub(r"\s+", " ", page.extract_text())


def test_a_closed_gate_renders_from_its_frozen_snapshot(filled, voting_gate, pmo, owner):
    services.gate_close(user=pmo, gate=voting_gate)
    # after closing: a new week, a corrected month (test_snapshots.py: live quarter −2,700…)
    review_services.weekly_review_submit(
        user=owner, use_case=filled.use_case, week="2026-W43", data=WEEK_DATA
    )
    review = MonthlyReview.objects.get(use_case=filled.use_case, month="2026-10")
    review_services.monthly_review_correct(
        user=owner, review=review, data={"run_cost": D("200")}, expected_version=review.version
    )
    live = selectors.item_pack(user=pmo, item=filled, live=True).pack
    assert live.figures.net_value != D("-3900")  # the live figures did move

    item = GateItem.objects.get(pk=filled.pk)
    for data in (
        pack_pdf.render_item_pdf(item, viewer=pmo),
        pack_pdf.render_gate_pdf(voting_gate, viewer=pmo),
    ):
        text = pdf_text(data)
        assert "Frozen at closing" in text
        assert "Net value −EUR 3,900.00" in text
        assert money(live.figures.net_value) not in text


# --- blind voting ---------------------------------------------------------------------------------


@pytest.fixture
def one_vote(filled, leader):
    voting.vote_cast(user=leader, item=filled, choice="stop", rationale="Rework eats the value.")
    return filled


def test_blind_voting_holds_in_the_pdf(one_vote, voting_gate, leader, leader2, pmo, owner):
    # leader2 has not voted: no vote, no count, no rationale, in either PDF
    for data in (
        pack_pdf.render_item_pdf(one_vote, viewer=leader2),
        pack_pdf.render_gate_pdf(voting_gate, viewer=leader2),
    ):
        text = pdf_text(data)
        assert "Rework eats the value" not in text
        assert "Stop 1" not in text
        assert "Lena Leader: Stop" not in text  # (she chairs: her name is on the cover)
        assert "shown once you have cast yours" in text or "shown once you vote" in text
    # the PMO and the value owner do not vote: nothing until the gate closes
    for viewer in (pmo, owner):
        text = pdf_text(pack_pdf.render_item_pdf(one_vote, viewer=viewer))
        assert "Rework eats the value" not in text
        assert "Votes are shown after the gate closes" in text
    # the member who voted sees the votes
    text = pdf_text(pack_pdf.render_item_pdf(one_vote, viewer=leader))
    assert "Lena Leader: Stop — Rework eats the value." in text
    assert "Stop 1" in text
    # once leader2 votes, they see both
    voting.vote_cast(user=leader2, item=one_vote, choice="hold", rationale="Wait a quarter.")
    text = pdf_text(pack_pdf.render_gate_pdf(voting_gate, viewer=leader2))
    assert "Lena Leader: Stop — Rework eats the value." in text
    assert "Hold 1 · Stop 1" in text


def test_after_closing_leadership_sees_the_votes_and_the_value_owner_the_outcome(
    one_vote, voting_gate, leader, leader2, pmo, owner
):
    voting.vote_cast(user=leader2, item=one_vote, choice="stop", rationale="Agreed.")
    services.gate_close(user=pmo, gate=voting_gate)
    item = GateItem.objects.get(pk=one_vote.pk)
    for viewer in (pmo, leader):
        text = pdf_text(pack_pdf.render_item_pdf(item, viewer=viewer))
        assert "Lena Leader: Stop — Rework eats the value." in text
        assert "Vote outcome: Stop" in text
    text = pdf_text(pack_pdf.render_item_pdf(item, viewer=owner))
    assert "Rework eats the value" not in text
    assert "Individual votes are shown to leadership and the PMO" in text
    assert "Vote outcome: Stop" in text


# --- pages and API: permissions per role ----------------------------------------------------------


ROLES = {
    # role: (item of use_case, item of other_use_case, gate)
    "owner": (200, 200, 200),
    "contributor": (200, 404, 200),
    "leader_voted": (200, 200, 200),
    "leader_not_voted": (200, 200, 200),
    "pmo": (200, 200, 200),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_who_gets_which_pdf(
    role, one_vote, voting_gate, other_use_case, owner, contributor, leader, leader2, pmo, outsider
):
    users = {
        "owner": owner,
        "contributor": contributor,
        "leader_voted": leader,
        "leader_not_voted": leader2,
        "pmo": pmo,
        "outsider": outsider,
    }
    user = users[role]
    other = item_of(voting_gate, other_use_case)
    expected = dict(zip(("mine", "other", "gate"), ROLES[role], strict=True))
    client = api(user)
    urls = {
        "mine": f"/api/v1/gate-items/{one_vote.pk}/pack.pdf",
        "other": f"/api/v1/gate-items/{other.pk}/pack.pdf",
        "gate": f"/api/v1/gates/{voting_gate.pk}/pack.pdf",
    }
    for key, url in urls.items():
        response = client.get(url)
        assert response.status_code == expected[key], (key, response.content[:200])
        if expected[key] == 200:
            assert response["Content-Type"] == "application/pdf"
            text = pdf_text(response.content)
            assert ("Rework eats the value" in text) == (role == "leader_voted" and key != "other")
    if expected["gate"] == 200 and role == "contributor":
        text = pdf_text(client.get(urls["gate"]).content)
        assert "Customer-response assistant" in text
        assert "Invoice matching" not in text  # only the items they may see


@pytest.mark.parametrize("role", ["contributor", "outsider", "leader_not_voted"])
def test_the_web_pdf_routes_follow_the_pack_pages(
    role, one_vote, voting_gate, other_use_case, contributor, outsider, leader2, client
):
    user = {"contributor": contributor, "outsider": outsider, "leader_not_voted": leader2}[role]
    client.force_login(user)
    other = item_of(voting_gate, other_use_case)
    for name, pk in (("item", one_vote.pk), ("item", other.pk), ("detail", voting_gate.pk)):
        page = client.get(reverse(f"stagegates:{name}", args=[pk]))
        pdf = client.get(
            reverse(f"stagegates:{'gate' if name == 'detail' else 'item'}_pdf", args=[pk])
        )
        assert pdf.status_code == page.status_code  # the same 200 or 404 as the page
        if pdf.status_code == 200:
            assert pdf["Content-Type"] == "application/pdf"
            assert "Rework eats the value" not in pdf_text(pdf.content)


def test_anonymous_is_sent_to_log_in_and_the_api_answers_401(one_vote, voting_gate, client):
    response = client.get(reverse("stagegates:item_pdf", args=[one_vote.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]
    response = APIClient().get(f"/api/v1/gates/{voting_gate.pk}/pack.pdf")
    assert response.status_code == 401


def test_the_gate_and_item_pages_link_their_pdf(filled, voting_gate, leader, client):
    client.force_login(leader)
    html = client.get(voting_gate.get_absolute_url()).content.decode()
    assert reverse("stagegates:gate_pdf", args=[voting_gate.pk]) in html
    html = client.get(reverse("stagegates:item", args=[filled.pk])).content.decode()
    assert reverse("stagegates:item_pdf", args=[filled.pk]) in html


# --- charts, fetching -----------------------------------------------------------------------------


def test_the_charts_are_vector_graphics_drawn_from_the_pack(filled, pmo):
    line = selectors.item_pack(user=pmo, item=filled)
    source = pack_pdf.item_pdf_source(filled, viewer=pmo)
    assert len(source.charts) == 1 + 4  # the waterfall, four KPIs
    assert all(c.startswith(b"<svg") for c in source.charts.values())
    assert source.html.count('<img src="/charts/') == 5
    svg = pack_charts.waterfall_chart(line.pack.waterfall)
    assert "Pilot promise" in svg and "−EUR 3,900.00" in svg
    rework = pack_charts.kpi_chart(
        line.pack.trend, line.pack.thresholds, "rework_rate", "Rework rate", True
    )
    assert 'stroke-dasharray="4 3"' in rework  # the threshold line
    assert "Stop-loss: above 15.0%" in rework
    # no raster image anywhere in the PDF
    reader = PdfReader(io.BytesIO(pack_pdf.render_item_pdf(filled, viewer=pmo)))
    assert not any(page.images for page in reader.pages)


def test_model_changes_are_marked_on_the_trend_and_a_frozen_pack_keeps_its_own(
    filled, voting_gate, pmo
):
    ModelChange.objects.create(
        use_case=filled.use_case,
        version_label="gpt-x-0901",
        kind="model",
        effective_date=TODAY.replace(month=9, day=2),
    )
    html = pack_pdf.item_pdf_source(filled, viewer=pmo).text
    assert "gpt-x-0901" in html
    services.gate_close(user=pmo, gate=voting_gate)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        ModelChange.objects.create(
            use_case=filled.use_case,
            version_label="logged-later",
            kind="prompt",
            effective_date=TODAY.replace(month=9, day=20),
        )
    html = pack_pdf.item_pdf_source(GateItem.objects.get(pk=filled.pk), viewer=pmo).text
    assert "gpt-x-0901" in html
    assert "logged-later" not in html


def test_only_our_static_files_are_fetched():
    fetcher = pack_pdf.StaticOnlyFetcher()
    css = fetcher.fetch(pack_pdf.PDF_ORIGIN + "/static/css/pack_pdf.css")
    assert b"@page" in css.read()
    for url in (
        "https://example.com/static/css/pack_pdf.css",
        "file:///etc/passwd",
        pack_pdf.PDF_ORIGIN + "/static/../../etc/passwd",
        pack_pdf.PDF_ORIGIN + "/media/x.png",
        "data:text/css,body{}",
        "http://127.0.0.1:8000/static/css/pack_pdf.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_pdf_that_names_a_foreign_url_still_renders_without_fetching_it(monkeypatch):
    fetched = []
    original = pack_pdf.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pack_pdf.StaticOnlyFetcher, "fetch", spy)
    data = pack_pdf.html_to_pdf(
        '<link rel="stylesheet" href="/static/css/pack_pdf.css">'
        '<img src="https://example.com/x.png"><p>Hello</p>'
    )
    assert "Hello" in pdf_text(data)
    assert fetched == [
        pack_pdf.PDF_ORIGIN + "/static/css/pack_pdf.css",
        "https://example.com/x.png",  # asked, refused (ValueError), nothing fetched
    ]


def test_an_empty_agenda_still_makes_a_cover(pmo, leader):
    from .helpers import create_gate

    gate = create_gate(pmo, leader)  # no use case in rollout: nothing on the agenda
    text = pdf_text(pack_pdf.render_gate_pdf(gate, viewer=pmo))
    assert "No use case on the agenda" in text


def test_forty_items_render_in_a_fixed_number_of_queries(voting_gate, pmo, leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pack_pdf.gate_pdf_source(voting_gate, viewer=pmo)  # caches warm (content types)
    with CaptureQueriesContext(connection) as two:
        pack_pdf.gate_pdf_source(voting_gate, viewer=pmo)
    for n in range(38):
        uc = make_use_case(f"Use case {n:02d}")
        GateItem.objects.create(gate=voting_gate, use_case=uc, reasons="test")
    with CaptureQueriesContext(connection) as forty:
        html = pack_pdf.gate_pdf_source(voting_gate, viewer=pmo).html
    assert html.count('class="item item-break"') == 40
    assert len(forty.captured_queries) == len(two.captured_queries)


def test_the_stylesheet_is_fetched_under_the_production_manifest_storage(settings, tmp_path):
    """``make bench`` (production settings) found the PDF without its stylesheet: the fetcher
    asked the manifest storage for the URL of "" (no such entry). Collect the static files with
    the production storage and fetch the hashed stylesheet the template names."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.templatetags.static import static

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "portfolio.staticfiles.ManifestStaticFilesStorage"},
    }
    staticfiles_storage._setup()  # the lazy storage follows the settings it was set up with
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        url = static(pack_pdf.STYLESHEET)
        assert re.search(r"pack_pdf\.[0-9a-f]{12}\.css$", url)
        css = pack_pdf.StaticOnlyFetcher().fetch(pack_pdf.PDF_ORIGIN + url)
        assert b"@page" in css.read()
    finally:
        del settings.STORAGES  # (pytest-django restores it; the storage must follow)
        staticfiles_storage._setup()
