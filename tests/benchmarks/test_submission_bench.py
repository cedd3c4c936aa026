"""The submission rows of ``make bench`` (issue 20): the weekly review POST beside its floor, a bare
authenticated read of a use case, measured on the same server by the same client, threads and
tokens, in alternating batches. No assertion on any duration."""

import datetime
from collections import Counter

import pytest
from django.db import connection

from benchmarks import generate, load, measure
from reviews.models import WeeklyReview

TODAY = datetime.date(2026, 11, 25)


def result(requests: int, wall: float, *, errors: int = 0, latency: float = 0.01) -> load.Result:
    return load.Result(
        requests=requests,
        wall_seconds=wall,
        latencies=[latency] * requests,
        statuses=Counter({"201": requests - errors, "500": errors}),
        errors=errors,
        error_samples=["POST /api/v1/weekly-reviews/: 500 b''"] * min(errors, 1),
    )


def test_combined_runs_count_their_requests_over_the_time_they_ran():
    combined = load.combine([result(10, 1.0), result(30, 0.5, errors=2, latency=0.03)])
    assert combined.requests == 40 and combined.wall_seconds == 1.5
    assert combined.throughput == pytest.approx(40 / 1.5)
    assert combined.errors == 2 and len(combined.error_samples) == 1
    assert combined.statuses == Counter({"201": 38, "500": 2})
    assert sorted(set(combined.latencies)) == [0.01, 0.03]


@pytest.mark.parametrize(
    ("post_rate", "ratio", "status"),
    [
        (170, "0.85×", "OK"),  # ≥ 0.8× the read and ≥ 100/s
        (136, "0.68×", "ABOVE"),  # below 0.8× the read
        (90, "0.45×", "ABOVE"),
    ],
)
def test_the_post_row_shows_its_throughput_over_the_bare_reads(post_rate, ratio, status):
    reads = result(200, 1.0)  # 200/s
    posts = result(post_rate, 1.0)
    read_row, post_row = measure.submission_result_rows(
        reads=reads, posts=posts, stored=post_rate, threads=8
    )
    assert read_row.name.startswith("bare read GET /api/v1/use-cases/{id}/")
    assert read_row.status == "OK" and "200/s" in read_row.extra
    assert post_row.floor == "200/s" and post_row.ratio == ratio
    assert post_row.target.startswith("≥ 0.8× bare read")
    assert post_row.status == status


def test_slow_posts_miss_the_p95_target_whatever_the_ratio():
    _, post_row = measure.submission_result_rows(
        reads=result(200, 1.0), posts=result(180, 1.0, latency=0.2), stored=180, threads=8
    )
    assert post_row.ratio == "0.90×" and post_row.status == "ABOVE"


def test_an_error_or_a_lost_review_is_reported_as_errors():
    reads, posts = result(100, 1.0, errors=1), result(100, 1.0)
    read_row, post_row = measure.submission_result_rows(
        reads=reads, posts=posts, stored=100, threads=8
    )
    assert read_row.status == "ERRORS"
    _, lost = measure.submission_result_rows(
        reads=result(100, 1.0), posts=result(100, 1.0), stored=99, threads=8
    )
    assert lost.status == "ERRORS"


@pytest.fixture
def small_live(transactional_db, live_server, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC))
    generate.generate(size=generate.SIZES["small"], today=TODAY, analyze=False, log=lambda _: None)
    return live_server.url


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_the_rows_run_against_a_server_reading_and_storing_each_use_case_once(small_live):
    plan = {"threads": 2, "submissions": 10}
    read_row, post_row = measure.submission_rows(
        base_url=small_live, today=TODAY, plan=plan, size=generate.SIZES["small"]
    )
    assert (read_row.n, read_row.status) == ("10", "OK")
    assert post_row.n == "10" and post_row.status in {"OK", "ABOVE"}
    # 2 × 2 warm-up submissions, then the 10 timed ones, each a distinct use case.
    stored = WeeklyReview.objects.filter(week="2026-W47", notes__contains="benchmark")
    assert stored.count() == 14 == len(set(stored.values_list("use_case_id", flat=True)))
    assert "14 stored" not in post_row.extra and "10 stored" in post_row.extra
    assert float(post_row.floor.removesuffix("/s")) > 0
    assert float(post_row.ratio.removesuffix("×")) > 0


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_reads_and_posts_alternate_in_batches(small_live, monkeypatch):
    sent = []
    real_run = load.run

    def run(base_url, requests, *, threads):
        sent.append({r.method for r in requests})
        return real_run(base_url, requests, threads=threads)

    monkeypatch.setattr(load, "run", run)
    get = load.Request("GET", "/healthz")
    post = load.Request("POST", "/healthz", b"", expect=405)
    reads, posts = measure.interleaved(small_live, [(get, post)] * 8, threads=2, rounds=4)
    assert sent == [{"GET"}, {"POST"}, {"POST"}, {"GET"}] * 2
    assert reads.requests == posts.requests == 8
