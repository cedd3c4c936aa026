"""Validate docker-compose.yml and the Dockerfile without a Docker engine.

``python scripts/validate_compose.py`` prints every problem and exits 1 if there is one; the test
``tests/deploy/test_compose.py`` runs the same checks. When the Docker CLI has the compose plugin,
``docker compose config --quiet`` runs as well (it needs no engine).

What "the production shape" means here (DESIGN.md, issue 9): PostgreSQL with a named volume and a
pg_isready health check, Redis with a redis-cli ping health check, a one-shot ``migrate`` that the
app services wait for, gunicorn ``web`` with a /healthz health check, a Celery ``worker`` and one
Celery ``beat`` whose schedule file lives in a volume; the app services share one image built from
the Dockerfile and get DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and ALLOWED_HOSTS from the
environment, the secrets without defaults.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
REQUIRED_SERVICES = ("db", "redis", *APP_SERVICES)
REQUIRED_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS")
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS")
#: Where an environment variable of the app services may be read.
ENV_READERS = (
    "portfolio/settings.py",
    "portfolio/settings_production.py",
    "gunicorn.conf.py",
    "scripts/healthcheck.py",
)
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[?-])?")
ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\(|environ\[|env_[a-z]+\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _healthcheck(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test", "")
    return " ".join(test) if isinstance(test, list) else str(test)


def _depends(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):  # short form: no condition
        return {name: "service_started" for name in depends}
    return {
        name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()
    }


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _named_volumes(service: dict) -> dict[str, str]:
    """{volume name: mount path} of the service's named volumes (bind mounts left out)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type", "volume") == "volume":
                mounts[volume["source"]] = volume["target"]
            continue
        source, _, target = volume.partition(":")
        if source and not source.startswith((".", "/", "~", "$")):
            mounts[source] = target.split(":")[0]
    return mounts


def check_compose(compose: dict, raw: str) -> list[str]:
    errors: list[str] = []
    services = compose.get("services") or {}
    declared_volumes = set((compose.get("volumes") or {}).keys())

    missing = [name for name in REQUIRED_SERVICES if name not in services]
    if missing:
        return [f"services missing: {', '.join(missing)}"]

    for name, service in services.items():
        for target in _depends(service):
            if target not in services:
                errors.append(f"{name}: depends on unknown service {target!r}")
        for volume in _named_volumes(service):
            if volume not in declared_volumes:
                errors.append(f"{name}: volume {volume!r} is not declared under volumes:")

    db, redis = services["db"], services["redis"]
    if not str(db.get("image", "")).startswith("postgres:"):
        errors.append("db: image must be postgres:<version>")
    if "/var/lib/postgresql/data" not in _named_volumes(db).values():
        errors.append("db: the data directory needs a named volume")
    if "pg_isready" not in _healthcheck(db):
        errors.append("db: health check must run pg_isready")
    if not str(redis.get("image", "")).startswith("redis:"):
        errors.append("redis: image must be redis:<version>")
    if not re.search(r"redis-cli\b.*\bping\b", _healthcheck(redis)):
        errors.append("redis: health check must run redis-cli ping")

    images = set()
    for name in APP_SERVICES:
        service = services[name]
        if service.get("build") not in (".", {"context": "."}):
            errors.append(f"{name}: must build the image from the Dockerfile here (build: .)")
        images.add(service.get("image"))
        env = _environment(service)
        for key in REQUIRED_ENV:
            if not env.get(key):
                errors.append(f"{name}: environment lacks {key}")
        if env.get("DJANGO_SETTINGS_MODULE") != "portfolio.settings_production":
            errors.append(f"{name}: DJANGO_SETTINGS_MODULE must be portfolio.settings_production")
        if "@db:" not in env.get("DATABASE_URL", ""):
            errors.append(f"{name}: DATABASE_URL must point at the db service")
        if not env.get("CELERY_BROKER_URL", "").startswith("redis://redis:"):
            errors.append(f"{name}: CELERY_BROKER_URL must point at the redis service")
        if name != "migrate":
            depends = _depends(service)
            if depends.get("migrate") != "service_completed_successfully":
                errors.append(f"{name}: must wait for migrate (service_completed_successfully)")
            if depends.get("redis") != "service_healthy":
                errors.append(f"{name}: must wait for redis to be healthy")
    if len(images) != 1:
        errors.append("app services must share one image")

    migrate = services["migrate"]
    if not re.search(r"manage\.py migrate\b.*--noinput", _command(migrate)):
        errors.append("migrate: command must be `manage.py migrate --noinput`")
    if str(migrate.get("restart", "no")) != "no":
        errors.append("migrate: a one-shot service must not restart")
    if _depends(migrate).get("db") != "service_healthy":
        errors.append("migrate: must wait for db to be healthy")

    web = services["web"]
    if not re.search(r"\bgunicorn\b.*gunicorn\.conf\.py", _command(web)):
        errors.append("web: command must be gunicorn with gunicorn.conf.py")
    if "healthcheck.py" not in _healthcheck(web) and "/healthz" not in _healthcheck(web):
        errors.append("web: health check must ask /healthz")
    if not web.get("ports"):
        errors.append("web: must publish its port")

    if not re.search(r"\bcelery\b.*--app=portfolio\b.*\bworker\b", _command(services["worker"])):
        errors.append("worker: command must be `celery --app=portfolio worker`")

    beat = services["beat"]
    beat_command = _command(beat)
    if not re.search(r"\bcelery\b.*--app=portfolio\b.*\bbeat\b", beat_command):
        errors.append("beat: command must be `celery --app=portfolio beat`")
    schedule = re.search(r"--schedule[= ](\S+)", beat_command)
    mounts = _named_volumes(beat).values()
    if not schedule or not any(schedule.group(1).startswith(m.rstrip("/") + "/") for m in mounts):
        errors.append("beat: --schedule must name a file in a named volume")
    if beat.get("deploy", {}).get("replicas", 1) != 1:
        errors.append("beat: there must be exactly one beat")

    # Secrets come from .env and must be given: `${NAME:?message}`, never a default.
    for name in SECRETS:
        uses = [m for m in VARIABLE.finditer(raw) if m.group(1) == name]
        if not uses:
            errors.append(f"{name} is never taken from the environment")
        elif any(m.group(2) != ":?" for m in uses):
            errors.append(f"{name} must be required (${{{name}:?...}}), without a default")
    return errors


