"""gunicorn.conf.py on a real gunicorn: the application is loaded in the master and every worker
is a fork of it (``preload_app``, warmed once in ``when_ready``), so a worker recycled after
``GUNICORN_MAX_REQUESTS`` serves at once instead of importing Django again. Under the mixed load
at 100 req/s that import was the whole p95 (docs/deploy.md, "The worker model").

Here: the production settings against the test database, two sync workers recycled every
~10 requests; every request across the recycling answers 200 (pages from the templates the
master compiled, the database through each fork's own connection); the workers were replaced;
and the master holds the application: its resident memory is of the order of a worker's, not
the ~25 MB of a master that only imported gunicorn.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from benchmarks import pg_restart

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the production settings' database"
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("VALUEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_recycled_workers_are_forks_of_the_loaded_master(tmp_path):
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = pg_restart.production_env(
        database_url=database_url, redis_url=REDIS_URL, port=port, run_dir=tmp_path
    )
    env.update(GUNICORN_MAX_REQUESTS="10", CONN_MAX_AGE="0")
    subprocess.run(  # the manifest the production settings' static storage reads
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    server = pg_restart.Gunicorn(env, tmp_path / "web.log")
    try:
        server.start(base_url)
        first = server.workers()
        assert len(first) == 2, server.log()[-2000:]
        master = server.process.pid
        master_kib, worker_kib = _rss_kib(master), min(_rss_kib(pid) for pid in first)
        seen = set(first)
        statuses = []
        for i in range(60):  # ~3 recycles of each worker (10 requests, jitter 1)
            statuses.append(_get(f"{base_url}/healthz" if i % 2 else f"{base_url}/accounts/login/"))
            seen.update(server.workers())
        deadline = time.monotonic() + 10
        while len(seen) < 4 and time.monotonic() < deadline:  # the last replacement booting
            time.sleep(0.1)
            seen.update(server.workers())
    finally:
        server.stop()
    assert statuses == [200] * 60, server.log()[-2000:]
    assert len(seen) >= 4, f"workers were not recycled: {sorted(seen)}"
    # Preloaded: the master holds Django and the app (~half a worker's memory or more); a master
    # that only imported gunicorn holds a fraction of it.
    assert master_kib >= worker_kib // 2, (master_kib, worker_kib)
