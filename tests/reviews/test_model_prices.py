"""The model price table: the API (PMO writes, readers of a use case read; field messages) and
the PMO page (add, delete, the unpriced models). Costs use the price effective that day."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from reviews.models import ModelPrice, TelemetryTokens
from reviews.telemetry_figures import token_costs, unpriced_models

pytestmark = pytest.mark.django_db
LIST = "/api/v1/model-prices/"
PAGE = "/reviews/model-prices/"


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


def price(model="gpt-4o", day="2026-11-01", inp="2.5000", out="10.0000", currency="EUR"):
    return ModelPrice.objects.create(
        model=model,
        input_per_million=Decimal(inp),
        output_per_million=Decimal(out),
        currency=currency,
        effective_from=day,
    )


def test_pmo_adds_a_price_with_the_installation_currency_by_default(pmo, settings):
    settings.VALUEGATE_CURRENCY = "CHF"
    body = {
        "model": " gpt-4o ",
        "input_per_million": "2.5",
        "output_per_million": "10",
        "effective_from": "2026-11-01",
    }
    response = api(pmo).post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["currency"] == "CHF"
    assert response.json()["model"] == "gpt-4o"
    again = api(pmo).post(LIST, body, format="json")
    assert again.status_code == 400  # one price per model and day


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input_per_million", "-1"),
        ("output_per_million", "abc"),
        ("currency", "euro"),
        ("currency", "E1R"),
        ("effective_from", "2026-13-01"),
        ("model", "   "),
    ],
)
def test_bad_prices_are_field_messages(pmo, field, value):
    body = {
        "model": "gpt-4o",
        "input_per_million": "2.5",
        "output_per_million": "10",
        "effective_from": "2026-11-01",
        "currency": "EUR",
        field: value,
    }
    response = api(pmo).post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_readers_read_and_cannot_write(owner, contributor, leader, outsider, use_case):
    p = price()
    for user in (owner, contributor, leader):
        assert [row["id"] for row in api(user).get(LIST).json()["results"]] == [p.pk]
        assert (
            api(user).patch(f"{LIST}{p.pk}/", {"currency": "USD"}, format="json").status_code == 403
        )
        assert api(user).delete(f"{LIST}{p.pk}/").status_code == 403
    assert api(outsider).get(LIST).status_code == 403
    assert ModelPrice.objects.get().currency == "EUR"


def test_the_price_effective_each_day_is_used():
    price(day="2026-11-01", inp="1", out="0")
    price(day="2026-11-10", inp="2", out="0")
    price(day="2026-11-10", model="other", inp="100", out="0", currency="USD")
    rows = [
        (datetime.date(2026, 10, 31), "gpt-4o", 1_000_000, 0),  # before any price
        (datetime.date(2026, 11, 9), "gpt-4o", 1_000_000, 0),  # 1.00
        (datetime.date(2026, 11, 10), "gpt-4o", 3_000_000, 0),  # 6.00
        (datetime.date(2026, 11, 10), "other", 10_000, 0),  # 1.00 USD
    ]
    tokens, total, unpriced = token_costs(rows)
    assert total == [
        {"currency": "EUR", "amount": Decimal("7.00")},
        {"currency": "USD", "amount": Decimal("1.00")},
    ]
    assert unpriced == ["gpt-4o"]  # its tokens of 31 October
    gpt = [(t.priced, t.input_tokens, t.cost) for t in tokens if t.model == "gpt-4o"]
    assert gpt == [(True, 4_000_000, Decimal("7.00")), (False, 1_000_000, None)]


def test_unpriced_models_list_tokens_no_price_covers(use_case):
    price(day="2026-11-10")
    for day, model in [("2026-11-09", "gpt-4o"), ("2026-11-12", "gpt-4o"), ("2026-11-12", "x")]:
        TelemetryTokens.objects.create(
            use_case=use_case, day=day, model=model, input_tokens=10, output_tokens=1
        )
    found = {row["model"]: row for row in unpriced_models()}
    assert set(found) == {"gpt-4o", "x"}
    assert found["gpt-4o"]["last_seen"] == datetime.date(2026, 11, 9)
    assert found["gpt-4o"]["input_tokens"] == 10


def test_the_pmo_page_adds_lists_and_deletes(client_for, pmo, use_case):
    TelemetryTokens.objects.create(
        use_case=use_case, day="2026-11-12", model="mistral-large", input_tokens=5, output_tokens=1
    )
    client = client_for(pmo)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "mistral-large" in page.content.decode()
    bad = client.post(PAGE, {"model": "m", "input_per_million": "-1"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    saved = client.post(
        PAGE,
        {
            "model": "mistral-large",
            "input_per_million": "2",
            "output_per_million": "6",
            "currency": "eur",
            "effective_from": "2026-11-01",
        },
    )
    assert saved.status_code == 302
    row = ModelPrice.objects.get()
    assert (row.currency, row.created_by) == ("EUR", pmo)
    assert "Every model seen in telemetry has a price." in client.get(PAGE).content.decode()
    assert client.post(f"/reviews/model-prices/{row.pk}/delete/").status_code == 302
    assert not ModelPrice.objects.exists()
