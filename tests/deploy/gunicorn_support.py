"""A real gunicorn of the production shape (gunicorn.conf.py, the production settings) on the
test database, for the tests of the deployment: ``production_gunicorn``."""

import contextlib
import subprocess
import sys
from pathlib import Path

from benchmarks import pg_restart
from tests.worker_support import REDIS_URL, worker_database_url

BASE_DIR = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def production_gunicorn(run_dir: Path, **env):
    """gunicorn started on a free port with ``env`` over the bench's production environment
    (``pg_restart.production_env``: two sync workers, no recycling), its static manifest
    collected; yields ``(server, port)`` once /healthz answers, and stops it afterwards."""
    port = pg_restart.free_port()
    environment = pg_restart.production_env(
        database_url=worker_database_url(), redis_url=REDIS_URL, port=port, run_dir=run_dir
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
