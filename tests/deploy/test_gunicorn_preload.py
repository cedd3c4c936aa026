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

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from .gunicorn_support import production_gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the production settings' database"
    ),
]


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
    with production_gunicorn(tmp_path, GUNICORN_MAX_REQUESTS="10", CONN_MAX_AGE="0") as (
        server,
        port,
    ):
        base_url = f"http://127.0.0.1:{port}"
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
    assert statuses == [200] * 60, server.log()[-2000:]
    assert len(seen) >= 4, f"workers were not recycled: {sorted(seen)}"
    # Preloaded: the master holds Django and the app (~half a worker's memory or more); a master
    # that only imported gunicorn holds a fraction of it.
    assert master_kib >= worker_kib // 2, (master_kib, worker_kib)
