"""PostgreSQL restarted under the mixed load (issue 20, "Faults under load"; ``make fault-pg``,
``tests/faults/test_postgres_restart.py``).

Everything runs against a PostgreSQL cluster of its own — ``initdb`` into a temporary directory,
a free loopback port, run as the ``postgres`` OS user when started as root — never a server it
did not start. In it: a database migrated with the production settings and filled with the small
generated portfolio (``benchmarks.generate``); gunicorn (production settings, 2 sync workers,
``CONN_MAX_AGE=60``) serving it; the mix of ``benchmarks.mix`` (reads by five roles as pages and
API, new weekly reviews, corrections) sent open loop at ``--rate`` for ``--seconds``. Meanwhile:

1. at 25 % of the run ``pg_ctl restart -m fast`` (every connection terminated, the server back
   within seconds);
2. at 50 % ``pg_ctl stop -m immediate`` (a crash: no checkpoint, crash recovery at the start),
   ``--outage`` seconds with no server at all, then ``pg_ctl start``.

Then the result (``Result``, printed as a summary and, with ``--json``, written as JSON): the
count of each status, the longest answer, the answers due while and after each fault, and every
acknowledged write looked up in the database (``mix.verify_writes``). It passes when every
answer is a 2xx or a 503, none took longer than ``MAX_SECONDS``, only requests in flight during
a fault failed (every other one succeeded: before, between and after the faults — there must be
some after the last one), no acknowledged write is missing or different, and gunicorn's workers
are the ones it started with (nothing restarted).

Bounded: each step has a timeout, and whatever happens gunicorn (its own process group) and the
cluster are stopped and the directory removed (``--keep`` keeps it). The Redis database given as
``--redis-url`` (gunicorn's broker: the e-mails a review enqueues) is flushed at the end.

    python -m benchmarks.pg_restart --rate 6 --seconds 40 --redis-url redis://127.0.0.1:6379/3
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "valuegate_bench_pg_restart"  # benchmarks.generate fills only valuegate_bench*
#: No answer may take longer (issue 20: "none hangs past 10 s").
MAX_SECONDS = 10.0
#: Requests due this long after the server is back must succeed (in flight meanwhile: may not).
RECOVERY_GRACE = 1.0


def say(text: str) -> None:
    print(f"pg-restart: {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_bin() -> Path:
    """The PostgreSQL server programs: ``PG_BIN``, else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise SystemExit("pg-restart: no pg_ctl (set PG_BIN to PostgreSQL's bin directory)")
    return Path(found[-1]).parent


