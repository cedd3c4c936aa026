"""Brute force against the login page and the API token endpoint is throttled by django-axes.

Lockout is per (username, IP address): after ``AXES_FAILURE_LIMIT`` failures both entry points
answer 429, even to the right password, and the two share one failure count.
"""

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.urls import reverse

from tests.conftest import PASSWORD

LIMIT = 3


@pytest.fixture(autouse=True)
def _axes(settings, db):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    axes_reset()
    yield
    axes_reset()


def login(client, password, username="olivia"):
    return client.post(reverse("login"), {"username": username, "password": password})


def get_token(client, password, username="olivia"):
    return client.post(reverse("api:token"), {"username": username, "password": password})


def test_login_page_locks_after_limit_failures(client, owner):
    for _ in range(LIMIT - 1):
        response = login(client, "wrong")
        assert response.status_code == 200  # the form again, with its error
        assert b"Please enter a correct username and password" in response.content
    response = login(client, "wrong")
    assert response.status_code == 429
    assert b"too many login attempts" in response.content

    response = login(client, PASSWORD)  # the right password no longer helps
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_page_below_limit_still_logs_in(client, owner):
    for _ in range(LIMIT - 1):
        login(client, "wrong")
    response = login(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_successful_login_resets_the_count(client, owner):
    for _ in range(LIMIT - 1):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert login(client, "wrong").status_code == 200
    assert login(client, PASSWORD).status_code == 302


def test_lockout_is_per_username_and_ip(client, owner, other_owner):
    for _ in range(LIMIT):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 429
    # Another account from the same address is not locked out ...
    assert login(client, PASSWORD, username="oscar").status_code == 302
    client.logout()
    # ... nor the same account from another address.
    response = client.post(
        reverse("login"),
        {"username": "olivia", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302


def test_api_token_locks_after_limit_failures(client, owner):
    for _ in range(LIMIT - 1):
        response = get_token(client, "wrong")
        assert response.status_code == 400
        assert "token" not in response.json()
    response = get_token(client, "wrong")
    assert response.status_code == 429
    assert "too many login attempts" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) > 0

    response = get_token(client, PASSWORD)
    assert response.status_code == 429
    assert "token" not in response.json()


def test_api_token_below_limit_still_issues_a_token(client, owner):
    for _ in range(LIMIT - 1):
        get_token(client, "wrong")
    response = get_token(client, PASSWORD)
    assert response.status_code == 200
    assert response.json()["token"]


def test_api_and_login_page_share_one_failure_count(client, owner):
    for _ in range(LIMIT - 1):
        get_token(client, "wrong")
    assert login(client, "wrong").status_code == 429
    assert get_token(client, PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="olivia")
    assert attempt.failures_since_start == LIMIT + 1


def test_unlock_by_reset(client, owner):
    """What an admin does (``manage.py axes_reset_username olivia``) ends the lockout."""
    for _ in range(LIMIT):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 429
    axes_reset(username="olivia")
    assert login(client, PASSWORD).status_code == 302
