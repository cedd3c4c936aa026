"""API: gates/ and gate-items/ for every role; blind voting; closing; decisions and their 400s."""

import json

import pytest
import yaml
from rest_framework.test import APIClient

from stagegates import services, voting
from stagegates.models import Decision, Gate, GateStatus, Vote
from tests.conftest import ROLES, make_use_case, make_user
from usecases.models import ChecklistAnswer

from .helpers import create_gate, item_of, stop_loss_flag

pytestmark = pytest.mark.django_db

ANON = (401,)  # a Token challenge: token authentication comes first


@pytest.fixture
def api_for():
    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def client_of(role, role_users, api_for):
    return api_for(None if role == "anonymous" else role_users[role])


def check(response, expected):
    if expected == "anon":
        assert response.status_code in ANON
    else:
        assert response.status_code == expected, response.content[:400]


GATE_DATA = {
    "quarter": "2026-Q4",
    "opens_on": "2026-11-16",
    "closes_on": "2026-12-04",
    "chair": "lena",
}

# role → (list, create, retrieve, patch)
GATE_ENDPOINTS = {
    "anonymous": ("anon",) * 4,
    "outsider": (200, 403, 404, 404),
    "other_owner": (200, 403, 200, 403),
    "contributor": (200, 403, 200, 403),
    "owner": (200, 403, 200, 403),
    "leader": (200, 403, 200, 403),
    "pmo": (200, 201, 200, 200),
    "admin": (200, 201, 200, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_gate_endpoints_per_role(role, role_users, api_for, pmo, leader, use_case):
    client = client_of(role, role_users, api_for)
    expected = GATE_ENDPOINTS[role]
    check(client.post("/api/v1/gates/", GATE_DATA, format="json"), expected[1])
    gate = Gate.objects.first() or create_gate(pmo, leader)
    response = client.get("/api/v1/gates/")
    check(response, expected[0])
    if expected[0] == 200:
        listed = [g["quarter"] for g in response.json()["results"]]
        assert listed == ([] if role == "outsider" else ["2026-Q4"])
    check(client.get(f"/api/v1/gates/{gate.pk}/"), expected[2])
    patch = client.patch(f"/api/v1/gates/{gate.pk}/", {"closes_on": "2026-12-11"}, format="json")
    check(patch, expected[3])


def test_create_returns_the_gate_with_its_agenda(api_for, pmo, use_case, leader):
    response = api_for(pmo).post("/api/v1/gates/", GATE_DATA, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["quarter"], body["chair"], body["status"]) == ("2026-Q4", "lena", "draft")
    assert [i["use_case_name"] for i in body["items"]] == [use_case.name]
    assert body["items"][0]["recommendation"]["choice"] in {"scale", "redesign", "hold", "stop"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**GATE_DATA, "chair": "olivia"}, "chair"),  # not Leadership
        ({**GATE_DATA, "chair": "nobody"}, "chair"),
        ({**GATE_DATA, "closes_on": "2026-11-01"}, "closes_on"),
        ({**GATE_DATA, "quarter": "2026-Q9"}, "quarter"),
        ({**GATE_DATA, "colour": "red"}, "colour"),
    ],
)
def test_create_validation(api_for, pmo, leader, owner, data, field):
    response = api_for(pmo).post("/api/v1/gates/", data, format="json")
    assert response.status_code == 400 and field in response.json()


def test_duplicate_quarter_is_400(api_for, gate, pmo):
    response = api_for(pmo).post("/api/v1/gates/", GATE_DATA, format="json")
    assert response.status_code == 400
    assert response.json()["quarter"] == [services.QUARTER_TAKEN]


# role → (open-voting, refresh-agenda, add item, remove item)
DRAFT_ACTIONS = {
    "anonymous": ("anon",) * 4,
    "outsider": (404,) * 4,
    "other_owner": (403,) * 4,
    "contributor": (403, 403, 403, 404),
    "owner": (403,) * 4,
    "leader": (403,) * 4,
    "pmo": (200, 200, 201, 204),
    "admin": (200, 200, 201, 204),
}


