"""/api/v1/auth/token/: ``POST`` username + password → a hashed, expiring token (behind
django-axes and the login limits); ``DELETE`` revokes it; a password change revokes them all."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, api_token

URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def get_token(username="olivia", password=PASSWORD):
    return APIClient().post(URL, {"username": username, "password": password}, format="json")


def api(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token) -> bool:
    status = api(token).get("/api/v1/use-cases/").status_code
    assert status in (200, 401), status
    return status == 200


def test_token_for_right_password_then_token_auth_works(owner, use_case):
    response = get_token()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    listed = api(body["token"]).get("/api/v1/use-cases/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [use_case.pk]

    # Each request issues a token of its own (the first one cannot be shown again); both work.
    again = get_token().json()["token"]
    assert again != body["token"]
    assert works(body["token"]) and works(again)


def test_token_expires_after_the_configured_lifetime(owner, use_case):
    issued_at = timezone.now()
    response = get_token()
    token = response.json()["token"]
    expires_at = datetime.datetime.fromisoformat(response.json()["expires_at"])
    assert expires_at == issued_at + datetime.timedelta(days=90)

    with time_machine.travel(expires_at - datetime.timedelta(seconds=1), tick=False):
        assert works(token)
    with time_machine.travel(expires_at, tick=False):
        response = api(token).get("/api/v1/use-cases/")
        assert response.status_code == 401
        assert response.json() == {"detail": "Token expired."}


@override_settings(API_TOKEN_TTL_DAYS=7)
def test_token_lifetime_is_a_setting(owner):
    issued_at = timezone.now()
    expires_at = datetime.datetime.fromisoformat(get_token().json()["expires_at"])
    assert expires_at == issued_at + datetime.timedelta(days=7)


def test_token_is_stored_hashed(owner, use_case):
    """What the database holds (a leak, a backup) does not authenticate."""
    token = get_token().json()["token"]
    row = AuthToken.objects.get(user=owner)
    assert token not in str(
        AuthToken.objects.filter(pk=row.pk).values("digest", "token_key", "created", "expiry")
    )
    assert row.token_key == token[:15] and len(token) == 64
    for leaked in (row.digest, row.token_key, row.digest[:64]):
        assert not works(leaked)
    assert works(token)


def test_delete_revokes_the_token_of_the_request(owner, use_case):
    token, other = api_token(owner), api_token(owner)
    response = api(token).delete(URL)
    assert response.status_code == 204
    assert not works(token)
    assert api(token).delete(URL).status_code == 401
    assert works(other)  # the user's other tokens (other scripts, other devices) stay


def test_delete_needs_a_token(owner, client_for):
    assert APIClient().delete(URL).status_code == 401
    # A browser session has no token to revoke.
    response = client_for(owner).delete(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_password_change_revokes_every_token(owner, use_case):
    tokens = [api_token(owner), api_token(owner)]
    owner.set_password("a-new-long-password-42")
    owner.save()
    assert not any(works(token) for token in tokens)
    assert not AuthToken.objects.filter(user=owner).exists()


def test_password_reset_form_revokes_tokens(owner, use_case):
    """``SetPasswordForm`` is what the password reset confirmation and the admin use."""
    token = api_token(owner)
    form = SetPasswordForm(
        owner, {"new_password1": "another-long-pass-77", "new_password2": "another-long-pass-77"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not works(token)


def test_admin_password_change_revokes_tokens(owner, use_case, admin_user, client):
    token = api_token(owner)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{owner.pk}/password/",
        {
            "usable_password": "true",
            "password1": "admin-chosen-pass-91",
            "password2": "admin-chosen-pass-91",
        },
    )
    assert response.status_code == 302, response.content[:500]
    owner.refresh_from_db()
    assert owner.check_password("admin-chosen-pass-91")
    assert not works(token)


def test_saving_a_user_without_a_new_password_keeps_tokens(owner, use_case):
    token = api_token(owner)
    owner.first_name = "Olivia-Maria"
    owner.save()
    owner.last_login = timezone.now()
    owner.save(update_fields=["last_login"])
    assert works(token)


class CheaperPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000


@override_settings(
    PASSWORD_HASHERS=[
        "tests.api.test_auth_token.CheaperPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
def test_django_rehashing_an_unchanged_password_keeps_tokens(owner, use_case):
    """After an upgrade Django re-hashes a password with the preferred hasher at the next login;
    the password did not change, so the tokens stay."""
    owner.password = make_password(PASSWORD, hasher="md5")
    owner.save(update_fields=["password"])
    token = api_token(owner)
    assert get_token().status_code == 200  # checks the password: re-hashed with PBKDF2
    owner.refresh_from_db()
    assert owner.password.startswith("pbkdf2_sha256$1000$")
    assert works(token)


def test_wrong_password_is_400_and_counted_by_axes(owner):
    response = get_token(password="wrong")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not AuthToken.objects.filter(user=owner).exists()
    attempt = AccessAttempt.objects.get(username="olivia")
    assert attempt.failures_since_start == 1


def test_missing_fields_is_400(owner):
    response = APIClient().post(URL, {"username": "olivia"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_locked_out_user_gets_no_token_even_with_the_right_password(owner):
    for _ in range(3):
        get_token(password="wrong")
    response = get_token()
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert not AuthToken.objects.filter(user=owner).exists()


def test_a_user_keeps_at_most_ten_tokens(owner, use_case):
    start = timezone.now()
    tokens = []
    for minute in range(10):
        with time_machine.travel(start + datetime.timedelta(minutes=minute), tick=False):
            tokens.append(api_token(owner))
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        newest = get_token().json()["token"]
    assert AuthToken.objects.filter(user=owner).count() == 10
    assert not works(tokens[0])  # the oldest made room
    assert works(tokens[1]) and works(newest)


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-key", "Token " + "0" * 64, "Token \xe9\xff\xfe", "Token a b"],
)
def test_bad_token_is_refused(use_case, header):
    # Token authentication comes first in settings: 401 with the challenge a client can act on.
    response = APIClient().get("/api/v1/use-cases/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_drops_the_old_plaintext_token_table():
    """``usecases.0007``: DRF's ``authtoken_token`` held tokens in plain text; it goes."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("usecases.migrations.0007_drop_plaintext_api_tokens")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES ('4213fe3fca44', NULL)")
    assert "authtoken_token" in connection.introspection.table_names()
    with connection.schema_editor() as editor:
        migration.drop_plaintext_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.schema_editor() as editor:  # a database that never had it: nothing to do
        migration.drop_plaintext_tokens(apps, editor)
