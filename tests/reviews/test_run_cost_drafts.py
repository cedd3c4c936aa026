"""The monthly review's run cost pre-filled from the month's priced tokens (spans sent through
the real OTLP endpoint), and never pre-filled as if complete when a model is unpriced."""

import re
from decimal import Decimal

import pytest
import time_machine

from reviews.ingest_keys import ingest_key_create
from reviews.models import ModelPrice

from .telemetry_helpers import (
    DRAFT_STATUS,
    NOW,
    Recorder,
    add_gpt_prices,
    protobuf_of,
    week48_batches,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def november(client, use_case, owner):
    """W48's spans (and E1 of Sunday 22 November): all in November 2026."""
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    for batch in week48_batches(Recorder()):
        response = client.generic(
            "POST",
            "/otlp/v1/traces",
            protobuf_of(batch),
            content_type="application/x-protobuf",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200
    return use_case


def monthly_page(client, use_case, month="2026-11") -> str:
    page = client.get(f"/reviews/use-cases/{use_case.pk}/monthly/new/?month={month}")
    assert page.status_code == 200
    return page.content.decode()


def run_cost_input(html: str) -> str:
    return re.search(r'<input[^>]*name="run_cost"[^>]*>', html)[0]


def test_an_unpriced_model_is_named_and_the_run_cost_is_not_pre_filled(november, owner, client_for):
    add_gpt_prices()  # gpt-4o priced; claude-x (1,515 tokens) is not
    html = monthly_page(client_for(owner), november)
    # gpt-4o by hand: A 0.80 + B 1.60 + E1 (7 in, 7 out at 2.5 / 10) 0.0000875 → 2.40 EUR.
    assert (
        "measured: priced tokens, 2 models; unpriced: claude-x — not pre-filled, the priced "
        "tokens come to 2.40 EUR without them"
    ) in html
    assert "value=" not in run_cost_input(html)


def test_the_month_s_priced_tokens_fill_the_run_cost(november, owner, client_for):
    add_gpt_prices()
    ModelPrice.objects.create(
        model="claude-x",
        input_per_million=Decimal("1000"),
        output_per_million=Decimal("1000"),
        currency="EUR",
        effective_from="2026-11-01",
    )
    html = monthly_page(client_for(owner), november)
    # 2.40 + claude-x 1,515 × 1000 / 1e6 = 1.515 + E1 0.0000875 = 3.9150875 → 3.92 (rounded once).
    assert 'value="3.92"' in run_cost_input(html)
    assert "measured: priced tokens, 2 models</p>" in html
    assert "unpriced" not in html


def test_no_tokens_that_month_no_mark(november, owner, client_for):
    add_gpt_prices()
    html = monthly_page(client_for(owner), november, month="2026-10")
    assert "measured:" not in html
    assert "value=" not in run_cost_input(html)


def test_tokens_priced_in_another_currency_are_not_pre_filled(november, owner, client_for):
    for model in ("gpt-4o", "claude-x"):
        ModelPrice.objects.create(
            model=model,
            input_per_million=Decimal("1"),
            output_per_million=Decimal("1"),
            currency="USD",
            effective_from="2026-11-01",
        )
    html = monthly_page(client_for(owner), november)
    assert "the review is in EUR — not pre-filled" in html
    assert "value=" not in run_cost_input(html)


# --- the monthly draft in the API ---------------------------------------------------------------

DRAFT = "/api/v1/monthly-reviews/draft/"


def api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_the_api_draft_carries_the_run_cost_only_when_complete(november, owner):
    add_gpt_prices()
    response = api(owner).get(DRAFT, {"use_case": november.pk, "month": "2026-11"})
    assert response.status_code == 200, response.content
    draft = response.json()
    assert draft["body"] == {"use_case": november.pk, "month": "2026-11"}
    assert draft["run_cost"]["value"] is None
    assert draft["run_cost"]["unpriced_models"] == ["claude-x"]
    assert draft["run_cost"]["priced"] == [{"currency": "EUR", "amount": "2.40"}]
    assert "unpriced: claude-x" in draft["run_cost"]["note"]

    ModelPrice.objects.create(
        model="claude-x",
        input_per_million=Decimal("1000"),
        output_per_million=Decimal("1000"),
        currency="EUR",
        effective_from="2026-11-01",
    )
    draft = api(owner).get(DRAFT, {"use_case": november.pk, "month": "2026-11"}).json()
    assert draft["body"]["run_cost"] == draft["run_cost"]["value"] == "3.92"
    assert draft["run_cost"]["note"] == "measured: priced tokens, 2 models"


STATUS = DRAFT_STATUS


@pytest.mark.parametrize("role", sorted(STATUS))
def test_the_api_draft_per_role(role, role_users, use_case):
    user = None if role == "anonymous" else role_users[role]
    response = api(user).get(DRAFT, {"use_case": use_case.pk, "month": "2026-11"})
    assert response.status_code == STATUS[role]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"month": "2026-11"}, "use_case"),
        ({"month": "2026-13"}, "month"),
        ({"month": "x"}, "month"),
    ],
)
def test_bad_api_draft_queries_are_field_messages(owner, use_case, query, field):
    response = api(owner).get(
        DRAFT, {"use_case": use_case.pk, **query} if field != "use_case" else query
    )
    assert response.status_code == 400
    assert field in response.json()
