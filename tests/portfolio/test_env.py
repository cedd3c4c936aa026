"""Settings from the environment refuse what they cannot read (``portfolio.env``).

The settings modules are run afresh here (``runpy``) with a changed environment; Django's own
settings, read once at start-up, are not touched. ``tests/security/test_production_settings.py``
shows the same refusal stopping ``manage.py check`` in a process of its own.
"""

import ast
import runpy
import sys
import types
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portfolio import env

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILES = ("portfolio/settings.py", "portfolio/settings_production.py")

#: Every number the settings read from the environment. A new one is added here, and
#: docs/deploy.md names its range.
NUMBERS = {
    "CONN_MAX_AGE",
    "DATABASE_PARALLEL_WORKERS",
    "DATABASE_PARALLEL_SETUP_COST",
    "DATABASE_CONNECT_TIMEOUT",
    "AXES_FAILURE_LIMIT",
    "LOGIN_CHECKS_PER_IP_PER_MINUTE",
    "LOGIN_CHECKS_PER_SECOND",
    "API_TOKEN_TTL_DAYS",
    "EMAIL_PORT",
    "VALUEGATE_CADENCE_INTERVAL",
    "VALUEGATE_CADENCE_LOOKBACK_WEEKS",
    "VALUEGATE_CADENCE_LOOKBACK_MONTHS",
    "VALUEGATE_EMAIL_LEASE",
    "VALUEGATE_EMAIL_MAX_ATTEMPTS",
    "VALUEGATE_EMAIL_MAX_AGE_HOURS",
    "VALUEGATE_ALERT_MAX_ATTEMPTS",
    "VALUEGATE_ALERT_BACKOFF",
    "VALUEGATE_ALERT_LEASE",
    "VALUEGATE_ALERT_TIMEOUT",
    "VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS",
    "VALUEGATE_GATE_QUORUM",
    "VALUEGATE_OTLP_MAX_BODY_BYTES",
    "VALUEGATE_OTLP_REQUESTS_PER_MINUTE",
    "VALUEGATE_TELEMETRY_WINDOW_DAYS",
    "VALUEGATE_TELEMETRY_REWORK_BELOW",
    "VALUEGATE_OTLP_LOCK_TIMEOUT_MS",
    "VALUEGATE_OTLP_STATEMENT_TIMEOUT_MS",
    "VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS",
    "VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES",
    "VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS",
    "SECURE_HSTS_SECONDS",
}
SWITCHES = (
    "DEBUG",
    "DATABASE_JIT",
    "DATABASE_PREPARED_STATEMENTS",
    "AXES_ENABLED",
    "EMAIL_USE_TLS",
    "SSO_ONLY",
    "VALUEGATE_CADENCE_ON_WORKER_START",
    "SECURE_SSL_REDIRECT",
    "MFA_REQUIRED",
)
OTHERS = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "LOG_LEVEL", "TRUSTED_PROXIES", "ALERT_ALLOWED_NETWORKS")


@pytest.fixture
def production(monkeypatch, tmp_path):
    """Runs both settings modules as production would read the environment; returns the
    production module's names. Every number is read (PostgreSQL, SMTP)."""
    for name in [*NUMBERS, *SWITCHES, *OTHERS]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "valuegate.example.com")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:1/x")
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("VALUEGATE_VAR_DIR", str(tmp_path))

    def read(**values) -> dict:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        env.NUMBER_BOUNDS.clear()
        fresh = types.ModuleType("portfolio.settings")
        fresh.__dict__.update(runpy.run_path(str(BASE_DIR / "portfolio/settings.py")))
        # ``from .settings import *`` in the production module takes this run's names.
        monkeypatch.setitem(sys.modules, "portfolio.settings", fresh)
        return runpy.run_module("portfolio.settings_production")

    return read


def test_every_number_is_read_through_the_checked_reader(production):
    production()
    assert set(env.NUMBER_BOUNDS) == NUMBERS


