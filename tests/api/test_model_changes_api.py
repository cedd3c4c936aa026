"""/api/v1/model-changes/: the model/prompt log. List, create (value owner), retrieve; per role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_use_case
from usecases.models import ModelChange

from .conftest import ROLES

pytestmark = pytest.mark.django_db

LIST = "/api/v1/model-changes/"


def detail(change):
    return f"/api/v1/model-changes/{change.pk}/"


def body(use_case, **overrides):
    data = {
        "use_case": use_case.pk,
        "version_label": "gpt-x 2026-11 / prompt v7",
        "kind": "prompt",
        "effective_date": "2026-11-20",
        "description": "Shorter system prompt; new refusal examples.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def change(use_case, owner):
    return ModelChange.objects.create(
        use_case=use_case,
        version_label="v1",
        kind="model",
        effective_date="2026-09-01",
        created_by=owner,
    )


@pytest.fixture
def other_change(other_use_case, other_owner):
    return ModelChange.objects.create(
        use_case=other_use_case, version_label="v1", kind="config", effective_date="2026-09-01"
    )


LIST_SEES = {
    "outsider": set(),
    "other_owner": {"change", "other_change"},
    "contributor": {"change"},
    "leader": {"change", "other_change"},
    "pmo": {"change", "other_change"},
    "owner": {"change", "other_change"},
    "admin": {"change", "other_change"},
}


@pytest.mark.parametrize("role", ROLES)
def test_list_per_role(role, api_for, change, other_change):
    response = api_for(role).get(LIST)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {"change": change.pk, "other_change": other_change.pk}
    assert {row["id"] for row in response.json()["results"]} == {ids[n] for n in LIST_SEES[role]}


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
CREATE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 403,
    "owner": 201,
    "admin": 201,
}


@pytest.mark.parametrize("role", ROLES)
def test_retrieve_per_role(role, api_for, change):
    assert api_for(role).get(detail(change)).status_code == RETRIEVE[role]


def test_retrieve_fields(api_for, change):
    assert api_for("leader").get(detail(change)).json() == {
        "id": change.pk,
        "use_case": change.use_case_id,
        "version_label": "v1",
        "kind": "model",
        "effective_date": "2026-09-01",
        "description": "",
        "created_by": "olivia",
        "created_at": api_for("leader").get(detail(change)).json()["created_at"],
    }


@pytest.mark.parametrize("role", ROLES)
def test_create_per_role(role, api_for, use_case, role_users):
    response = api_for(role).post(LIST, body(use_case), format="json")
    assert response.status_code == CREATE[role]
    saved = ModelChange.objects.filter(use_case=use_case)
    if CREATE[role] == 201:
        change = saved.get()
        assert response.json()["id"] == change.pk
        assert response.json()["created_by"] == role_users[role].username
        assert change.history.get().history_user == role_users[role]
    else:
        assert not saved.exists()


def test_contributor_of_other_use_case_gets_404(api_for, other_use_case, other_change):
    assert api_for("contributor").get(detail(other_change)).status_code == 404
    response = api_for("contributor").post(LIST, body(other_use_case), format="json")
    assert response.status_code == 404


def test_duplicate_version_label_is_400(api_for, use_case, change):
    response = api_for("owner").post(LIST, body(use_case, version_label="v1"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "version_label": ["This use case already has a change with this version label."]
    }
    # The same label on another use case is fine.
    other = make_use_case("Other", owner=use_case.value_owner)
    assert (
        api_for("owner").post(LIST, body(other, version_label="v1"), format="json").status_code
        == 201
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "weights"}, "kind"),
        ({"version_label": ""}, "version_label"),
        ({"effective_date": "2026-13-01"}, "effective_date"),
        ({"effective_date": "2026-11-26"}, "effective_date"),  # tomorrow
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_validation(overrides, field, api_for, use_case):
    response = api_for("owner").post(LIST, body(use_case, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ModelChange.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_no_changes_after_logging(method, api_for, change):
    response = getattr(api_for("owner"), method)(detail(change), {"kind": "prompt"}, format="json")
    assert response.status_code == 405


def test_filter_by_use_case(api_for, change, other_change, use_case):
    response = api_for("pmo").get(f"{LIST}?use_case={use_case.pk}")
    assert [row["id"] for row in response.json()["results"]] == [change.pk]


def _list_queries(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("role", ["pmo", "contributor"])
def test_list_query_count_is_constant(role, api_for, change, use_case, owner):
    api = api_for(role)
    api.get(LIST)
    one, count_one = _list_queries(api)
    for i in range(29):
        ModelChange.objects.create(
            use_case=use_case,
            version_label=f"v{i + 2}",
            kind="prompt",
            effective_date="2026-10-01",
            created_by=owner,
        )
    many, count_many = _list_queries(api)
    assert (count_one, count_many) == (1, 30)
    assert one == many
