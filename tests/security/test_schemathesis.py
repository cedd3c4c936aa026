"""schemathesis against the OpenAPI schema at ``/api/v1/schema/``: every operation, with a PMO
token, over seeded data, a bounded number of generated requests each. No response may be a 5xx,
and every response must match the schema (status code documented, content type, body), with all
of schemathesis's other checks on (authentication enforced, unsupported methods refused...).

In-process through the WSGI application (both database backends, part of the normal suite with
``VALUEGATE_FUZZ_EXAMPLES`` fuzzing examples per operation, 5 by default, and a quarter of the
coverage cases); ``make fuzz`` runs this module alone with more.
"""

import datetime
import os
import zlib
from decimal import Decimal

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

from portfolio.wsgi import application
from reviews.models import Flag, FlagKind
from stagegates import services as gate_services
from tests.conftest import api_token, make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory

EXAMPLES = int(os.environ.get("VALUEGATE_FUZZ_EXAMPLES", "5"))
#: Every how many-th coverage case is sent (a deterministic sample spread over all parameters and
#: fields, so the suite stays within its time budget; ``make fuzz`` sends them all).
COVERAGE_EVERY = int(os.environ.get("VALUEGATE_FUZZ_COVERAGE_EVERY", "4"))

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
#: The phases run: "coverage" (values that violate the schema, derived deterministically from it
#: for every parameter and body field: wrong types, out-of-range numbers, broken patterns; its
#: schema-valid cases and its probes of unsupported methods are left to the fuzzing phase, which
#: keeps this test within its budget) and "fuzzing" (``EXAMPLES`` random cases per operation).
PHASES = os.environ.get("VALUEGATE_FUZZ_PHASES", "coverage,fuzzing").split(",")
schema.config.phases.update(phases=PHASES)
schema.config.phases.coverage.generation.modes = [GenerationMode.NEGATIVE]
schema.config.phases.coverage.unexpected_methods = set()
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
        WeeklyReviewFactory(
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
    MonthlyReviewFactory(
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
    if not _sampled(case):
        return
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


def _sampled(case) -> bool:
    """Whether to send ``case``: every fuzzing case, every ``COVERAGE_EVERY``-th coverage case
    (chosen by a hash of what it sends: the same cases on every run)."""
    if case.meta is None or case.meta.phase.name != TestPhase.COVERAGE or COVERAGE_EVERY <= 1:
        return True
    sent = f"{case.method} {case.formatted_path} {case.query!r} {case.body!r}"
    return zlib.crc32(sent.encode("utf-8", "backslashreplace")) % COVERAGE_EVERY == 0


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


@pytest.mark.parametrize("field", ["owner", "business_unit"])
def test_overdue_page_refuses_a_nul_character(field, pmo_token, client):
    """The filter is refused with a message at its field; the page shows every overdue review
    (the value is left out of the filter), never a 500."""
    client.force_login(User.objects.get(username="pia"))
    response = client.get(f"/overdue/?{field}=%00")
    assert response.status_code == 200
    # The owner is a search field (its form's errors); the business unit the tracker's own.
    errors = {**response.context["errors"], **response.context["owner_form"].errors}
    assert errors == {field: ["Null characters are not allowed."]}
    assert getattr(response.context["filter"], field) == ""
    assert "Null characters are not allowed." in response.content.decode()
