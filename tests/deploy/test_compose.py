"""docker-compose.yml and the Dockerfile have the production shape (no Docker engine needed).

The checks live in ``scripts/validate_compose.py`` (also ``make validate-compose``); here they run
on the real files, and on broken copies to prove each check can fail.
"""

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "validate_compose", ROOT / "scripts" / "validate_compose.py"
)
validate_compose = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate_compose)

RAW = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(RAW)
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_real_files_pass():
    assert validate_compose.validate(ROOT) == []


def test_services_and_start_up_order():
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "pgdata" in COMPOSE["volumes"] and "beatschedule" in COMPOSE["volumes"]


def test_app_services_share_the_production_environment():
    for name in ("migrate", "web", "worker", "beat"):
        env = COMPOSE["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "portfolio.settings_production"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")
        assert "@db:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"


def broken(mutate):
    compose = copy.deepcopy(COMPOSE)
    mutate(compose["services"])
    return validate_compose.check_compose(compose, RAW)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s.pop("beat"), "services missing: beat"),
        (lambda s: s["db"].pop("healthcheck"), "db: health check must run pg_isready"),
        (lambda s: s["db"].pop("volumes"), "db: the data directory needs a named volume"),
        (lambda s: s["redis"].pop("healthcheck"), "redis: health check must run redis-cli ping"),
        (
            lambda s: s["web"]["depends_on"].update(migrate={"condition": "service_started"}),
            "web: must wait for migrate",
        ),
        (lambda s: s["migrate"].update(restart="always"), "migrate: a one-shot service"),
        (lambda s: s["web"].pop("healthcheck"), "web: health check must ask /healthz"),
        (
            lambda s: s["worker"]["environment"].pop("CELERY_BROKER_URL"),
            "worker: environment lacks CELERY_BROKER_URL",
        ),
        (lambda s: s["beat"].pop("volumes"), "beat: --schedule must name a file in a named volume"),
        (lambda s: s["worker"].update(image="other:latest"), "app services must share one image"),
        (lambda s: s["web"]["depends_on"].update(cache={}), "web: depends on unknown service"),
    ],
)
def test_each_compose_check_can_fail(mutate, message):
    errors = broken(mutate)
    assert any(message in error for error in errors), errors


def test_a_secret_with_a_default_is_refused():
    raw = RAW.replace("${SECRET_KEY:?", "${SECRET_KEY:-insecure", 1)
    errors = validate_compose.check_compose(COMPOSE, raw)
    assert any("SECRET_KEY must be required" in error for error in errors), errors


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("USER valuegate", "USER root", "non-root USER"),
        ("FROM python:3.12-slim", "FROM python:3.12", "FROM python:3.12-slim"),
        ("collectstatic", "check", "collect static files"),
    ],
)
def test_each_dockerfile_check_can_fail(old, new, message):
    assert old in DOCKERFILE
    errors = validate_compose.check_dockerfile(DOCKERFILE.replace(old, new))
    assert any(message in error for error in errors), errors


def test_undocumented_variable_is_reported():
    raw = RAW.replace("LOG_LEVEL: ${LOG_LEVEL:-INFO}", "LOG_LEVEL: ${NEW_UNDOCUMENTED_KNOB:-x}")
    errors = validate_compose.check_docs(raw, ROOT)
    assert errors == ["docs/deploy.md does not explain NEW_UNDOCUMENTED_KNOB"]


def test_dependencies_come_from_pyproject_and_the_image_runs_gunicorn():
    assert "pyproject.toml" in DOCKERFILE
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py"]' in DOCKERFILE
    assert (ROOT / "gunicorn.conf.py").exists() and (ROOT / "scripts/healthcheck.py").exists()
