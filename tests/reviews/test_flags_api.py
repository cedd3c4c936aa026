"""REST API: ``flags/`` (list, filters, resolve) and ``stop-loss-rules/`` (PMO writes)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reviews.models import Flag, FlagKind, Metric, StopLossRule
from tests.conftest import api_token, make_use_case

from .stoploss_helpers import default_rule, make_rule
from .test_flag_views import make_flag

pytestmark = pytest.mark.django_db

FLAGS = "/api/v1/flags/"
RULES = "/api/v1/stop-loss-rules/"


@pytest.fixture
def api_for(role_users):
    def make(role):
        client = APIClient()
        if role != "anonymous":
            client.force_login(role_users[role])
        return client

    return make


@pytest.fixture
def flags(use_case, other_use_case):
    return {
        "mine": make_flag(use_case),
        "other": make_flag(other_use_case, kind=FlagKind.EXCEPTIONS_GROWING, period="2026-W46"),
    }


def ids(response):
    return {row["id"] for row in response.json()["results"]}


VISIBLE = {
    "owner": {"mine", "other"},
    "other_owner": {"mine", "other"},
    "contributor": {"mine"},
    "leader": {"mine", "other"},
    "pmo": {"mine", "other"},
    "admin": {"mine", "other"},
    "outsider": set(),
}


def test_anonymous_is_refused(api_for, flags):
    client = api_for("anonymous")
    assert client.get(FLAGS).status_code == 401
    assert client.post(f"{FLAGS}{flags['mine'].pk}/resolve/", {"note": "x"}).status_code in (
        401,
        403,
    )
    assert client.get(RULES).status_code == 401
    assert Flag.objects.get(pk=flags["mine"].pk).is_open


@pytest.mark.parametrize("role", VISIBLE)
def test_list_and_retrieve_per_role(role, api_for, flags):
    client = api_for(role)
    response = client.get(FLAGS)
    assert response.status_code == 200
    assert ids(response) == {flags[name].pk for name in VISIBLE[role]}
    for name, flag in flags.items():
        detail = client.get(f"{FLAGS}{flag.pk}/")
        assert detail.status_code == (200 if name in VISIBLE[role] else 404)


def test_flag_fields(api_for, flags, use_case):
    row = api_for("pmo").get(f"{FLAGS}{flags['mine'].pk}/").json()
    assert row == {
        "id": flags["mine"].pk,
        "use_case": use_case.pk,
        "use_case_name": use_case.name,
        "kind": "stop_loss",
        "kind_label": "Stop-loss breach",
        "rule": None,
        "rule_key": "rule:2026-W47",
        "period": "2026-W47",
        "observed_value": "0.1900",
        "threshold": "0.1500",
        "explanation": flags["mine"].explanation,
        "triggered_by": "",
        "raised_at": row["raised_at"],
        "is_open": True,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_note": "",
        "resolution_kind": "",
        "withdrawn_by_correction": False,
        "withdrawn_at": None,
        "withdrawal_note": "",
        "historical": False,
    }


def test_filters(api_for, flags, use_case):
    client = api_for("pmo")
    resolved = make_flag(use_case, period="2026-W45", resolved_at="2026-11-20T10:00:00Z")
    assert ids(client.get(FLAGS, {"use_case": use_case.pk})) == {flags["mine"].pk, resolved.pk}
    assert ids(client.get(FLAGS, {"kind": "exceptions_growing"})) == {flags["other"].pk}
    assert ids(client.get(FLAGS, {"open": "true"})) == {flags["mine"].pk, flags["other"].pk}
    assert ids(client.get(FLAGS, {"open": "false"})) == {resolved.pk}
    assert client.get(FLAGS, {"kind": "nonsense"}).status_code == 400


@pytest.mark.parametrize("value", ["maybe", "yes", "１", "true\x00"])
def test_an_unknown_status_is_400_at_the_field(api_for, flags, value):
    """``open`` used to ignore what it did not understand and list every flag."""
    response = api_for("pmo").get(FLAGS, {"open": value})
    assert response.status_code == 400
    assert list(response.json()) == ["open"]


def test_list_query_count_is_constant(api_for, owner, pmo):
    client = api_for("pmo")
    make_flag(make_use_case("First", owner=owner))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(FLAGS).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    one = count()
    for i in range(10):
        uc = make_use_case(f"Flagged {i}", owner=owner)
        make_flag(uc, resolved_by=pmo, resolved_at="2026-11-20T10:00:00Z", resolution_note="ok")
    many = count()
    assert len(many) == len(one), "\n".join(many)


# --- resolve -----------------------------------------------------------------------------------

RESOLVE_DENIED = {
    "owner": 403,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("role", RESOLVE_DENIED)
def test_resolve_is_pmo_only(role, api_for, flags):
    response = api_for(role).post(
        f"{FLAGS}{flags['mine'].pk}/resolve/", {"note": "done"}, format="json"
    )
    assert response.status_code == RESOLVE_DENIED[role]
    assert Flag.objects.get(pk=flags["mine"].pk).is_open


@pytest.mark.parametrize("role", ["pmo", "admin"])
def test_pmo_resolves_with_a_note(role, api_for, role_users, flags):
    url = f"{FLAGS}{flags['mine'].pk}/resolve/"
    response = api_for(role).post(url, {"note": "Explained at the gate."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["is_open"] is False
    assert body["resolved_by"] == role_users[role].username
    assert body["resolution_note"] == "Explained at the gate."
    again = api_for(role).post(url, {"note": "Twice?"}, format="json")
    assert again.status_code == 400
    assert "already resolved" in str(again.json())
    assert Flag.objects.get(pk=flags["mine"].pk).resolution_note == "Explained at the gate."


@pytest.mark.parametrize("payload", [{}, {"note": ""}, {"note": "   "}])
def test_resolve_without_a_note_is_400(api_for, flags, payload):
    response = api_for("pmo").post(f"{FLAGS}{flags['mine'].pk}/resolve/", payload, format="json")
    assert response.status_code == 400
    assert "note" in response.json()
    assert Flag.objects.get(pk=flags["mine"].pk).is_open


def test_token_authentication(pmo, flags):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(pmo)}")
    assert client.get(FLAGS).status_code == 200


# --- stop-loss-rules/ --------------------------------------------------------------------------

RULE = {
    "metric": "rework_rate",
    "comparison": "exceeds",
    "threshold": "0.25",
    "consecutive_weeks": 2,
    "grace_weeks": 0,
    "action": "flag_only",
}


@pytest.mark.parametrize("role", ["owner", "other_owner", "contributor", "leader", "outsider"])
def test_everyone_reads_the_policy_but_only_the_pmo_writes(role, api_for, use_case):
    override = make_rule(make_use_case("Hidden"), threshold=Decimal("0.3"))
    client = api_for(role)
    response = client.get(RULES)
    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    defaults = set(StopLossRule.objects.filter(use_case=None).values_list("pk", flat=True))
    assert defaults <= listed
    sees_override = role in {"owner", "other_owner", "leader"}  # they read the whole portfolio
    assert (override.pk in listed) is sees_override
    rule = default_rule(Metric.REWORK_RATE)
    assert client.post(RULES, {**RULE, "use_case": use_case.pk}, format="json").status_code == 403
    assert client.patch(f"{RULES}{rule.pk}/", {"threshold": "0.5"}, format="json").status_code == (
        403
    )
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.15")
    assert StopLossRule.objects.count() == 3


def test_pmo_creates_an_override_and_changes_a_default(api_for, pmo, use_case):
    client = api_for("pmo")
    created = client.post(RULES, {**RULE, "use_case": use_case.pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["use_case"], body["use_case_name"], body["threshold"]) == (
        use_case.pk,
        use_case.name,
        "0.2500",
    )
    rule = default_rule(Metric.ADOPTION_RATE)
    changed = client.patch(f"{RULES}{rule.pk}/", {"threshold": "0.55"}, format="json")
    assert changed.status_code == 200
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.55")
    assert rule.history.latest().history_user == pmo
    default = client.post(RULES, {**RULE, "metric": "net_value", "threshold": "-100"})
    assert default.status_code == 201
    assert default.json()["use_case"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"threshold": "1.01"}, "threshold"),
        ({"threshold": "-0.5"}, "threshold"),
        ({"metric": "quality_score", "threshold": "100.5"}, "threshold"),
        ({"consecutive_weeks": 0}, "consecutive_weeks"),
        ({"grace_weeks": -1}, "grace_weeks"),
        ({"comparison": "equals"}, "comparison"),
    ],
)
def test_nonsensical_rules_are_400_at_the_field(api_for, changes, field):
    response = api_for("pmo").post(RULES, {**RULE, **changes}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert StopLossRule.objects.count() == 2


def test_partial_update_is_validated_with_the_stored_metric(api_for):
    rule = default_rule(Metric.REWORK_RATE)
    response = api_for("pmo").patch(f"{RULES}{rule.pk}/", {"threshold": "15"}, format="json")
    assert response.status_code == 400
    assert "threshold" in response.json()


def test_a_rule_keeps_its_use_case(api_for, use_case):
    rule = default_rule(Metric.REWORK_RATE)
    response = api_for("pmo").patch(f"{RULES}{rule.pk}/", {"use_case": use_case.pk}, format="json")
    assert response.status_code == 400
    assert "use_case" in response.json()


def test_rules_are_not_deleted(api_for):
    rule = default_rule(Metric.REWORK_RATE)
    assert api_for("pmo").delete(f"{RULES}{rule.pk}/").status_code == 405
