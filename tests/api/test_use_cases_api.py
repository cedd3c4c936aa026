"""/api/v1/use-cases/: list, create (PMO), retrieve, partial update (PMO); per role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_use_case, make_user
from usecases.models import BusinessCase, StageTransition, UseCase

from .conftest import ROLES

pytestmark = pytest.mark.django_db

LIST = "/api/v1/use-cases/"


def detail(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/"


def new_use_case_body(**overrides):
    body = {
        "name": "Contract clause extraction",
        "description": "Pulls renewal clauses out of supplier contracts.",
        "business_unit": "Procurement",
        "workflow": "Contract review",
        "stage": "pilot",
        "value_owner": "olivia",
        "contributors": ["carl"],
        "target_users": 40,
        "live_since": "2026-09-01",
        "funding_status": "conditional",
    }
    body.update(overrides)
    return body


# role -> ids visible in the list (by fixture name)
LIST_VISIBLE = {
    "outsider": set(),
    "other_owner": {"use_case", "other_use_case"},
    "contributor": {"use_case"},
    "leader": {"use_case", "other_use_case"},
    "pmo": {"use_case", "other_use_case"},
    "owner": {"use_case", "other_use_case"},
    "admin": {"use_case", "other_use_case"},
}


@pytest.mark.parametrize("role", ROLES)
def test_list_per_role(role, api_for, use_case, other_use_case):
    response = api_for(role).get(LIST)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    ids = {"use_case": use_case.pk, "other_use_case": other_use_case.pk}
    expected = {ids[name] for name in LIST_VISIBLE[role]}
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


RETRIEVE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 200,
    "contributor": 200,
    "leader": 200,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_retrieve_per_role(role, api_for, use_case, other_use_case):
    assert api_for(role).get(detail(use_case)).status_code == RETRIEVE[role]


def test_contributor_does_not_see_other_use_case(api_for, use_case, other_use_case):
    assert api_for("contributor").get(detail(other_use_case)).status_code == 404


def test_retrieve_fields(api_for, use_case, leader):
    use_case.contributors.add(leader)
    body = api_for("leader").get(detail(use_case)).json()
    assert body == {
        "id": use_case.pk,
        "name": "Customer-response assistant",
        "description": "",
        "business_unit": "Customer Service",
        "workflow": "Inbound e-mail triage",
        "stage": "rollout",
        "value_owner": "olivia",
        "contributors": ["carl", "lena"],
        "target_users": 100,
        "live_since": "2026-06-01",
        "scaled_on": None,
        "funding_status": "conditional",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_unknown_id_is_404(api_for, use_case):
    assert api_for("pmo").get("/api/v1/use-cases/999999/").status_code == 404
    assert api_for("pmo").get("/api/v1/use-cases/abc/").status_code == 404


CREATE = {
    "anonymous": 401,
    "outsider": 403,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 201,
    "owner": 403,
    "admin": 201,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_per_role(role, api_for, role_users):
    response = api_for(role).post(LIST, new_use_case_body(), format="json")
    assert response.status_code == CREATE[role]
    created = UseCase.objects.filter(name="Contract clause extraction")
    if CREATE[role] != 201:
        assert not created.exists()
        return
    use_case = created.get()
    body = response.json()
    assert body["id"] == use_case.pk
    assert body["value_owner"] == "olivia"
    assert body["contributors"] == ["carl"]
    assert use_case.value_owner == role_users["owner"]
    assert list(use_case.contributors.all()) == [role_users["contributor"]]
    # Creating a use case creates its empty business case, both audited with the creator.
    business_case = BusinessCase.objects.get(use_case=use_case)
    assert business_case.hourly_cost == 0
    assert use_case.history.get().history_user == role_users[role]


def test_create_validation_errors(api_for, use_case):
    api = api_for("pmo")
    before = UseCase.objects.count()
    duplicate = api.post(LIST, new_use_case_body(name=use_case.name), format="json")
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()

    unknown_owner = api.post(LIST, new_use_case_body(value_owner="nobody"), format="json")
    assert unknown_owner.status_code == 400
    assert "value_owner" in unknown_owner.json()

    bad_stage = api.post(LIST, new_use_case_body(stage="maybe"), format="json")
    assert bad_stage.status_code == 400
    assert "stage" in bad_stage.json()

    scaled_before_live = api.post(
        LIST, new_use_case_body(live_since="2026-09-01", scaled_on="2026-08-01"), format="json"
    )
    assert scaled_before_live.status_code == 400
    assert "scaled_on" in scaled_before_live.json()

    unknown = api.post(LIST, new_use_case_body(colour="blue"), format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"colour": ["Unknown field: not part of this resource."]}
    assert UseCase.objects.count() == before


def test_create_without_owner_is_allowed(api_for):
    response = api_for("pmo").post(
        LIST, new_use_case_body(value_owner=None, contributors=[]), format="json"
    )
    assert response.status_code == 201
    assert response.json()["value_owner"] is None


PATCH = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 200,
    "owner": 403,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_partial_update_per_role(role, api_for, use_case):
    response = api_for(role).patch(
        detail(use_case),
        {"stage": "scaled", "scaled_on": "2026-10-01", "change_reason": "Every team uses it."},
        format="json",
    )
    assert response.status_code == PATCH[role]
    use_case.refresh_from_db()
    if PATCH[role] == 200:
        assert response.json()["stage"] == "scaled"
        assert use_case.stage == "scaled"
        assert str(use_case.scaled_on) == "2026-10-01"
    else:
        assert use_case.stage == "rollout"


def test_partial_update_of_stage_leaves_a_stage_transition(api_for, use_case, role_users):
    body = {"funding_status": "funded", "change_reason": "Budget approved by the CFO."}
    response = api_for("pmo").patch(detail(use_case), body, format="json")
    assert response.status_code == 200
    assert "change_reason" not in response.json()  # write-only
    [moved] = StageTransition.objects.filter(use_case=use_case)
    assert (moved.stage_before, moved.stage_after) == ("rollout", "rollout")
    assert (moved.funding_before, moved.funding_after) == ("conditional", "funded")
    assert (moved.cause_kind, moved.cause_label) == ("pmo_edit", "PMO edit by pia (API)")
    assert (moved.reason, moved.actor) == ("Budget approved by the CFO.", role_users["pmo"])


def test_partial_update_owner_and_contributors_by_username(api_for, use_case, role_users):
    response = api_for("pmo").patch(
        detail(use_case), {"value_owner": "oscar", "contributors": ["lena", "carl"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["value_owner"] == "oscar"
    assert sorted(response.json()["contributors"]) == ["carl", "lena"]
    use_case.refresh_from_db()
    assert use_case.value_owner == role_users["other_owner"]
    record = use_case.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == role_users["pmo"]


def test_partial_update_rejects_unknown_and_invalid(api_for, use_case):
    api = api_for("pmo")
    assert api.patch(detail(use_case), {"owner": "oscar"}, format="json").status_code == 400
    bad = api.patch(detail(use_case), {"target_users": -1}, format="json")
    assert bad.status_code == 400
    assert "target_users" in bad.json()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_no_put_or_delete(method, api_for, use_case):
    response = getattr(api_for("admin"), method)(detail(use_case), {}, format="json")
    assert response.status_code == 405
    assert UseCase.objects.filter(pk=use_case.pk).exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=scaled", {"Invoice matching"}),
        ("stage=rollout", {"Customer-response assistant", "Complaint triage"}),
        ("business_unit=Finance", {"Invoice matching"}),
        ("funding_status=funded", {"Complaint triage"}),
        ("value_owner=olivia", {"Customer-response assistant", "Complaint triage"}),
        ("value_owner=oscar&stage=scaled", {"Invoice matching"}),
    ],
)
def test_filters(query, expected, api_for, use_case, other_use_case, owner):
    other_use_case.stage = "scaled"
    other_use_case.save()
    make_use_case("Complaint triage", owner=owner, funding_status="funded")
    response = api_for("pmo").get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == expected


def test_bad_filter_value_is_400(api_for, use_case):
    response = api_for("pmo").get(f"{LIST}?stage=maybe")
    assert response.status_code == 400
    assert "stage" in response.json()


def _list_queries(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("role", ["pmo", "contributor"])
def test_list_query_count_is_constant(role, api_for, use_case, role_users):
    """session + user + groups (+ owns anything) + count + page + contributors prefetch."""
    api = api_for(role)
    api.get(LIST)  # warm-up (content types, etc.)
    one, count_one = _list_queries(api)
    helpers = [make_user(f"helper{i}") for i in range(3)]
    for i in range(29):
        uc = make_use_case(f"Use case {i:02d}", owner=role_users["owner"])
        uc.contributors.add(role_users["contributor"], *helpers)
    many, count_many = _list_queries(api)
    expected_counts = (1, 30) if role == "contributor" else (2, 31)
    assert (count_one, count_many) == expected_counts
    assert one == many, f"{one} queries for 1 use case, {many} for 30"


def test_api_root_links_the_resources(api_for):
    root = api_for("owner").get("/api/v1/").json()
    for name in ("use-cases", "weekly-reviews", "monthly-reviews", "model-changes"):
        assert root[name] == f"http://testserver/api/v1/{name}/"
