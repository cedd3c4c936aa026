"""Ingest keys: ``use-cases/{id}/ingest-keys/`` (value owner and PMO) and the PMO's portfolio
keys ``ingest-keys/``; the key is shown once and stored hashed; revoked keys stop working."""

import hashlib

import pytest

from reviews.ingest_keys import ingest_key_authenticate
from reviews.models import IngestKey

from .conftest import ROLES

pytestmark = pytest.mark.django_db


def keys_url(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/ingest-keys/"


MANAGE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 201,
    "owner": 201,
    "admin": 201,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_list_and_revoke_per_role(role, api_for, use_case, owner, role_users):
    client = api_for(role)
    response = client.post(keys_url(use_case), {"label": "prod"}, format="json")
    assert response.status_code == MANAGE[role], response.content
    listed = client.get(keys_url(use_case))
    if MANAGE[role] != 201:
        assert listed.status_code == MANAGE[role]
        assert not IngestKey.objects.exists()
        made = api_for("owner").post(keys_url(use_case), {}, format="json").json()
        assert client.delete(f"{keys_url(use_case)}{made['id']}/").status_code == MANAGE[role]
        assert ingest_key_authenticate(made["key"]) is not None
        return
    body = response.json()
    assert body["key"].startswith("vgi_") and len(body["key"]) == 68
    assert body["label"] == "prod" and body["use_case"] == use_case.pk
    assert body["created_by"] == role_users[role].username
    row = IngestKey.objects.get(pk=body["id"])
    assert row.digest == hashlib.sha256(body["key"].encode()).hexdigest()
    assert body["key"] not in {row.prefix, row.digest, row.label}
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [body["id"]]
    assert "key" not in listed.json()[0]  # shown once
    assert ingest_key_authenticate(body["key"]) == row

    assert client.delete(f"{keys_url(use_case)}{body['id']}/").status_code == 204
    assert ingest_key_authenticate(body["key"]) is None
    revoked = client.get(keys_url(use_case)).json()[0]
    assert revoked["revoked_at"] and revoked["revoked_by"] == role_users[role].username


def test_a_key_of_another_use_case_is_not_revoked_through_this_one(
    api_for, use_case, other_use_case
):
    other = api_for("pmo").post(keys_url(other_use_case), {}, format="json").json()
    assert api_for("pmo").delete(f"{keys_url(use_case)}{other['id']}/").status_code == 404
    assert ingest_key_authenticate(other["key"]) is not None


def test_bad_label_is_a_field_message(api_for, use_case):
    response = api_for("owner").post(keys_url(use_case), {"label": "x" * 101}, format="json")
    assert response.status_code == 400
    assert "label" in response.json()


PORTFOLIO = {
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
def test_portfolio_keys_are_the_pmos(role, api_for, role_users):
    client = api_for(role)
    response = client.post("/api/v1/ingest-keys/", {"label": "collector"}, format="json")
    assert response.status_code == PORTFOLIO[role]
    if PORTFOLIO[role] == 201:
        assert response.json()["use_case"] is None
        assert [k["id"] for k in client.get("/api/v1/ingest-keys/").json()] == [
            response.json()["id"]
        ]
        key_id = response.json()["id"]
        assert client.delete(f"/api/v1/ingest-keys/{key_id}/").status_code == 204
        assert ingest_key_authenticate(response.json()["key"]) is None
    else:
        assert client.get("/api/v1/ingest-keys/").status_code == PORTFOLIO[role]


def test_portfolio_list_holds_no_use_case_key(api_for, use_case):
    api_for("pmo").post(keys_url(use_case), {}, format="json")
    assert api_for("pmo").get("/api/v1/ingest-keys/").json() == []
