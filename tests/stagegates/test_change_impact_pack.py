"""The gate pack shows each model/prompt change since the quarter began with its impact (the
use case page's selector, ``reviews.change_impact``): on the pack page, in the PDF (rendered
from the pack), frozen at closing, in a fixed number of queries for 1 and 5 changes."""

import datetime
import io
import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from stagegates import gatepack, pack_pdf, selectors, services
from stagegates.models import GateItem
from tests.factories import ModelChangeFactory, WeeklyReviewFactory
from tests.reviews.impact_helpers import EFFECTIVE, HAND, impact_weeks, write_weeks

from .helpers import item_of

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_pack_holds_each_change_with_its_impact(gate, leader, use_case):
    ModelChangeFactory(
        use_case=use_case, version_label="old", effective_date=datetime.date(2026, 7, 1)
    )
    impact_weeks(use_case)
    pack = selectors.item_pack(user=leader, item=item_of(gate, use_case)).pack
    # The quarter is 2026-08..2026-10: the July change is before it and not listed.
    assert [c.version_label for c in pack.changes] == ["gpt-4.1"]
    impact = pack.changes[0].impact
    assert impact.ready
    found = {m.key: (m.before, m.after) for m in impact.metrics}
    places = __import__("decimal").Decimal("1E-20")
    for key, (before, after) in HAND.items():
        assert found[key][0].quantize(places) == before.quantize(places), key
        assert found[key][1].quantize(places) == after.quantize(places), key


def test_the_pack_page_and_its_pdf_show_the_table(gate, pmo, use_case, client, artifacts_dir):
    impact_weeks(use_case)
    item = item_of(gate, use_case)
    client.force_login(pmo)
    html = client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    assert 'id="changes"' in html
    for text in ("65.0%", "85.0%", "+20.0 pp", "+6.0", "EUR 4.125"):
        assert text in html, text
    data = pack_pdf.render_item_pdf(item, viewer=pmo)
    with open(os.path.join(artifacts_dir, "change-impact-pack.pdf"), "wb") as f:
        f.write(data)  # to look at (pdftoppm)
    text = pdf_text(data)
    assert "Model and prompt changes and their impact" in text
    for shown in ("gpt-4.1", "65.0%", "85.0%", "+20.0 pp", "Gross efficiency per task"):
        assert shown in text, shown


def test_not_enough_weeks_in_the_pack(gate, pmo, use_case):
    write_weeks(use_case, {"2026-W44": (70, 700, 105, 30, "4", "84")})
    ModelChangeFactory(use_case=use_case, effective_date=datetime.date(2026, 11, 23))
    source = pack_pdf.item_pdf_source(item_of(gate, use_case), viewer=pmo)
    assert "Not enough weeks yet: 0 reviewed weeks since 2026-W48, 2 needed." in source.html


def test_a_closed_gate_keeps_the_impact_it_showed(voting_gate, pmo, use_case):
    impact_weeks(use_case)
    services.gate_close(user=pmo, gate=voting_gate)
    # After closing, a later review changes the live impact, not the frozen one.
    WeeklyReviewFactory(use_case=use_case, week="2026-W48", active_users=10)
    item = GateItem.objects.get(pk=item_of(voting_gate, use_case).pk)
    frozen = selectors.item_pack(user=pmo, item=item).pack
    live = selectors.item_pack(user=pmo, item=item, live=True).pack
    adoption = {c.version_label: c.impact.metrics[0] for c in frozen.changes}["gpt-4.1"]
    assert adoption.after == HAND["adoption_rate"][1]
    assert live.changes[0].impact.metrics[0].after != adoption.after
    assert "+20.0 pp" in pack_pdf.item_pdf_source(item, viewer=pmo).html


def test_queries_are_the_same_for_one_and_five_changes(gate, leader, use_case, other_use_case):
    def count():
        items = selectors.gate_items(user=leader, gate=gate)
        with CaptureQueriesContext(connection) as ctx:
            packs = gatepack.build_packs(items, gate, detail=True)
        return len(ctx.captured_queries), packs

    write_weeks(use_case)
    ModelChangeFactory(use_case=use_case, version_label="a", effective_date=EFFECTIVE)
    one, _ = count()
    for i in range(4):
        ModelChangeFactory(
            use_case=use_case,
            version_label=f"b{i}",
            effective_date=EFFECTIVE - datetime.timedelta(days=7 * (i + 1)),
        )
    five, packs = count()
    assert one == five
    assert sum(len(p.changes) for p in packs.values()) == 5
