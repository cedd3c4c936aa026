"""Property-based: whatever a client sends, the answer is never a 5xx (issue 13, MEDIUM).

- arbitrary JSON (any nesting; huge, tiny and infinite numbers such as ``1e400``; strings with
  lone surrogates, as keys too) as the body of every write operation of the API (taken from its
  OpenAPI schema, so a new endpoint is covered without touching this file);
- a valid body with one field replaced by an arbitrary value, for every field of the review,
  model change and stop-loss rule bodies (periods, choices, numbers, ids);
- arbitrary text in every field of the review forms and their htmx previews, and in the period
  query parameters of the lists, pages and reports (``?week=``, ``?month=``, ``?start=``,
  ``?end=``).

Hypothesis runs a bounded number of examples (``VALUEGATE_PROPERTY_EXAMPLES``, default 60 per
test) with a fixed seed (``derandomize``), so the suite stays fast and a failure reproduces.
"""

import datetime
import json
import os
import re
import zoneinfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from reviews.models import Flag, FlagKind
from tests.api.conftest import make_monthly, make_weekly, monthly_payload, weekly_payload
from tests.conftest import api_token, make_use_case
from tests.reviews.test_views_weekly import VALID as WEEKLY_FORM
from usecases.models import ModelChange

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("VALUEGATE_PROPERTY_EXAMPLES", "60"))
NOW = datetime.datetime(2026, 11, 25, 10, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ----------------------------------------------------------------------------------

#: Any string, lone surrogates included; written as JSON it uses \\u escapes.
ANY_TEXT = st.text(max_size=30)
#: Text a browser can send (a form is UTF-8 encoded: no lone surrogates).
FORM_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
#: Text shaped like periods and numbers, in any digits, to reach past the first check.
PERIODISH = st.from_regex(r"\A[0-9０-９٠-٩]{1,5}-?[Ww]?[0-9０-９٠-٩]{0,3}\Z")
NUMBERISH = st.sampled_from(
    ["1e400", "-1e400", "1e-400", "9" * 30, "-1", "0", "1.5", "NaN", "Infinity", "٣", "²", " 2"]
)
JSON_SCALAR = st.one_of(
    st.just("null"),
    st.booleans().map(json.dumps),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from(["1e400", "-1e400", "1e-400", "123456789012345678901234567890"]),
    ANY_TEXT.map(json.dumps),
    PERIODISH.map(json.dumps),
)
#: JSON text (built as text, so that ``1e400`` stays as the client wrote it).
JSON_TEXT = st.recursive(
    JSON_SCALAR,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.dictionaries(ANY_TEXT.map(json.dumps), children, max_size=4).map(
            lambda members: "{" + ",".join(f"{k}:{v}" for k, v in members.items()) + "}"
        ),
    ),
    max_leaves=12,
)
FIELD_VALUE = st.one_of(
    JSON_SCALAR, NUMBERISH.map(json.dumps), NUMBERISH, PERIODISH.map(json.dumps), JSON_TEXT
)


# --- the portfolio -------------------------------------------------------------------------------


@pytest.fixture
def world(owner, pmo, admin_user, use_case, other_use_case, settings):
    """Reviews, a change, a flag and a gate to aim at; an API client per writing role."""
    settings.AXES_ENABLED = False  # auth/token/ is a write operation too
    with time_machine.travel(NOW, tick=False):
        weekly = make_weekly(use_case, "2026-W46")
        monthly = make_monthly(use_case, "2026-10")
        change = ModelChange.objects.create(
            use_case=use_case, version_label="v1", kind="model", effective_date=NOW.date()
        )
        Flag.objects.create(
            use_case=use_case,
            kind=FlagKind.STOP_LOSS,
            rule_key="rule:x",
            period="2026-W46",
            explanation="Rework rate above 15%.",
        )
        make_use_case("Claims triage", owner=owner)
        clients = {}
        for role, user in (("owner", owner), ("pmo", pmo), ("admin", admin_user)):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
            client.raise_request_exception = False
            clients[role] = client
        yield {
            "clients": clients,
            "use_case": use_case,
            "weekly": weekly,
            "monthly": monthly,
            "change": change,
        }


def write_operations(client) -> list[tuple[str, str]]:
    """(method, path) of every POST/PUT/PATCH of the API schema, ``{id}`` filled with an id of
    the collection (or 1)."""
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = []
    for path, methods in schema["paths"].items():
        for method in ("post", "put", "patch"):
            if method not in methods:
                continue
            concrete = path
            if "{" in path:
                collection = path.split("{", 1)[0]
                response = client.get(collection)
                listed = response.json() if response["Content-Type"] == "application/json" else []
                rows = listed.get("results", listed) if isinstance(listed, dict) else listed
                pk = rows[0]["id"] if isinstance(rows, list) and rows else 1
                concrete = re.sub(r"\{[^}]+\}", str(pk), path)
            operations.append((method, concrete))
    return operations


def _assert_no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code, response.content[:500])


# --- the API -------------------------------------------------------------------------------------


def test_every_write_operation_is_found(world):
    operations = write_operations(world["clients"]["admin"])
    paths = {path for _method, path in operations}
    assert "/api/v1/weekly-reviews/" in paths
    assert f"/api/v1/weekly-reviews/{world['weekly'].pk}/" in paths
    assert "/api/v1/stop-loss-rules/" in paths
    assert len(operations) >= 15


@PROPERTY
@given(data=st.data())
def test_arbitrary_json_to_any_write_operation(world, data):
    with time_machine.travel(NOW, tick=False):
        operations = world.setdefault("operations", write_operations(world["clients"]["admin"]))
        method, path = data.draw(st.sampled_from(operations), label="operation")
        user = data.draw(st.sampled_from(sorted(world["clients"])), label="user")
        body = data.draw(JSON_TEXT, label="body")
        client = world["clients"][user]
        response = getattr(client, method)(path, body, content_type="application/json")
        _assert_no_server_error(response, (method, path, body))