class Cluster:
    """A PostgreSQL cluster of its own in ``directory`` on ``port`` (trust authentication on
    loopback only; its socket in the directory)."""

    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.bin = pg_bin()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])}: {result.stdout}{result.stderr}"[-2000:])

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.directory, "postgres", "postgres")
        self.directory.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", timeout=120)  # fmt: skip

    def pg_ctl(self, action: str, *extra: str, timeout: float = 60) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", str(int(timeout)),
                  "-l", str(self.directory / "server.log"), "-o", options, *extra,
                  timeout=timeout + 5)  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop_quietly(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate", timeout=20)
        except Exception as exc:  # not running, or already gone
            say(f"cluster stop: {str(exc)[:200]}")


def production_env(*, database_url: str, redis_url: str, port: int, run_dir: Path) -> dict:
    """gunicorn's environment: the production settings as scripts/bench.sh sets them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "VALUEGATE_", "CELERY_", "GUNICORN_", "SECURE_"))
        and k not in ("DEBUG", "DATABASE_URL", "CACHE_URL", "CONN_MAX_AGE", "WEB_CONCURRENCY")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio.settings_production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOGIN_CHECKS_PER_SECOND="10000",
        LOGIN_CHECKS_PER_IP_PER_MINUTE="1000000",
        MFA_REQUIRED="false",  # the mix signs the PMO in with a session (as make bench-mix)
        VALUEGATE_BASE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url,
        VALUEGATE_VAR_DIR=str(run_dir / "var"),
        STATIC_ROOT=str(run_dir / "static"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_GRACEFUL_TIMEOUT="5",
        GUNICORN_LOG_LEVEL="warning",
        GUNICORN_MAX_REQUESTS="100000",  # no recycling: the same workers before and after
    )
    return env


class Gunicorn:
    def __init__(self, env: dict, log: Path):
        self.env, self.log_path = env, log
        self.process: subprocess.Popen | None = None

    def start(self, base_url: str, timeout: float = 90) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one
            )
        (self.log_path.parent / "gunicorn.pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s")

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            return sorted(
                int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            )
        except OSError:
            return []

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


@dataclasses.dataclass
class Fault:
    name: str
    began: float  # seconds from the first due time
    back: float  # the server accepted connections again

    @property
    def window(self) -> float:
        return self.back - self.began


@dataclasses.dataclass
class Result:
    requests: int
    statuses: dict[str, int]  # status (or "no answer") → count
    by_kind: dict[str, dict[str, int]]
    max_latency: float
    max_latency_503: float
    faults: list[Fault]
    first_503: float | None  # due time, seconds from the first due time
    last_503: float | None
    bad_answers: list[str]  # not 2xx and not 503
    slow: list[str]  # over MAX_SECONDS
    not_recovered: list[str]  # not 2xx, and not in flight during a fault
    after_recovery: int  # requests due from RECOVERY_GRACE after the last fault's server was back
    lost_writes: list[str]  # acknowledged, not in the database as sent
    acknowledged_writes: int
    worker_pids_before: list[int]
    worker_pids_after: list[int]
    log_tracebacks: int
    log_unavailable_lines: int

    @property
    def passed(self) -> bool:
        failures = self.bad_answers or self.slow or self.not_recovered or self.lost_writes
        return (
            not failures
            and self.after_recovery > 0
            and len(self.faults) == 2
            and self.worker_pids_before == self.worker_pids_after
        )

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests; statuses {dict(sorted(self.statuses.items()))}; "
            f"longest answer {self.max_latency:.2f} s (a 503: {self.max_latency_503:.2f} s)",
        ]
        for fault in self.faults:
            lines.append(
                f"  {fault.name}: at {fault.began:.1f} s, server back after {fault.window:.1f} s"
            )
        lines.append(
            f"  {self.after_recovery} requests due after the last fault (from {RECOVERY_GRACE:g} s "
            "after the server was back), all of which must succeed"
        )
        if self.first_503 is not None:
            lines.append(
                f"  503s for requests due from {self.first_503:.1f} s to {self.last_503:.1f} s"
            )
        for kind, counts in sorted(self.by_kind.items()):
            lines.append(f"  {kind}: {dict(sorted(counts.items()))}")
        lines.append(
            f"acknowledged writes {self.acknowledged_writes}, lost or different "
            f"{len(self.lost_writes)}; gunicorn workers "
            f"{'unchanged' if self.worker_pids_before == self.worker_pids_after else 'CHANGED'} "
            f"{self.worker_pids_before} → {self.worker_pids_after}; its log: "
            f"{self.log_unavailable_lines} 'database unavailable' warnings, "
            f"{self.log_tracebacks} tracebacks"
        )
        for label, items in (
            ("neither 2xx nor 503", self.bad_answers),
            (f"slower than {MAX_SECONDS:.0f} s", self.slow),
            ("failed outside the faults", self.not_recovered),
            ("lost", self.lost_writes),
        ):
            lines += [f"  {label}: {item[:300]}" for item in items[:5]]
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


def run_faults(cluster: Cluster, *, seconds: float, outage: float, start: float, log: list):
    """The two faults, at 25 % and 50 % of the run (``start``: about the first due time); their
    times in ``log`` as ``time.perf_counter()``."""

    def wait_until(share: float) -> None:
        pause = start + share * seconds - time.perf_counter()
        if pause > 0:
            time.sleep(pause)

    wait_until(0.25)
    began = time.perf_counter()
    cluster.pg_ctl("restart", "-m", "fast")
    log.append(Fault("restart -m fast", began, time.perf_counter()))
    wait_until(0.5)
    began = time.perf_counter()
    cluster.pg_ctl("stop", "-m", "immediate")
    time.sleep(outage)
    cluster.pg_ctl("start")
    log.append(Fault(f"stop -m immediate, {outage:g} s down, start", began, time.perf_counter()))


def judge(outcomes, faults, problems, pids_before, pids_after, log_text) -> Result:
    """The result of the run; times in seconds from the first request's due time."""
    origin = min((o.due for o in outcomes), default=0.0)
    faults = [dataclasses.replace(f, began=f.began - origin, back=f.back - origin) for f in faults]
    statuses: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    bad, slow, not_recovered = [], [], []
    due_503 = []
    for outcome in sorted(outcomes, key=lambda o: o.due):
        due = outcome.due - origin
        status = str(outcome.status) if outcome.status else "no answer"
        statuses[status] += 1
        by_kind.setdefault(outcome.kind, Counter())[status] += 1
        ok = outcome.status is not None and 200 <= outcome.status < 300
        what = f"{outcome.kind} due at {due:.1f} s: {outcome.problem or status}"
        if not ok and outcome.status != 503:
            bad.append(what)
        if outcome.status == 503:
            due_503.append(due)
        if outcome.latency > MAX_SECONDS:
            slow.append(f"{what} took {outcome.latency:.1f} s")
        # Only a request in flight during a fault (from its due time to its answer) may fail;
        # every other one must succeed: before the first fault, between them, and from
        # RECOVERY_GRACE after the server is back on (no restart of gunicorn).
        answered = due + outcome.latency
        in_fault = any(due <= f.back + RECOVERY_GRACE and answered >= f.began for f in faults)
        if not ok and not in_fault:
            not_recovered.append(what)
    last_back = max((f.back for f in faults), default=float("inf"))
    after_recovery = sum(1 for o in outcomes if o.due - origin >= last_back + RECOVERY_GRACE)
    latencies = [o.latency for o in outcomes] or [0.0]
    return Result(
        requests=len(outcomes),
        statuses=dict(statuses),
        by_kind={k: dict(v) for k, v in by_kind.items()},
        max_latency=max(latencies),
        max_latency_503=max([o.latency for o in outcomes if o.status == 503] or [0.0]),
        faults=faults,
        first_503=min(due_503) if due_503 else None,
        last_503=max(due_503) if due_503 else None,
        bad_answers=bad,
        slow=slow,
        not_recovered=not_recovered,
        after_recovery=after_recovery,
        lost_writes=problems,
        acknowledged_writes=sum(
            1 for o in outcomes if o.check and o.status is not None and 200 <= o.status < 300
        ),
        worker_pids_before=pids_before,
        worker_pids_after=pids_after,
        log_tracebacks=log_text.count("Traceback"),
        log_unavailable_lines=log_text.count("database unavailable:"),
    )


def run(*, rate: float, seconds: float, outage: float, redis_url: str, work_dir: Path,
        keep: bool = False) -> Result:  # fmt: skip
    from . import mix

    cluster = Cluster(work_dir, free_port())
    web_port = free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    env = production_env(
        database_url=cluster.url(DB_NAME), redis_url=redis_url, port=web_port, run_dir=work_dir
    )
    gunicorn = Gunicorn(env, work_dir / "web.log")
    try:
        t0 = time.monotonic()
        cluster.init()
        cluster.pg_ctl("start")
        import psycopg

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
        say(f"cluster on port {cluster.port} in {work_dir} ({time.monotonic() - t0:.0f} s)")

        # This process is Django too (generation, the mix's sessions and tokens, the check of
        # the writes): the same settings and SECRET_KEY as gunicorn, so its sessions are valid.
        os.environ.update(env)
        for name in [k for k in os.environ if k not in env]:
            if name.startswith(("DJANGO_", "VALUEGATE_", "CELERY_")):
                del os.environ[name]
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from usecases import clock

        from .generate import SIZES, check_database, generate

        t0 = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        check_database()
        generate(size=SIZES["small"], today=clock.today(), log=lambda _: None)
        say(f"migrated, static files collected, small portfolio generated "
            f"({time.monotonic() - t0:.0f} s)")  # fmt: skip

        gunicorn.start(base_url)
        planned = mix.plan_requests(
            base_url=base_url, total=int(rate * seconds), seed=20, today=clock.today()
        )
        connection.close()  # this process's connection would not survive the faults
        pids_before = gunicorn.workers()
        say(f"gunicorn {gunicorn.process.pid} (workers {pids_before}) on {base_url}; "
            f"{len(planned)} requests at {rate:g}/s")  # fmt: skip

        faults: list[Fault] = []
        fault_errors: list[BaseException] = []
        launched = time.perf_counter()

        def faults_thread():
            try:
                run_faults(cluster, seconds=seconds, outage=outage, start=launched, log=faults)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                fault_errors.append(exc)

        thread = threading.Thread(target=faults_thread, daemon=True)
        thread.start()
        outcomes, _wall = mix.run_open_loop(
            base_url, planned, rate=rate, max_in_flight=48, timeout=MAX_SECONDS + 20
        )
        thread.join(timeout=120)
        if fault_errors or thread.is_alive():
            raise RuntimeError(f"the faults did not run: {fault_errors}")
        pids_after = gunicorn.workers()
        problems = mix.verify_writes(outcomes)
        connection.close()
        return judge(outcomes, faults, problems, pids_before, pids_after, gunicorn.log())
    finally:
        gunicorn.stop()
        cluster.stop_quietly()
        try:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        except Exception as exc:  # noqa: BLE001 - cleaning up; the result is what matters
            say(f"could not flush {redis_url}: {exc}")
        if keep:
            say(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PostgreSQL restarted under the mixed load.")
    parser.add_argument("--rate", type=float, default=6.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds with no server")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--work-dir", type=Path, help="(default: a new temporary directory)")
    parser.add_argument("--json", type=Path, help="write the result here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the directory (logs)")
    args = parser.parse_args(argv)
    if not (0 < args.rate <= 200 and 5 <= args.seconds <= 600 and 0 <= args.outage <= 30):
        parser.error("--rate in (0, 200], --seconds in [5, 600], --outage in [0, 30]")
    # Stopped (the test's timeout, Ctrl-C): the finally blocks stop gunicorn and the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="valuegate-pg-restart-"))
    result = run(rate=args.rate, seconds=args.seconds, outage=args.outage,
                 redis_url=args.redis_url, work_dir=work_dir, keep=args.keep)  # fmt: skip
    print(result.summary(), flush=True)
    if args.json:
        args.json.write_text(json.dumps(dataclasses.asdict(result), indent=1))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
