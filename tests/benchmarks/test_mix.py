"""The mixed load client (``make bench-mix``, issue 20) works against a live server: the mix's
proportions, every request answered as expected, every acknowledged write found in the database,
and a write that is not there is reported. No assertion on any duration."""

import datetime
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from benchmarks import generate, mix
from reviews.models import WeeklyReview

TODAY = datetime.date(2026, 11, 25)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL"),
]


def live_requests_in_progress() -> list[threading.Thread]:
    """The live server's request threads still running (``socketserver.ThreadingMixIn`` names
    each after its target)."""
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


@pytest.fixture
def small_live(transactional_db, live_server, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC))
    generate.generate(size=generate.SIZES["small"], today=TODAY, analyze=False, log=lambda _: None)
    yield live_server.url
    # A client that gave up (a timeout) leaves its request running on the live server. The
    # database's flush after the test must wait for it: CI's teardown deadlocked twice, the
    # flush's TRUNCATE against the abandoned request's transaction. Joining the threads seen at
    # teardown once was not enough (the second time): a request the server accepted just after
    # that look started a thread of its own. So wait until no request has run for a while.
    wait_until_the_live_server_is_quiet()


def other_sessions_at_work() -> int:
    """Other connections to the test database running a statement or inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND state IS DISTINCT FROM 'idle'"
        )
        return cursor.fetchone()[0]


def wait_until_the_live_server_is_quiet(*, quiet=0.5, bound=30.0) -> None:
    """Until no request thread of the live server has run, and no other connection to the
    test database has been at work, for ``quiet`` seconds (each thread joined as it is seen);
    bounded by ``bound`` seconds in all."""
    deadline = time.monotonic() + bound
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        running = live_requests_in_progress()
        for thread in running:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if running or other_sessions_at_work():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return
        time.sleep(0.02)


def test_the_mix_runs_open_loop_and_every_acknowledged_write_is_stored(small_live):
    planned = mix.plan_requests(base_url=small_live, total=40, seed=3, today=TODAY)
    # Random draws: 70 / 20 / 10 give or take.
    kinds = Counter("read" if p.check is None else p.check[0] for p in planned)
    assert sum(kinds.values()) == 40
    assert 20 <= kinds["read"] <= 36 and 2 <= kinds["post"] <= 16 and 1 <= kinds["patch"] <= 10
    # Every new review is a distinct (use case, week), every correction a distinct review.
    posts = [p.check[1:3] for p in planned if p.check and p.check[0] == "post"]
    patches = [p.check[1] for p in planned if p.check and p.check[0] == "patch"]
    assert len(set(posts)) == len(posts) and len(set(patches)) == len(patches)

    outcomes, wall = mix.run_open_loop(small_live, planned, rate=5, max_in_flight=8, timeout=60)
    assert len(outcomes) == 40 and wall > 0
    assert [o.problem for o in outcomes if o.problem] == []
    assert mix.verify_writes(outcomes) == []
    stored = WeeklyReview.objects.filter(notes__startswith="mix load ").exclude(
        notes__contains="correction"
    )
    assert stored.count() == kinds["post"]
    assert (
        WeeklyReview.objects.filter(notes__contains="mix load correction", version=2).count()
        == (kinds["patch"])
    )

    text, ok = mix.report(outcomes, wall=wall, rate=5, seconds=8, problems=[])
    assert ok and "not the target run" in text and "api: new weekly review" in text

    # A write acknowledged but not in the database is reported.
    acknowledged = next(o for o in outcomes if o.check and o.check[0] == "post")
    _, uc, week, _ = acknowledged.check
    WeeklyReview.objects.filter(use_case_id=uc, week=week).delete()
    problems = mix.verify_writes(outcomes)
    assert problems and f"use case {uc}, {week}" in problems[0]
    assert not mix.report(outcomes, wall=wall, rate=5, seconds=8, problems=problems)[1]


def test_a_request_past_its_timeout_is_an_error(small_live):
    """A request that cannot be sent before its timeout (every thread busy) is counted as an
    error, not silently dropped: open loop, bounded."""
    planned = mix.plan_requests(base_url=small_live, total=6, seed=1, today=TODAY)
    outcomes, _ = mix.run_open_loop(small_live, planned, rate=1000, max_in_flight=1, timeout=0.001)
    assert len(outcomes) == 6
    assert all(o.problem for o in outcomes)
    # The one request sent before its timeout may still be served: ``small_live`` waits for it.
