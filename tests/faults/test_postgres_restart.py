"""PostgreSQL restarted under the mixed load (issue 20): requests during the restart fail fast
with 503, none hangs past 10 s, the site recovers by itself, no acknowledged write is lost.

A real fault on real processes (``benchmarks/pg_restart.py``, also ``make fault-pg``): a
PostgreSQL cluster of its own (initdb into a temporary directory, a free port, the ``postgres``
OS user — never the suite's server), migrated and filled with the small generated portfolio;
gunicorn with the production settings, 2 sync workers and ``CONN_MAX_AGE=60``; the mix of
``benchmarks.mix`` (pages and API reads by five roles, new weekly reviews, corrections) open
loop for 40 s while the cluster is restarted (``pg_ctl restart -m fast``) and then crashed
(``stop -m immediate``), left down for 3 s and started again. It runs in a process of its own
(Django there is configured for that cluster, not the test database) with a bounded time; if it
overruns it is stopped (SIGTERM: it stops gunicorn and the cluster), and whatever is left of
either is stopped here. gunicorn's broker is the suite's test Redis database
(``VALUEGATE_TEST_REDIS_URL``), flushed at the end: no test keeps anything there for another.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from benchmarks import pg_restart

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL pass"),
    pytest.mark.skipif(
        shutil.which("runuser") is None or not Path("/usr/lib/postgresql").is_dir(),
        reason="needs PostgreSQL's server programs (initdb, pg_ctl) and runuser",
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("VALUEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Cluster, migration (minutes on a loaded 2-core machine), generation, 40 s of load, checks.
BUDGET_SECONDS = 900


def _leftovers(work_dir: Path) -> None:
    """Stop what a killed run may have left: its gunicorn (process group) and its cluster."""
    pid_file = work_dir / "gunicorn.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    if (work_dir / "data" / "postmaster.pid").exists():
        pg_restart.Cluster(work_dir, 0).stop_quietly()
    shutil.rmtree(work_dir, ignore_errors=True)


def test_postgres_restart_under_the_mixed_load():
    work_dir = Path(tempfile.mkdtemp(prefix="valuegate-pg-restart-"))
    result_file = work_dir.parent / f"{work_dir.name}.json"
    command = [
        sys.executable, "-m", "benchmarks.pg_restart", "--rate", "6", "--seconds", "40",
        "--outage", "3", "--redis-url", REDIS_URL, "--work-dir", str(work_dir),
        "--json", str(result_file),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = process.communicate(timeout=BUDGET_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"the run took longer than {BUDGET_SECONDS} s:\n{output[-4000:]}")
    finally:
        if process.poll() is None:
            process.kill()
        _leftovers(work_dir)
    print(output)  # the summary: counts per status, longest answer, outage windows
    assert result_file.exists(), output[-4000:]
    result = json.loads(result_file.read_text())
    result_file.unlink()

    # Both faults happened, each with a real window without a usable server.
    assert [f["name"].split(",")[0] for f in result["faults"]] == [
        "restart -m fast",
        "stop -m immediate",
    ]
    # (A fast restart of an idle cluster can take 0.3 s; the crash is down for the whole outage.)
    restart, crash = result["faults"]
    assert restart["back"] > restart["began"]
    assert crash["back"] - crash["began"] >= 3
    # Requests during them failed fast with 503, never 500, none hung.
    assert result["bad_answers"] == [], output
    assert result["statuses"].get("503", 0) > 0, output
    assert set(result["statuses"]) <= {"200", "201", "503"}, output
    assert result["slow"] == [] and result["max_latency"] <= pg_restart.MAX_SECONDS, output
    # Everything not in flight during a fault succeeded, also after the last one, with the same
    # gunicorn workers (nothing restarted them).
    assert result["not_recovered"] == [], output
    assert result["after_recovery"] > 0, output
    assert result["worker_pids_before"] == result["worker_pids_after"], output
    # Every acknowledged write is in the database with the figures sent.
    assert result["acknowledged_writes"] > 0
    assert result["lost_writes"] == [], output
    # Logged as one warning per 503, no traceback.
    assert result["log_unavailable_lines"] == result["statuses"]["503"], output
    assert result["log_tracebacks"] == 0, output
    assert "PASSED" in output