def _valid_bodies(world) -> dict[str, tuple[str, str, dict]]:
    use_case, weekly, monthly = world["use_case"], world["weekly"], world["monthly"]
    return {
        "weekly": ("post", "/api/v1/weekly-reviews/", weekly_payload(use_case, "2026-W47")),
        "monthly": ("post", "/api/v1/monthly-reviews/", monthly_payload(use_case, "2026-11")),
        "weekly-patch": (
            "patch",
            f"/api/v1/weekly-reviews/{weekly.pk}/",
            {"version": 1, "active_users": 71, "model_version": world["change"].pk},
        ),
        "monthly-patch": (
            "patch",
            f"/api/v1/monthly-reviews/{monthly.pk}/",
            {"version": 1, "run_cost": "10.00"},
        ),
        "change": (
            "post",
            "/api/v1/model-changes/",
            {
                "use_case": use_case.pk,
                "version_label": "v2",
                "kind": "prompt",
                "effective_date": "2026-11-20",
            },
        ),
        "rule": (
            "post",
            "/api/v1/stop-loss-rules/",
            {
                "use_case": use_case.pk,
                "metric": "rework_rate",
                "comparison": "exceeds",
                "threshold": "0.2",
                "consecutive_weeks": 2,
                "grace_weeks": 1,
                "action": "flag_only",
            },
        ),
    }


@PROPERTY
@given(data=st.data())
def test_any_value_in_any_field_of_a_valid_body(world, data):
    with time_machine.travel(NOW, tick=False):
        bodies = _valid_bodies(world)
        name = data.draw(st.sampled_from(sorted(bodies)), label="body")
        method, path, body = bodies[name]
        field = data.draw(st.sampled_from(sorted(body)), label="field")
        raw = data.draw(FIELD_VALUE, label="value")
        rest = {k: v for k, v in body.items() if k != field}
        text = json.dumps(rest)[:-1] + f', "{field}": {raw}}}'
        client = world["clients"]["pmo" if name == "rule" else "admin"]
        response = getattr(client, method)(path, text, content_type="application/json")
        _assert_no_server_error(response, (name, field, raw))


# --- the pages -----------------------------------------------------------------------------------

MONTHLY_FORM = {
    "month": "2026-11",
    "training_cost": "1",
    "support_cost": "1",
    "integration_cost": "1",
    "run_cost": "1",
    "maintenance_cost": "1",
    "other_cost": "1",
    "notes": "",
}


@PROPERTY
@given(data=st.data())
def test_any_text_in_any_field_of_the_review_forms(world, data, client, admin_user):
    client.force_login(admin_user)
    client.raise_request_exception = False
    use_case, weekly = world["use_case"], world["weekly"]
    forms = {
        "weekly_new": (f"/reviews/use-cases/{use_case.pk}/weekly/new/", WEEKLY_FORM),
        "weekly_preview": (f"/reviews/use-cases/{use_case.pk}/weekly/preview/", WEEKLY_FORM),
        "weekly_edit_preview": (f"/reviews/weekly/{weekly.pk}/preview/", WEEKLY_FORM),
        "monthly_new": (f"/reviews/use-cases/{use_case.pk}/monthly/new/", MONTHLY_FORM),
        "monthly_preview": (f"/reviews/use-cases/{use_case.pk}/monthly/preview/", MONTHLY_FORM),
    }
    with time_machine.travel(NOW, tick=False):
        name = data.draw(st.sampled_from(sorted(forms)), label="form")
        url, valid = forms[name]
        field = data.draw(st.sampled_from(sorted(valid)), label="field")
        value = data.draw(st.one_of(FORM_TEXT, PERIODISH, NUMBERISH), label="value")
        headers = {"HTTP_HX_REQUEST": "true"} if "preview" in name else {}
        response = client.post(url, {**valid, field: value}, **headers)
        _assert_no_server_error(response, (name, field, value))


@PROPERTY
@given(data=st.data())
def test_any_text_in_a_period_query_parameter(world, data, client, admin_user):
    client.force_login(admin_user)
    client.raise_request_exception = False
    api = world["clients"]["admin"]
    use_case = world["use_case"]
    targets = [
        (api, "/api/v1/weekly-reviews/", "week"),
        (api, "/api/v1/monthly-reviews/", "month"),
        (api, f"/api/v1/use-cases/{use_case.pk}/economics/", "start"),
        (api, f"/api/v1/use-cases/{use_case.pk}/economics/", "end"),
        (api, "/api/v1/weekly-reviews/", "use_case"),
        (api, "/api/v1/stop-loss-rules/", "use_case"),
        (api, "/api/v1/model-changes/", "use_case"),
        (client, "/portfolio/", "start"),
        (client, "/portfolio/", "end"),
        (client, "/reports/cfo/", "start"),
        (client, "/reports/cfo/", "end"),
        (client, "/reports/cfo/export/", "end"),
        (client, f"/use-cases/{use_case.pk}/", "start"),
        (client, f"/use-cases/{use_case.pk}/", "end"),
        (client, f"/reviews/use-cases/{use_case.pk}/weekly/new/", "week"),
    ]
    with time_machine.travel(NOW, tick=False):
        who, url, name = data.draw(st.sampled_from(targets), label="target")
        value = data.draw(st.one_of(FORM_TEXT, PERIODISH, NUMBERISH), label="value")
        response = who.get(url, {name: value})
        _assert_no_server_error(response, (url, name, value))