@pytest.mark.parametrize("role", ROLES)
def test_draft_actions_per_role(role, role_users, api_for, gate, other_use_case):
    client = client_of(role, role_users, api_for)
    extra = make_use_case("Extra", stage="pilot")
    item = item_of(gate, other_use_case)
    opened, refreshed, added, removed = DRAFT_ACTIONS[role]
    check(client.post(f"/api/v1/gates/{gate.pk}/refresh-agenda/"), refreshed)
    check(
        client.post(f"/api/v1/gates/{gate.pk}/items/", {"use_case": extra.pk}, format="json"), added
    )
    check(client.delete(f"/api/v1/gate-items/{item.pk}/"), removed)
    check(client.post(f"/api/v1/gates/{gate.pk}/open-voting/"), opened)
    gate.refresh_from_db()
    assert gate.status == (GateStatus.VOTING if opened == 200 else GateStatus.DRAFT)
    assert gate.items.filter(use_case=extra).exists() is (added == 201)


# role → (item retrieve own use case, other use case, vote, close)
ITEM_ENDPOINTS = {
    "anonymous": ("anon",) * 4,
    "outsider": (404, 404, 404, 404),
    "other_owner": (200, 200, 403, 403),
    "contributor": (200, 404, 403, 403),
    "owner": (200, 200, 403, 403),
    "leader": (200, 200, 201, 200),
    "pmo": (200, 200, 403, 200),
    "admin": (200, 200, 403, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_item_endpoints_per_role(role, role_users, api_for, voting_gate, use_case, other_use_case):
    client = client_of(role, role_users, api_for)
    mine, other = item_of(voting_gate, use_case), item_of(voting_gate, other_use_case)
    own_get, other_get, vote, close = ITEM_ENDPOINTS[role]
    check(client.get(f"/api/v1/gate-items/{mine.pk}/"), own_get)
    check(client.get(f"/api/v1/gate-items/{other.pk}/"), other_get)
    body = {"choice": "scale", "rationale": "Works."}
    check(client.post(f"/api/v1/gate-items/{mine.pk}/vote/", body, format="json"), vote)
    check(client.post(f"/api/v1/gates/{voting_gate.pk}/close/"), close)


DECIDE = {
    "anonymous": "anon",
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "owner": 403,
    "leader": 200,
    "pmo": 403,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_decide_per_role(role, role_users, api_for, voting_gate, pmo, use_case):
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    client = client_of(role, role_users, api_for)
    response = client.post(
        f"/api/v1/gate-items/{item.pk}/decide/", {"decision": "hold"}, format="json"
    )
    check(response, DECIDE[role])
    if DECIDE[role] == 200:
        body = response.json()
        assert body["decision"]["decision"] == "hold" and body["stage"] == "on_hold"
        assert body["funding_status"] == "frozen"
        assert body["decision"]["outcome"] == "" and body["decision"]["is_override"] is False


# --- blind voting -------------------------------------------------------------------------------
def test_blind_voting_through_the_api(api_for, voting_gate, leader, leader2, pmo, use_case):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="stop", rationale="SECRET-RATIONALE-LENA")
    for user in (leader2, pmo):
        client = api_for(user)
        for url in (f"/api/v1/gate-items/{item.pk}/", f"/api/v1/gates/{voting_gate.pk}/"):
            body = client.get(url).json()
            text = json.dumps(body)
            assert "SECRET-RATIONALE-LENA" not in text and '"voter"' not in text
            line = body if "votes_visible" in body else body["items"][0]
            assert line["votes_visible"] is False
            assert "votes" not in line and "vote_counts" not in line

    client = api_for(leader2)
    response = client.post(
        f"/api/v1/gate-items/{item.pk}/vote/",
        {"choice": "hold", "rationale": "Wait."},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["votes_visible"] is True and body["my_vote"]["choice"] == "hold"
    assert body["vote_counts"] == {"scale": 0, "redesign": 0, "hold": 1, "stop": 1}
    assert [(v["voter"], v["rationale"]) for v in body["votes"]] == [
        ("lena", "SECRET-RATIONALE-LENA"),
        ("leo", "Wait."),
    ]

    pmo_view = api_for(pmo).get(f"/api/v1/gate-items/{item.pk}/").json()
    assert "votes" not in pmo_view  # the PMO waits for closing
    services.gate_close(user=pmo, gate=voting_gate)
    pmo_view = api_for(pmo).get(f"/api/v1/gate-items/{item.pk}/").json()
    assert pmo_view["vote_counts"]["stop"] == 1 and pmo_view["outcome"] is None  # a tie
    assert pmo_view["outcome_text"] == "tied (Hold 1 · Stop 1)"


def test_changing_a_vote_and_voting_after_close(api_for, voting_gate, leader, pmo, use_case):
    item = item_of(voting_gate, use_case)
    client = api_for(leader)
    url = f"/api/v1/gate-items/{item.pk}/vote/"
    assert client.post(url, {"choice": "scale", "rationale": "A"}, format="json").status_code == 201
    response = client.post(url, {"choice": "stop", "rationale": "B"}, format="json")
    assert response.status_code == 200 and response.json()["my_vote"]["choice"] == "stop"
    assert Vote.objects.count() == 1
    response = client.post(url, {"choice": "stop"}, format="json")
    assert response.status_code == 400 and "rationale" in response.json()

    assert client.post(f"/api/v1/gates/{voting_gate.pk}/close/").status_code == 200
    response = client.post(url, {"choice": "scale", "rationale": "C"}, format="json")
    assert response.status_code == 400
    assert "closed" in response.json()["gate"][0]
    assert Vote.objects.get().choice == "stop"


def test_close_tie_and_no_votes_have_no_outcome(
    api_for, voting_gate, leader, leader2, pmo, use_case, other_use_case
):
    tie = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=tie, choice="scale", rationale="r")
    voting.vote_cast(user=leader2, item=tie, choice="redesign", rationale="r")
    body = api_for(pmo).post(f"/api/v1/gates/{voting_gate.pk}/close/").json()
    assert body["status"] == "closed"
    assert {i["use_case_name"]: i["outcome"] for i in body["items"]} == {
        use_case.name: None,
        other_use_case.name: None,
    }


def test_decide_override_rationale_and_scale_blocked(api_for, voting_gate, pmo, leader, use_case):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="hold", rationale="Wait.")  # 1 of 1: hold
    services.gate_close(user=pmo, gate=voting_gate)
    client = api_for(leader)
    url = f"/api/v1/gate-items/{item.pk}/decide/"

    response = client.post(url, {"decision": "stop"}, format="json")
    assert response.status_code == 400 and "rationale" in response.json()

    flag = stop_loss_flag(use_case)
    ChecklistAnswer.objects.create(use_case=use_case, item="A2", answer="no")
    response = client.post(url, {"decision": "scale", "rationale": "Go."}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["decision"] == ["Scale is blocked while these conditions hold."]
    assert body["blocking_conditions"] == [
        f"Open stop-loss flag (2026-W46): {flag.explanation}",
        "Checklist A2 “Managers enforce the new way of working and track adoption” is "
        "answered “no”.",
    ]
    assert not Decision.objects.exists()

    response = client.post(
        url, {"decision": "stop", "rationale": "Not recoverable."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"]["is_override"] is True and body["stage"] == "stopped"
    assert body["funding_status"] == "ended"


def test_item_pack_shape(api_for, gate, leader, use_case):
    body = api_for(leader).get(f"/api/v1/gate-items/{item_of(gate, use_case).pk}/").json()
    assert body["quarter_months"] == "2026-08 to 2026-10"
    assert [m["month"] for m in body["months"]] == ["2026-08", "2026-09", "2026-10"]
    assert body["net_value"] == "0.00" and body["net_value_90_days"]["status"] == "not_scaled"
    assert [s["scenario"] for s in body["scenarios"]] == ["pessimistic", "base", "optimistic"]
    assert body["waterfall"][0] == {
        "step": "pilot_promise",
        "leakage_point": None,
        "amount": "0.00",
    }
    assert len(body["checklist"]) == 15
    t1 = body["checklist"][0]
    assert (t1["item"], t1["suggested"]) == ("T1", "no")  # the fixture's baseline is pilot data
    assert body["recommendation"]["choice"] == "hold"


def test_schema_lists_the_gate_endpoints(api_for, pmo):
    schema = api_for(pmo).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/gates/",
        "/api/v1/gates/{id}/close/",
        "/api/v1/gates/{id}/open-voting/",
        "/api/v1/gate-items/{id}/vote/",
        "/api/v1/gate-items/{id}/decide/",
    ):
        assert path in schema["paths"]


def test_gate_detail_queries_do_not_grow_with_items(api_for, pmo, leader, use_case, other_use_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .helpers import monthly, weekly

    other_use_case.stage = "pilot"
    other_use_case.save()
    gate = create_gate(pmo, leader)
    client = api_for(leader)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/gates/{gate.pk}/")
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["items"])

    count()  # warm up (the user's groups are cached on the user)
    one, n = count()
    assert n == 1
    for i in range(19):
        uc = make_use_case(f"UC {i:02d}", stage="scaled")
        weekly(uc, "2026-W41")
        monthly(uc, "2026-10")
        stop_loss_flag(uc)
    services.gate_refresh_agenda(user=pmo, gate=gate)
    assert count() == (one, 20)


# --- the close summary and the decision's effect (issue 15) -------------------------------------
def test_close_answers_with_the_summary(
    api_for, voting_gate, pmo, leader, leader2, use_case, other_use_case
):
    make_user("lucy", "Leadership")  # 3 members: 2 votes needed
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="r")
    voting.vote_cast(user=leader2, item=item, choice="scale", rationale="r")
    response = api_for(pmo).post(f"/api/v1/gates/{voting_gate.pk}/close/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "closed" and len(body["items"]) == 2
    summary = body["summary"]
    assert {k: summary[k] for k in ("members", "quorum", "without_votes", "without_outcome")} == {
        "members": 3,
        "quorum": 2,
        "without_votes": 1,
        "without_outcome": 1,
    }
    by_name = {line["use_case_name"]: line for line in summary["items"]}
    assert by_name[use_case.name] == {
        "id": item.pk,
        "use_case": use_case.pk,
        "use_case_name": use_case.name,
        "votes": 2,
        "outcome": "scale",
        "has_quorum": True,
        "tied": False,
        "outcome_text": "Scale",
    }
    assert by_name[other_use_case.name]["outcome"] is None
    assert by_name[other_use_case.name]["outcome_text"] == "no quorum (0 of 3 voted, 2 needed)"
    assert [(m["username"], m["voted"], m["items"]) for m in summary["missing_voters"]] == [
        ("lena", 1, 2),
        ("leo", 1, 2),
        ("lucy", 0, 2),
    ]


def test_the_close_summary_is_in_the_schema():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    components = schema["components"]["schemas"]
    assert {"summary"} <= set(components["GateClosed"]["properties"])
    assert {"missing_voters", "items", "quorum"} <= set(components["CloseSummary"]["properties"])
    assert "effect" in components["DecidedItem"]["properties"]


def test_decide_answers_with_the_effect(api_for, voting_gate, pmo, leader, use_case):
    use_case.stage, use_case.funding_status = "scaled", "funded"
    use_case.save()
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    url = f"/api/v1/gate-items/{item.pk}/decide/"
    client = api_for(leader)
    response = client.post(url, {}, format="json")  # no votes: no outcome to fall back on
    assert response.status_code == 400
    assert "no quorum (0 of 1 voted, 1 needed)" in response.json()["decision"][0]
    use_case.refresh_from_db()
    assert use_case.stage == "scaled"

    response = client.post(url, {"decision": "hold"}, format="json")
    assert response.status_code == 200
    assert response.json()["effect"] == {
        "stage_before": "scaled",
        "stage_after": "on_hold",
        "funding_before": "funded",
        "funding_after": "frozen",
    }
