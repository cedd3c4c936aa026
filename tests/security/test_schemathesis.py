"""schemathesis against the OpenAPI schema at ``/api/v1/schema/``: every operation, with a PMO
token, over seeded data, a bounded number of generated requests each. No response may be a 5xx,
and every response must match the schema (status code documented, content type, body), with all
of schemathesis's other checks on (authentication enforced, unsupported methods refused...).

In-process through the WSGI application (both database backends, part of the normal suite with
``VALUEGATE_FUZZ_EXAMPLES`` examples per operation, 10 by default); ``make fuzz`` runs this module
alone with more.
"""

import datetime
import os
from decimal import Decimal

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from portfolio.wsgi import application
from reviews.models import Flag, FlagKind, MonthlyReview, WeeklyReview
from stagegates import services as gate_services
from tests.conftest import api_token, make_use_case, make_user

EXAMPLES = int(os.environ.get("VALUEGATE_FUZZ_EXAMPLES", "10"))

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
#: The token of the running test (``pmo_token`` sets it; schemathesis also asks at collection).
CURRENT: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # a token per test: never reuse one from an earlier test
class PmoToken:
    """Every generated request carries the PMO's token."""

    def get(self, case, context):
        return CURRENT.get("token")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@pytest.fixture
def wsgi_in_test_transaction():
    """schemathesis calls the WSGI application itself, whose ``request_finished`` closes the
    database connection — and with it the test's transaction on PostgreSQL. Django's test client
    disconnects that handler for its requests; so do we, for the test's."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def pmo_token(db, settings, wsgi_in_test_transaction):
    """A PMO's token over a small portfolio: use cases, reviews, a flag, a gate with items."""
    settings.AXES_ENABLED = False  # the token endpoint is fuzzed too: no lockout mid-run
    owner, pmo = make_user("olivia"), make_user("pia", "PMO")
    leader = make_user("lena", "Leadership")
    use_case = make_use_case(owner=owner, live_since=datetime.date(2026, 6, 1))
    make_use_case("Invoice matching", owner=owner, business_unit="Finance")
    for week in ("2026-W44", "2026-W45", "2026-W46"):
        WeeklyReview.objects.create(
            use_case=use_case,
            week=week,
            active_users=70,
            target_users=100,
            tasks_total=1000,
            tasks_with_ai=800,
            reworked_outputs=60,
            exceptions=20,
            minutes_saved_per_task=Decimal("3"),
            rework_minutes_per_output=Decimal("5"),
            quality_score=Decimal("85"),
            backlog=40,
        )
    MonthlyReview.objects.create(
        use_case=use_case,
        month="2026-10",
        training_cost=Decimal("100"),
        support_cost=Decimal("200"),
        integration_cost=Decimal("0"),
        run_cost=Decimal("900"),
        maintenance_cost=Decimal("300"),
        other_cost=Decimal("0"),
    )
    Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.STOP_LOSS,
        rule_key="rule:fuzz",
        period="2026-W46",
        observed_value=Decimal("0.2"),
        threshold=Decimal("0.15"),
        explanation="Rework rate 20.0% exceeds 15.0%.",
    )
    gate_services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": leader,
        },
    )
    CURRENT["token"] = api_token(pmo)
    yield CURRENT["token"]
    CURRENT.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_and_matches_its_schema(case, pmo_token):
    excluded = [
        # "Schema-valid" is not "valid": an unknown username or use case id, a wrong password, a
        # week in the future pass the schema and are rightly refused with a 400.
        checks.positive_data_acceptance,
        # django-filter ignores an empty filter value (``?stage=``, ``?open=null``) rather than
        # refusing it: lenient on purpose, not a hole.
        checks.negative_data_rejection,
    ]
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        # An id that is no integer (``0.5``) matches no API route: Django's own HTML 404 answers,
        # not the operation (schemathesis itself ignores such cases for its auth check).
        excluded.append(checks.content_type_conformance)
    case.call_and_validate(excluded_checks=excluded)


@pytest.mark.parametrize(
    "url",
    [
        # A "%" in a week or month filter went into a format string: 500 (fixed in
        # reviews/filters.py: the message takes the input as a parameter).
        "/api/v1/monthly-reviews/?month=%25T",
        "/api/v1/weekly-reviews/?week=100%25-W1",
        # A NUL character reached PostgreSQL, which refuses it: 500 (reviews/cadence.py).
        "/api/v1/overdue-reviews/?owner=%00",
        "/api/v1/overdue-reviews/?business_unit=a%00b",
    ],
)
def test_what_the_fuzzer_found_stays_fixed(url, pmo_token, client):
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {pmo_token}")
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize(
    ("url", "body"),
    [  # A username with a NUL character (usecases.serializers.UsernameField).
        ("/api/v1/use-cases/", {"name": "X", "business_unit": "B", "value_owner": "pia\x00"}),
        ("/api/v1/use-cases/", {"name": "X", "business_unit": "B", "contributors": ["\x00"]}),
        (
            "/api/v1/gates/",
            {
                "quarter": "2027-Q1",
                "opens_on": "2027-03-01",
                "closes_on": "2027-03-12",
                "chair": "\x00",
            },
        ),
    ],
)
def test_a_nul_character_is_a_400_not_a_database_error(url, body, pmo_token, client):
    response = client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {pmo_token}"
    )
    assert response.status_code == 400
    (field,) = {"value_owner", "contributors", "chair"} & set(body)
    assert field in response.json()


def test_overdue_page_refuses_a_nul_character(pmo_token, client):
    client.force_login(User.objects.get(username="pia"))
    response = client.get("/overdue/?owner=%00")
    assert response.status_code in {200, 400}  # the page shows the filter's error, never a 500
