"""POST /api/v1/auth/token/ (DRF obtain_auth_token behind django-axes), token and session auth."""

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def test_token_for_right_password_then_token_auth_works(owner, use_case):
    client = APIClient()
    response = client.post(URL, {"username": "olivia", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=owner).key == key

    # The same token comes back on a second request.
    again = client.post(URL, {"username": "olivia", "password": PASSWORD}, format="json")
    assert again.json()["token"] == key

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = api.get("/api/v1/use-cases/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [use_case.pk]


def test_wrong_password_is_400_and_counted_by_axes(owner):
    response = APIClient().post(URL, {"username": "olivia", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not Token.objects.filter(user=owner).exists()
    attempt = AccessAttempt.objects.get(username="olivia")
    assert attempt.failures_since_start == 1


def test_missing_fields_is_400(owner):
    response = APIClient().post(URL, {"username": "olivia"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_locked_out_user_gets_no_token_even_with_the_right_password(owner):
    client = APIClient()
    for _ in range(3):
        client.post(URL, {"username": "olivia", "password": "wrong"}, format="json")
    response = client.post(URL, {"username": "olivia", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert not Token.objects.filter(user=owner).exists()


def test_bad_token_is_refused(use_case):
    # Token authentication comes first in settings: 401 with the challenge a client can act on.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = api.get("/api/v1/use-cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


def test_anonymous_is_refused_and_session_works(client_for, owner, use_case):
    anonymous = APIClient().get("/api/v1/use-cases/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    response = client_for(owner).get("/api/v1/use-cases/")
    assert response.status_code == 200


def test_session_auth_enforces_csrf_on_writes(owner, use_case):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/api/v1/model-changes/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
