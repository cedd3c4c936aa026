"""Run a real Celery worker process against the test Redis and the pytest PostgreSQL database.

- The worker is ``celery -A portfolio worker`` started with ``subprocess.Popen`` in a process group
  of its own, its broker ``VALUEGATE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) and
  its database the *test* database pytest-django created (``connection.settings_dict["NAME"]``),
  so it sees what a ``transaction=True`` test committed.
- Each worker consumes a queue named for this run only (``CELERY_TASK_DEFAULT_QUEUE``), so the
  tasks it enqueues itself (e-mails after commit) stay on that queue and concurrent test runs
  sharing the Redis database never take each other's messages.
- E-mails go to files (Django's file-based backend with a file per process,
  ``tests.mail_filebased``, in ``EMAIL_FILE_PATH``) and are read back with ``sent_emails``.
- The test publishes with a Celery app of its own (``producer``), configured for that Redis and
  queue, whatever the in-process settings say.
- Teardown: SIGTERM (warm shutdown), then SIGKILL to the whole process group after a grace period.
"""

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from urllib.parse import quote

from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = ROOT / ".venv" / "bin" / "celery"
REDIS_URL = os.environ.get("VALUEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SEPARATOR = b"-" * 79


def worker_database_url() -> str:
    """A DATABASE_URL for the database the tests run in (pytest-django's ``test_...``)."""
    s = connection.settings_dict
    assert connection.vendor == "postgresql", "the worker shares the database: PostgreSQL only"
    user = quote(s["USER"] or "", safe="")
    password = quote(s["PASSWORD"] or "", safe="")
    return (
        f"postgres://{user}:{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@dataclass
class Worker:
    process: subprocess.Popen
    hostname: str
    queue: str
    log_path: Path
    mail_dir: Path
    producer: Celery

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def queued(self) -> int:
        """Messages waiting in the worker's queue (not yet fetched by it)."""
        with self.producer.connection_for_write() as conn:
            try:
                return conn.default_channel.queue_declare(self.queue, passive=True).message_count
            except Exception:  # the queue does not exist (yet): nothing waiting
                return 0

    def busy(self) -> bool:
        """Whether the worker runs or holds a task, or its queue has messages."""
        if self.queued():
            return True
        inspect = self.producer.control.inspect(destination=[self.hostname], timeout=2.0)
        active = (inspect.active() or {}).get(self.hostname)
        reserved = (inspect.reserved() or {}).get(self.hostname)
        if active is None or reserved is None:  # no reply: treat as busy
            return True
        return bool(active or reserved)

    def wait_idle(self, timeout: float = 60.0, settle: float = 1.0) -> None:
        """Until the worker is idle and its queue empty twice in a row ``settle`` seconds apart."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            self.check_alive()
            quiet = 0 if self.busy() else quiet + 1
            if quiet >= 2:
                return
            time.sleep(settle)
        raise AssertionError(f"worker still busy after {timeout}s\n{self.log()[-4000:]}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited ({self.process.returncode})\n{self.log()[-4000:]}")


def wait_for(condition: Callable[[], bool], *, timeout: float, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker is not None:
            worker.check_alive()
        if condition():
            return
        time.sleep(0.3)
    log = worker.log()[-4000:] if worker is not None else ""
    raise AssertionError(f"condition not met within {timeout}s\n{log}")


def make_producer(queue: str) -> Celery:
    producer = Celery("valuegate-test-producer", broker=REDIS_URL, set_as_current=False)
    producer.conf.task_default_queue = queue
    producer.conf.broker_connection_retry_on_startup = True
    return producer


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    concurrency: int = 4,
    pool: str = "prefork",
    env: dict | None = None,
    ready_timeout: float = 60.0,
):
    """Start a worker, wait until it is ready, yield a ``Worker``, always stop it."""
    queue = f"valuegate-test-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@localhost"
    log_path = tmp_path / "worker.log"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker_env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "tests.mail_filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "VALUEGATE_CADENCE_ON_WORKER_START": "0",
        "AXES_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        str(CELERY),
        "-A",
        "portfolio",
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--queues",
        queue,
        "--hostname",
        hostname,
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    producer = make_producer(queue)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown reaches the pool children
        )
    worker = Worker(process, hostname, queue, log_path, mail_dir, producer)
    try:
        wait_for(lambda: " ready." in worker.log(), timeout=ready_timeout, worker=worker)
        yield worker
    finally:
        _stop(process)
        try:
            with producer.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception:  # best effort: the queue is unique to this run anyway
            pass
        producer.close()


def _stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()  # warm shutdown: finish the running task, then exit
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Whatever is left of the group (pool children), and the parent if it hung.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def sent_emails(mail_dir: Path) -> list[Message]:
    """Every message the file-based backend wrote (a file may hold several)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(message_from_bytes(chunk.strip(), policy=policy.default))
    return messages
