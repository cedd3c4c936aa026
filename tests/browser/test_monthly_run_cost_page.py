"""The monthly review's run cost from priced tokens, in Chromium at 1440 and 390 px: with an
unpriced model the field stays empty and its note names the model; priced, it is filled in. The
page never scrolls sideways (screenshots in the test artifacts folder)."""

import os
from decimal import Decimal

import time_machine
from django.test import Client

from reviews.ingest_keys import ingest_key_create
from reviews.models import ModelPrice
from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user
from tests.reviews.telemetry_helpers import (
    NOW,
    Recorder,
    add_gpt_prices,
    protobuf_of,
    week48_batches,
)

pytestmark = BROWSER


def test_the_run_cost_is_measured_and_an_unpriced_model_named(page, live_server, artifacts_dir):
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    add_gpt_prices()
    url = f"{live_server.url}/reviews/use-cases/{use_case.pk}/monthly/new/?month=2026-11"
    with time_machine.travel(NOW, tick=True):
        for batch in week48_batches(Recorder()):
            response = Client().generic(
                "POST",
                "/otlp/v1/traces",
                protobuf_of(batch),
                content_type="application/x-protobuf",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            assert response.status_code == 200
        page.set_viewport_size({"width": 1440, "height": 900})
        log_in(page, live_server.url, "olivia")
        page.goto(url)
        assert page.input_value("#id_run_cost") == ""
        note = page.locator("#id_run_cost_measured").inner_text()
        assert note.startswith("measured: priced tokens, 2 models; unpriced: claude-x")
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(
                path=os.path.join(artifacts_dir, f"monthly-run-cost-{width}.png"), full_page=True
            )
        ModelPrice.objects.create(
            model="claude-x",
            input_per_million=Decimal("1000"),
            output_per_million=Decimal("1000"),
            currency="EUR",
            effective_from="2026-11-01",
        )
        page.goto(url)
        assert page.input_value("#id_run_cost") == "3.92"
        assert page.locator("#id_run_cost_measured").inner_text() == (
            "measured: priced tokens, 2 models"
        )
