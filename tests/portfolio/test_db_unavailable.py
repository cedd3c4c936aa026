"""The database out of reach while a request is served (issue 20; ``portfolio/db_unavailable.py``):
a 503 with ``Retry-After`` — the styled page, JSON under ``/api/`` and at ``/healthz`` — never a
500, logged once at WARNING without a traceback; and the site recovers by itself.

No mock of the database: the PostgreSQL tests point the app's connection at a port where nothing
listens (every query fails as while PostgreSQL restarts: connection refused), or terminate its
server process (what a restart does to a kept connection). The page tests with a failing view
block every query while the 503 renders: it needs none.
"""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from portfolio.db_unavailable import RETRY_AFTER
from portfolio.errors import DEFAULTS
from reviews.models import WeeklyReview
from tests.conftest import api_token

from .test_error_pages import NAV, assert_in_layout

ERROR_URLS = pytest.mark.urls("tests.portfolio.error_urls")
MESSAGE = DEFAULTS[503]


def assert_503_json(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert json.loads(response.content) == {"detail": MESSAGE}


def assert_503_page(response) -> str:
    html = assert_in_layout(response, 503, MESSAGE)
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "Briefly unavailable" in html
    assert '<a class="button primary" href="">Try again</a>' in html  # this address, again
    assert NAV not in html and "Log out" not in html  # nothing that needs the database
    return html


# --- a view fails: the 503 needs no database ----------------------------------------------------


@ERROR_URLS
@pytest.mark.parametrize("role", ["anonymous", "owner"])
def test_503_page_needs_no_database(role, role_users, django_db_blocker):
    client = Client()  # not raise_request_exception=False: nothing may reach Django's 500 path
    user = None if role == "anonymous" else role_users[role]
    if user is not None:
        client.force_login(user)
    with django_db_blocker.block():  # any query now raises: the page must make none
        response = client.get("/test-errors/database-down/")
    assert_503_page(response)
    if user is not None:
        assert user.username not in response.content.decode()


@ERROR_URLS
@pytest.mark.parametrize(
    "path", ["/api/v1/test-errors/database-down/", "/api/v1/test-errors/connection-closed/"]
)
def test_api_503_is_the_same_json_from_drf_and_from_django(path, django_db_blocker):
    """A DRF view's error passes DRF's exception handler (usecases.api_errors) untouched and is
    answered like a plain view's: one body, one status, one header."""
    with django_db_blocker.block():
        response = Client().get(path)
    assert_503_json(response)


@ERROR_URLS
def test_logged_once_at_warning_without_traceback(caplog):
    with caplog.at_level(logging.INFO):
        response = Client().get("/test-errors/database-down/")
    assert response.status_code == 503
    records = [r for r in caplog.records if r.name.startswith(("django", "portfolio"))]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        (
            "WARNING",
            "database unavailable: GET /test-errors/database-down/ "
            "(OperationalError: could not connect to server: Connection refused)",
        )
    ]
    assert records[0].exc_info is None


@ERROR_URLS
def test_other_errors_stay_500(django_db_blocker):
    with django_db_blocker.block():
        response = Client(raise_request_exception=False).get("/test-errors/crash/")
    assert response.status_code == 500
    assert "Retry-After" not in response


# --- PostgreSQL out of reach: refused connections -----------------------------------------------


@contextmanager
def database_away():
    """Until the block ends the app's connection points at a local port that is bound but not
    listening: every connection attempt is refused, as while PostgreSQL restarts."""
    saved = dict(connection.settings_dict)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(holder.getsockname()[1]))
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