def test_no_setting_converts_the_environment_by_hand():
    """``int(os.environ…)`` or ``float(os.environ…)`` would skip the checks."""
    for path in SETTINGS_FILES:
        tree = ast.parse((BASE_DIR / path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"int", "float"}:
                assert "environ" not in ast.unparse(node), f"{path}:{node.lineno}"


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_each_number_refuses_what_is_past_its_bounds(production, name):
    production()
    low, high = env.NUMBER_BOUNDS[name]
    whole = isinstance(high, int)
    past_high = str(high + 1) if whole else f"{high:g}.5"
    refused = [past_high, "-1", "two", "1e400", "nan", "inf", "\uff12", "2\u00a0000"]
    if low > 0:
        refused.append("0")
    if whole:
        refused += ["1.5", "1_000"]
    for value in refused:
        with pytest.raises(ImproperlyConfigured) as error:
            production(**{name: value})
        kind = "whole number" if whole else "number"
        bounds = f"{low:,} to {high:,}" if whole else f"{low:,g} to {high:,g}"
        assert str(error.value) == f"{name} must be a {kind} from {bounds}, not {value!r}."
    # The bounds themselves are allowed; blank is the default.
    for value in (str(low), str(high) if whole else f"{high:g}", " "):
        production(**{name: value})


@pytest.mark.parametrize(
    "value, expected",
    [("true", True), (" ON ", True), ("1", True), ("Yes", True)]
    + [("false", False), ("off", False), ("0", False), ("NO", False)],
)
def test_switches_read_the_usual_words(production, value, expected):
    settings = production(SECURE_SSL_REDIRECT=value, MFA_REQUIRED=value)
    assert settings["SECURE_SSL_REDIRECT"] is expected
    assert settings["MFA_REQUIRED"] is expected


@pytest.mark.parametrize("name", SWITCHES)
def test_a_misspelt_switch_stops_start_up(production, name):
    """``SECURE_SSL_REDIRECT=flase`` used to read as false: HTTPS redirect off, silently."""
    for value in ("flase", "ture", "2", "y", "enabled"):
        with pytest.raises(ImproperlyConfigured) as error:
            production(**{name: value})
        assert str(error.value) == (
            f"{name} must be true or false (1/0, yes/no, on/off), not {value!r}."
        )


def test_blank_is_the_default(production):
    settings = production(
        SECURE_SSL_REDIRECT="",
        MFA_REQUIRED="  ",
        VALUEGATE_GATE_QUORUM="",
        VALUEGATE_TELEMETRY_REWORK_BELOW=" ",
        CONN_MAX_AGE="",
    )
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["MFA_REQUIRED"] is True
    assert settings["VALUEGATE_GATE_QUORUM"] is None
    assert settings["VALUEGATE_TELEMETRY"]["rework_below"] == 0.5
    assert settings["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_numbers_arrive_as_written(production):
    settings = production(
        VALUEGATE_GATE_QUORUM=" 3 ",
        VALUEGATE_TELEMETRY_REWORK_BELOW="0.25",
        VALUEGATE_ALERT_TIMEOUT="2.5",
        EMAIL_PORT="587",
        SECURE_HSTS_SECONDS="0",
        DATABASE_PARALLEL_WORKERS="0",
    )
    assert settings["VALUEGATE_GATE_QUORUM"] == 3
    assert settings["VALUEGATE_TELEMETRY"]["rework_below"] == 0.25
    assert settings["VALUEGATE_ALERT_TIMEOUT"] == 2.5
    assert settings["MAILERS"]["default"]["OPTIONS"]["port"] == 587
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert (
        "max_parallel_workers_per_gather=0"
        in settings["DATABASES"]["default"]["OPTIONS"]["options"]
    )


@pytest.mark.parametrize("value", ["verbose", "warn", "INFO,DEBUG", "10"])
def test_an_unknown_log_level_stops_start_up(production, value):
    with pytest.raises(ImproperlyConfigured) as error:
        production(LOG_LEVEL=value)
    assert str(error.value) == (
        f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {value!r}."
    )


def test_a_log_level_is_read_in_any_case(production):
    assert production(LOG_LEVEL=" warning ")["LOGGING"]["root"]["level"] == "WARNING"
    assert production(LOG_LEVEL="")["LOGGING"]["root"]["level"] == "INFO"


@pytest.mark.parametrize("name", ["TRUSTED_PROXIES", "ALERT_ALLOWED_NETWORKS"])
@pytest.mark.parametrize("entry", ["10.20.0.0/33", "10.0.0.256", "proxy.example.com", "::g"])
def test_a_bad_network_stops_start_up(production, name, entry):
    """``ALERT_ALLOWED_NETWORKS=10.20.0.0/33`` used to start, then fail with a 500 when a chat
    channel was saved (``usecases.egress`` parsed it there)."""
    with pytest.raises(ImproperlyConfigured) as error:
        production(**{name: f"192.168.0.0/16, {entry}"})
    assert str(error.value) == (
        f"{name} must list IP addresses or networks such as 10.20.0.0/16, separated by "
        f"commas; {entry!r} is neither."
    )


def test_networks_are_read_as_networks(production):
    settings = production(
        TRUSTED_PROXIES=" 10.0.0.5/8 , ,::1", ALERT_ALLOWED_NETWORKS="172.16.0.0/12"
    )
    assert settings["TRUSTED_PROXIES"] == ["10.0.0.0/8", "::1/128"]
    assert settings["VALUEGATE_ALERT_ALLOWED_NETWORKS"] == ["172.16.0.0/12"]
    assert production(TRUSTED_PROXIES="", ALERT_ALLOWED_NETWORKS=" ")["TRUSTED_PROXIES"] == []
