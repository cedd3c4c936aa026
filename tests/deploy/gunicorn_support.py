"""A real gunicorn of the production shape (gunicorn.conf.py, the production settings) on the
test database, for the tests of the deployment: ``production_gunicorn``."""

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

from django.db import connection

from benchmarks import pg_restart

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("VALUEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def production_gunicorn(run_dir: Path, **env):
    """gunicorn started on a free port with ``env`` over the bench's production environment
    (``pg_restart.production_env``: two sync workers, no recycling), its static manifest
    collected; yields ``(server, port)`` once /healthz answers, and stops it afterwards."""
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    port = _free_port()
    environment = pg_restart.production_env(
        database_url=database_url, redis_url=REDIS_URL, port=port, run_dir=run_dir
    )
    environment.update(env)
    subprocess.run(  # the manifest the production settings' static storage reads
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=environment,
        check=True,
        timeout=120,
    )
    server = pg_restart.Gunicorn(environment, run_dir / "web.log")
    try:
        server.start(f"http://127.0.0.1:{port}")
        yield server, port
    finally:
        server.stop()
