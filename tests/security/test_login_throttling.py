"""Brute force against the login page and the API token endpoint.

- django-axes (``portfolio/throttling.py``): after ``AXES_FAILURE_LIMIT`` failures for one
  username (from any address) or from one client address (for any usernames), both entry points
  answer 429 with ``Retry-After``, even to the right password; they share one failure count.
- the login limits (``portfolio/login_limits.py``): password checks per client address and for
  the whole site, counted in the cache; over a limit, 429 with ``Retry-After`` and no check.
- the client address behind trusted proxies (``portfolio/client_ip.py``).
"""

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.core.cache import cache
from django.urls import reverse

from portfolio.sso import PasswordBackend
from tests.conftest import PASSWORD

LIMIT = 3


@pytest.fixture(autouse=True)
def _axes(settings, db):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    axes_reset()
    yield
    axes_reset()


@pytest.fixture
def password_checks(monkeypatch):
    """The usernames whose password the password backend (``portfolio.sso.PasswordBackend``,
    allauth's ``ModelBackend``) actually checked (the expensive part)."""
    checked = []
    original = PasswordBackend.authenticate

    def counting(self, request, **credentials):
        checked.append(credentials.get("username"))
        return original(self, request, **credentials)

    monkeypatch.setattr(PasswordBackend, "authenticate", counting)
    return checked


def login(client, password, username="olivia", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def get_token(client, password, username="olivia", **extra):
    return client.post(reverse("api:token"), {"username": username, "password": password}, **extra)


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


def test_a_locked_username_is_locked_from_every_address(client, owner, other_owner):
    for _ in range(LIMIT):
        login(client, "wrong", REMOTE_ADDR="10.0.0.1")
    # The same account from another address: still locked (it was per username + address).
    response = login(client, PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.8").status_code == 429
    # Another account from another address is not affected.
    assert login(client, PASSWORD, username="oscar", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_password_spraying_from_one_address_is_stopped(client, owner, password_checks):
    """12 usernames, one guess each, from one address: only ``LIMIT`` passwords are checked."""
    statuses = [
        login(client, "Winter2026!", username=f"user{n}", REMOTE_ADDR="10.0.0.1").status_code
        for n in range(12)
    ]
    # The LIMIT-th failure locks the address out (and answers 429); no check after it.
    assert statuses == [200] * (LIMIT - 1) + [429] * (12 - LIMIT + 1)
    assert len(password_checks) == LIMIT
    # The address is locked, even for a real user with the right password ...
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429
    # ... and only that address.
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_successful_login_clears_only_that_users_failures(client, owner, other_owner):
    """A sprayer with one valid account of its own cannot log in between guesses to reset the
    count of its address."""
    for n in range(LIMIT - 1):
        login(client, "guess", username=f"victim{n}")
    assert login(client, PASSWORD, username="oscar").status_code == 302
    client.logout()
    assert login(client, "guess", username="victim9").status_code == 429


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


def test_page_lockout_says_when_to_come_back(client, owner):
    for _ in range(LIMIT):
        login(client, "wrong")
    response = login(client, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60


# --- limits on password checks (cache counters) -------------------------------------------------


def test_site_wide_ceiling_on_password_checks(
    client, settings, owner, password_checks, login_clock
):
    """8 anonymous requests from 8 addresses at once: only the ceiling's worth are checked (each
    check is ~350 ms of CPU); the rest are answered at once with 429 and ``Retry-After``."""
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (100, 60), "global": (2, 60)}
    responses = [
        get_token(client, "guess", username=f"u{n}", REMOTE_ADDR=f"10.0.1.{n}") for n in range(4)
    ] + [login(client, "guess", username=f"v{n}", REMOTE_ADDR=f"10.0.2.{n}") for n in range(4)]
    assert [r.status_code for r in responses] == [400, 400] + [429] * 6
    assert len(password_checks) == 2
    # The clock stands 30 s into the window: the next window opens in 30 s.
    assert all(int(r["Retry-After"]) == 30 for r in responses[2:])
    assert "Too many sign-in attempts" in responses[2].json()["detail"]
    assert b"Too many sign-in attempts" in responses[-1].content
    # A refused check is no failed login: nothing is counted against these usernames.
    assert not AccessAttempt.objects.filter(username__in=["u2", "u3", "v0"]).exists()


def test_per_address_limit_on_password_checks(
    client, settings, owner, password_checks, login_clock
):
    """Even right passwords: one address gets ``ip`` checks per window, other addresses theirs."""
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (3, 60), "global": (100, 60)}
    statuses = [get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(password_checks) == 3
    assert login(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert login(client, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_a_new_window_opens_a_new_budget(client, settings, owner, login_clock):
    """Fixed windows: the address that spent its checks waits for the window's end (what
    ``Retry-After`` says), then has its budget again; a second earlier it has not."""
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (2, 60), "global": (100, 60)}
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200
    login_clock.shift(10)
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert wait == 20  # 40 s into the window
    login_clock.shift(wait - 1)
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429
    login_clock.shift(1)
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_the_limits_hold_across_processes_through_the_cache(client, settings, owner, login_clock):
    """The counters live in the cache (Redis in production, one for all gunicorn workers): what
    one worker counted, another sees. Here: the count survives in the cache, not in the process."""
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (100, 60), "global": (1, 60)}
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 429
    cache.clear()  # what a new window (or a flushed cache) does
    assert get_token(client, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_cache_down_fails_open(client, settings, owner):
    """Redis down: logins still work (the lockouts in the database still hold), never a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (0, 60), "global": (0, 60)}
    assert login(client, PASSWORD).status_code == 302


# --- the client address behind the reverse proxy -------------------------------------------------


def test_behind_the_proxy_one_client_cannot_lock_out_the_others(client, settings, owner):
    """Every request reaches gunicorn from the proxy's address. With the proxy trusted, the
    address in X-Forwarded-For is the client: a sprayer locks out its own address only."""
    settings.TRUSTED_PROXIES = ["172.16.0.0/12"]
    proxy = {"REMOTE_ADDR": "172.18.0.1"}
    for n in range(LIMIT):
        login(client, "guess", username=f"u{n}", HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert (
        login(client, "g", username="u9", HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy).status_code
        == 429
    )
    # A spoofed header does not get the sprayer out: the proxy appends the real address.
    spoofed = "198.51.100.1, 203.0.113.66"
    assert (
        login(client, "g", username="u8", HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 429
    )
    # The gate chair, from her own address through the same proxy, logs in.
    response = login(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert response.status_code == 302


def test_without_trusted_proxies_the_header_is_ignored(client, settings, owner):
    settings.TRUSTED_PROXIES = []
    for n in range(LIMIT):
        login(client, "guess", username=f"u{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # The forwarded addresses were not believed: all failures counted against REMOTE_ADDR.
    assert login(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