def check_dockerfile(text: str) -> list[str]:
    errors = []
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    froms = [line for line in lines if line.upper().startswith("FROM ")]
    if not froms or not froms[-1].split()[1].startswith("python:3.12-slim"):
        errors.append("Dockerfile: the final stage must be FROM python:3.12-slim")
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        errors.append("Dockerfile: must switch to a non-root USER")
    if "collectstatic" not in text:
        errors.append("Dockerfile: must collect static files at build time")
    if "pyproject.toml" not in text:
        errors.append("Dockerfile: must install the pinned dependencies of pyproject.toml")
    cmd = [line for line in lines if line.upper().startswith("CMD ")]
    if not cmd or "gunicorn" not in cmd[-1]:
        errors.append("Dockerfile: the default command must be gunicorn")
    return errors


def check_references(compose: dict, raw: str, root: Path) -> list[str]:
    """Files the commands name exist; every variable the app services get is read somewhere."""
    errors = []
    for name, service in (compose.get("services") or {}).items():
        text = f"{_command(service)} {_healthcheck(service)}"
        for path in re.findall(r"[\w./-]+\.py\b", text):
            if not (root / path).exists():
                errors.append(f"{name}: {path} does not exist")
    readers = "\n".join((root / path).read_text() for path in ENV_READERS if (root / path).exists())
    service_env = set()
    for name in APP_SERVICES:
        service_env |= set(_environment(compose["services"][name]))
    for key in sorted(service_env - {"DJANGO_SETTINGS_MODULE"}):
        if f'"{key}"' not in readers:
            errors.append(f"environment variable {key} is read by none of {', '.join(ENV_READERS)}")
    return errors


def check_docs(raw: str, root: Path) -> list[str]:
    """Every variable the compose file or the settings read is in docs/deploy.md."""
    docs = root / "docs" / "deploy.md"
    if not docs.exists():
        return ["docs/deploy.md is missing"]
    text = docs.read_text()
    names = {m.group(1) for m in VARIABLE.finditer(raw)}
    for path in ENV_READERS:
        if (root / path).exists():
            names |= {m.group(1) for m in ENV_READ.finditer((root / path).read_text())}
    return [
        f"docs/deploy.md does not explain {name}"
        for name in sorted(names)
        if f"`{name}`" not in text
    ]


def validate(root: Path = ROOT) -> list[str]:
    raw = (root / "docker-compose.yml").read_text()
    compose = yaml.safe_load(raw)
    return (
        check_compose(compose, raw)
        + check_dockerfile((root / "Dockerfile").read_text())
        + check_references(compose, raw, root)
        + check_docs(raw, root)
    )


def docker_compose_config(root: Path = ROOT) -> str | None:
    """``docker compose config --quiet`` if the compose plugin is there; None when it is not."""
    docker = shutil.which("docker")
    if not docker:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    env = {"POSTGRES_PASSWORD": "x", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.com"}
    result = subprocess.run(
        [docker, "compose", "-f", str(root / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    return "" if result.returncode == 0 else result.stderr.strip() or result.stdout.strip()


def main() -> int:
    errors = validate()
    compose_cli = docker_compose_config()
    if compose_cli:
        errors.append(f"docker compose config: {compose_cli}")
    for error in errors:
        print(f"  ✗ {error}")
    cli = "not available" if compose_cli is None else "ok" if compose_cli == "" else "failed"
    print(
        f"docker-compose.yml + Dockerfile: {'OK' if not errors else f'{len(errors)} problem(s)'}"
        f" (structural checks; docker compose config: {cli})"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