@pytest.fixture
def pg(transactional_db):
    """No test transaction around the test (a connection closed inside it could not roll back)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL server to lose")


PAGES = ["/", "/portfolio/", "/use-cases/{pk}/", "/inbox/", "/reviews/flags/"]


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "pmo"])
@pytest.mark.parametrize("where", ["view", "middleware"])
def test_pages_answer_503_while_the_database_is_away(
    where, role, role_users, use_case, settings, pg, caplog
):
    """``view``: the session is first read by the view (the middleware's 503);
    ``middleware``: by the two-factor check before the view (handler500's 503 — Django signals
    the exception, which the test client would raise again: not here)."""
    settings.MFA_REQUIRED = where == "middleware"
    client = Client(raise_request_exception=where == "view")
    client.force_login(role_users[role])
    urls = [url.format(pk=use_case.pk) for url in PAGES]
    with database_away(), caplog.at_level(logging.INFO):
        for url in urls:
            started = time.monotonic()
            response = client.get(url)
            assert time.monotonic() - started < 2, url
            assert_503_page(response)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.levelname, r.exc_info) for r in warnings] == [("WARNING", None)] * len(urls)
    assert "database unavailable: GET /portfolio/ (OperationalError: " in caplog.text
    # The database is back: the same client, the same pages, no restart of anything (a PMO
    # member who must set up two-factor sign-in is sent to do so).
    expected = 302 if settings.MFA_REQUIRED and role == "pmo" else 200
    for url in urls:
        assert client.get(url).status_code == expected, url


@pytest.mark.postgres
def test_the_api_answers_503_and_stores_nothing(use_case, contributor, pg):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(contributor)}")
    body = {
        "use_case": use_case.pk,
        "week": "2026-W10",
        "active_users": 50,
        "target_users": 100,
        "tasks_total": 400,
        "tasks_with_ai": 300,
        "reworked_outputs": 10,
        "exceptions": 2,
        "minutes_saved_per_task": "5.00",
        "rework_minutes_per_output": "4.00",
        "quality_score": "90",
        "backlog": 30,
        "declared_hours_saved": "10",
    }
    with database_away():
        assert_503_json(api.get("/api/v1/use-cases/"))
        assert_503_json(api.get(f"/api/v1/use-cases/{use_case.pk}/"))
        assert_503_json(api.post("/api/v1/weekly-reviews/", body, format="json"))
    assert not WeeklyReview.objects.exists()
    assert api.get(f"/api/v1/use-cases/{use_case.pk}/").status_code == 200
    response = api.post("/api/v1/weekly-reviews/", body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.postgres
def test_healthz_answers_503_while_the_database_is_away(pg):
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    with database_away():
        assert_503_json(client.get("/healthz"))
    assert client.get("/healthz").status_code == 200


# --- a kept connection that went stale (PostgreSQL restarted) -----------------------------------


def _serve(path: str) -> int:
    """One request through Django's WSGI handler as gunicorn calls it: ``request_started`` and
    ``request_finished`` (which check and close connections) fire as in production; the test
    client turns both off."""
    handler = WSGIHandler()
    statuses = []
    response = handler(RequestFactory().get(path).environ, lambda s, h: statuses.append(s))
    b"".join(response)
    response.close()
    return int(statuses[0].split()[0])


def _terminate_server_process_of_the_connection():
    """What ``pg_ctl restart`` does to every kept connection: its server process ends."""
    pid = connection.connection.info.backend_pid
    params = {**connection.get_connection_params(), "autocommit": True}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(50):
            row = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if row is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"server process {pid} did not end")


@pytest.mark.postgres
@pytest.mark.parametrize("health_checks", [True, False])
def test_a_stale_kept_connection_is_replaced(health_checks, pg):
    """CONN_MAX_AGE > 0 keeps the connection between requests. With health checks (the settings
    turn them on whenever CONN_MAX_AGE > 0) the first request after the server process died gets
    a new connection; without them it fails (503) and Django drops the connection at its end, so
    the request after it works."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=health_checks)
    try:
        assert _serve("/healthz") == 200
        assert connection.connection is not None  # kept
        _terminate_server_process_of_the_connection()
        assert _serve("/healthz") == (200 if health_checks else 503)
        assert _serve("/healthz") == 200
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


SETTINGS_DUMP = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps([
    db["CONN_MAX_AGE"],
    db["CONN_HEALTH_CHECKS"],
    db["OPTIONS"]["connect_timeout"],
    db["OPTIONS"].get("prepare_threshold"),
]))
"""

#: psycopg's threshold when prepared statements are on: a count no statement reaches, so only
#: ``usecases.prepared_sql.prepared_cursor``'s are prepared.
ASKED_ONLY = 2**62


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CONN_MAX_AGE": "60"}, [60, True, 3, ASKED_ONLY]),
        ({"CONN_MAX_AGE": "0"}, [0, False, 3, ASKED_ONLY]),
        ({"CONN_MAX_AGE": "60", "DATABASE_CONNECT_TIMEOUT": "7"}, [60, True, 7, ASKED_ONLY]),
        ({"CONN_MAX_AGE": "60", "DATABASE_PREPARED_STATEMENTS": "false"}, [60, True, 3, None]),
    ],
)
def test_kept_connections_are_health_checked_and_connecting_fails_fast(env, expected):
    """As gunicorn reads the settings (a process of its own): a kept connection is checked before
    a request uses it, connecting gives up after 3 s unless told otherwise, and the fixed-shape
    statements are prepared unless ``DATABASE_PREPARED_STATEMENTS=false``."""
    base = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DATABASE_URL")}
    base.pop("DATABASE_CONNECT_TIMEOUT", None)
    base.pop("DATABASE_PREPARED_STATEMENTS", None)
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_DUMP],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "portfolio.settings",
            "DATABASE_URL": "postgres://valuegate@db.invalid:5432/valuegate",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
