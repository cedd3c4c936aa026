"""``portfolio.settings_production`` is hardened and refuses to start half-configured.

Each test runs Django in a subprocess: the settings module is read once per process, and these
tests must see it exactly as gunicorn, the worker and ``check --deploy`` do.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = str(BASE_DIR / "manage.py")


def production_env(**overrides) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "VALUEGATE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio.settings_production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="valuegate.example.com",
        CACHE_URL="redis://127.0.0.1:6379/1",  # the login limits' shared counters (compose)
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env, timeout=60):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SETTINGS_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "ALLOWED_HOSTS", "AXES_ENABLED", "VALUEGATE_BASE_URL",
]} | {"STATICFILES_BACKEND": s.STORAGES["staticfiles"]["BACKEND"],
      "MAIL_BACKEND": s.MAILERS["default"]["BACKEND"]}))
"""


def dump_settings(env) -> dict:
    result = run(["-c", SETTINGS_DUMP], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean():
    result = run([MANAGE, "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_a_weakened_setting():
    """The check above can fail: HSTS switched off is a deploy warning (security.W004)."""
    result = run(
        [MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        production_env(SECURE_HSTS_SECONDS="0"),
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_check_deploy_wants_a_shared_cache_for_the_login_limits():
    result = run(
        [MANAGE, "check", "--deploy", "--fail-level", "WARNING"], production_env(CACHE_URL=None)
    )
    assert result.returncode != 0
    assert "valuegate.W001" in result.stdout + result.stderr


def test_secure_cookies_hsts_and_https():
    s = dump_settings(production_env())
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["ALLOWED_HOSTS"] == ["valuegate.example.com"]
    assert s["AXES_ENABLED"] is True
    assert s["VALUEGATE_BASE_URL"] == "https://valuegate.example.com"  # links in e-mails
    assert s["STATICFILES_BACKEND"] == "portfolio.staticfiles.ManifestStaticFilesStorage"
    assert s["MAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_plain_http_on_loopback_only_by_explicit_opt_out():
    """``make prod-smoke`` serves plain HTTP on 127.0.0.1 with SECURE_SSL_REDIRECT=false."""
    s = dump_settings(production_env(SECURE_SSL_REDIRECT="false"))
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SESSION_COOKIE_SECURE"] is True  # cookies stay secure whatever the redirect


def test_base_url_for_e_mail_links_can_be_set():
    s = dump_settings(production_env(VALUEGATE_BASE_URL="https://vg.example.org/"))
    assert s["VALUEGATE_BASE_URL"] == "https://vg.example.org"


def test_collectstatic_hashes_and_compresses(tmp_path):
    """The image's build step; the stock manifest storage failed on vendored source maps."""
    env = production_env(
        STATIC_ROOT=str(tmp_path / "static"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    result = run([MANAGE, "collectstatic", "--noinput", "--verbosity", "0"], env, timeout=120)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["css/app.css"]
    assert hashed_css != "css/app.css"
    assert (tmp_path / "static" / (hashed_css + ".gz")).exists()
    assert manifest["vendor/htmx-2.0.11.min.js"].startswith("vendor/htmx-2.0.11.min.")


RESPONSE_HEADERS = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
secure = Client(HTTP_HOST="valuegate.example.com").get("/healthz", secure=True)
plain = Client(HTTP_HOST="valuegate.example.com").get("/accounts/login/")
health = Client(HTTP_HOST="valuegate.example.com").get("/healthz")
print(json.dumps({
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "secure_status": secure.status_code,
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "health_status": health.status_code,
}))
"""


def test_https_carries_hsts_and_http_redirects_to_https(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run(["-c", RESPONSE_HEADERS], env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["secure_status"] == 200
    assert out["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert out["plain_status"] == 301
    assert out["plain_location"] == "https://valuegate.example.com/accounts/login/"
    assert out["health_status"] == 200  # exempt: the compose health check speaks plain HTTP


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short-" * 4}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must name"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must name"),
        ({"ALLOWED_HOSTS": ".example.com"}, "VALUEGATE_BASE_URL must be set"),
        *(
            (
                {"DATABASE_URL": "postgres://u:p@127.0.0.1:1/x", name: value},
                f"{name} must be a whole number from 0 to {top:,}, not ",
            )
            for name, top in (
                ("DATABASE_PARALLEL_WORKERS", 64),
                ("DATABASE_PARALLEL_SETUP_COST", 10**9),
            )
            # \uff12: a full-width 2; top + 1: the first number above the bound
            for value in ("\uff12", "-1", "1e400", str(top + 1), "two")
        ),
    ],
)
def test_refuses_to_start_half_configured(overrides, message):
    result = run([MANAGE, "check"], production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, "-c jit=off -c max_parallel_workers_per_gather=2 -c parallel_setup_cost=3000"),
        (
            {"DATABASE_PARALLEL_WORKERS": " 0 ", "DATABASE_PARALLEL_SETUP_COST": "1000"},
            "-c jit=off -c max_parallel_workers_per_gather=0 -c parallel_setup_cost=1000",
        ),
        (
            {"DATABASE_JIT": "true"},
            "-c jit=on -c max_parallel_workers_per_gather=2 -c parallel_setup_cost=3000",
        ),
    ],
)
def test_postgresql_server_options(overrides, expected):
    env = production_env(DATABASE_URL="postgres://u:p@127.0.0.1:1/x", **overrides)
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.DATABASES['default']['OPTIONS']['options'])"
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
