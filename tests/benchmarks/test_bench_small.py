"""The benchmark's machinery works (``make bench`` itself is a command, never a timed test): the
small portfolio generates with COPY into PostgreSQL with consistent periods, and one page
measurement and the table come out. No assertion on any duration."""

import datetime
import json

import pytest
from django.db import connection

from benchmarks import generate, load, measure
from reviews.models import Flag, MonthlyReview, WeeklyReview, weekly_period_dates
from reviews.sweep import sweep_portfolio
from usecases.models import UseCase

TODAY = datetime.date(2026, 11, 25)  # a Wednesday of ISO week 2026-W48


def test_review_periods_end_before_today():
    weeks = generate.review_weeks(TODAY, 3)
    assert [generate.week_label(w) for w in weeks] == ["2026-W44", "2026-W45", "2026-W46"]
    # The last complete week is left for the load client: only an ended week can be submitted.
    assert generate.week_label(generate.submission_week(TODAY)) == "2026-W47"
    assert generate.review_months(TODAY, 2) == [
        datetime.date(2026, 9, 1),
        datetime.date(2026, 10, 1),
    ]


def test_percentile_interpolates():
    assert load.percentile([], 95) == 0
    assert load.percentile([0.3, 0.1, 0.2], 50) == 0.2
    assert load.percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)


def test_a_union_is_a_read_however_it_opens():
    """A union whose first branch is parenthesised (Django writes ``(SELECT …) UNION ALL (SELECT
    …)`` for the overdue tracker's rows) is a read: the floor leaving it out made the tracker's
    "all SQL" half of what the page ran."""
    assert measure.is_read('(SELECT "a" FROM t) UNION ALL (SELECT "b" FROM u) LIMIT 100')
    assert measure.is_read("  ((SELECT 1)) UNION (SELECT 2)")
    assert measure.is_read("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not measure.is_read("INSERT INTO t SELECT 1")
    assert not measure.is_write('(SELECT "a" FROM t) UNION ALL (SELECT "b" FROM u)')


@pytest.fixture
def small_portfolio(db, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC))
    size = generate.SIZES["small"]
    counts = generate.generate(size=size, today=TODAY, analyze=False, log=lambda _: None)
    return size, counts


@pytest.mark.django_db
def test_a_measured_part_replaces_all_of_its_saved_rows(tmp_path):
    """A part measured again replaces every row it saved before (a renamed row does not linger
    beside its new name); the rows of parts not measured this time are kept."""
    path = tmp_path / "full.json"
    path.write_text(
        json.dumps(
            {
                "rows": {
                    "stop-loss + signals sweep, second run": {"median": 5.0, "part": "sweep"},
                    "from before parts were saved": {"median": 1.0},
                    "use case page": {"median": 0.006, "part": "page"},
                }
            }
        )
    )
    row = measure.Row("stop-loss + signals sweep, steady state", median="1.50 s", part="sweep")
    measure.save_results(path, size_name="full", rows=[row], today=datetime.date(2026, 12, 4))
    saved = json.loads(path.read_text())["rows"]
    assert set(saved) == {"stop-loss + signals sweep, steady state", "use case page"}
    assert saved["stop-loss + signals sweep, steady state"]["median"] == 1.5
    assert saved["use case page"] == {"median": 0.006, "part": "page"}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_small_portfolio_is_generated_with_consistent_periods(small_portfolio):
    size, counts = small_portfolio
    assert counts["use cases"] == UseCase.objects.count() == size.use_cases
    assert counts["weekly reviews"] == WeeklyReview.objects.count() == size.use_cases * size.weeks
    assert MonthlyReview.objects.count() == size.use_cases * size.months
    for review in WeeklyReview.objects.order_by("?")[:20]:
        assert (review.week_start, review.month_start) == weekly_period_dates(review.week)
        assert review.active_users <= review.target_users
        assert review.reworked_outputs <= review.tasks_with_ai <= review.tasks_total
    # Every steward contributes to its share of use cases (the load client submits as them).
    through = UseCase.contributors.through
    assert through.objects.count() == size.use_cases
    latest = WeeklyReview.objects.order_by("-week_start").values_list("week", flat=True)[0]
    assert latest == "2026-W46"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_sweep_and_one_page_measurement_run(small_portfolio):
    outcome = sweep_portfolio(today=TODAY)
    # The generator plants a few breaches and signals, not a flag on every use case.
    assert 0 < len(outcome.flags) == Flag.objects.count() < UseCase.objects.count() // 2

    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=generate.PMO_USERNAME))
    url = measure.page_url("portfolio:dashboard")
    result = measure.measure_page(client, url, requests=3, floor_runs=1)
    assert len(result.times) == 3
    assert 0 < result.queries <= measure.PAGE_QUERY_TARGET
    assert result.floor > 0 and result.all_sql >= result.floor
    assert measure.is_read(result.heaviest[0][1])  # the floor is a query the page ran

    text = measure.table([measure.Row("dashboard", n="3", median=measure.ms(0.0123))])
    assert text.splitlines()[2].startswith("dashboard") and "12.3 ms" in text


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_a_page_and_its_floor_are_measured_in_alternating_rounds(small_portfolio, monkeypatch):
    """The page's requests and the re-runs of its reads alternate (a slow spell of the machine
    falls on both), and a cheap page is timed for the whole time given, not for N requests."""
    import time

    from django.contrib.auth import get_user_model
    from django.test import Client

    events = []
    client = Client()
    client.force_login(get_user_model().objects.get(username=generate.PMO_USERNAME))
    get = client.get
    monkeypatch.setattr(client, "get", lambda url: events.append("page") or get(url))
    query_times = measure.query_times
    monkeypatch.setattr(
        measure,
        "query_times",
        lambda sql, **kw: events.append("floor") or query_times(sql, **kw),
    )
    url = measure.page_url("usecases:list")
    result = measure.measure_page(client, url, requests=3, floor_runs=1, seconds=0, rounds=3)
    sequence = "".join("p" if e == "page" else "f" for e in events)
    reads = sequence.count("f") // 4  # each read: once a round, then once prepared
    assert reads > 0 and len(result.times) == 3
    # Three warm-ups and the request whose queries are captured, then three rounds of a request
    # and the re-run of every read, then the prepared re-runs.
    assert sequence == "pppp" + ("p" + "f" * reads) * 3 + "f" * reads

    began = time.perf_counter()
    result = measure.measure_page(client, url, requests=1, floor_runs=1, seconds=0.3, rounds=3)
    assert time.perf_counter() - began >= 0.3
    assert len(result.times) >= 3  # at least one a round


@pytest.mark.django_db
def test_a_statement_a_page_runs_twice_counts_twice_in_its_sql(monkeypatch):
    """ "All SQL" is the sum over the page's statements in the order it ran them: the same
    SELECT run twice is two statements of the page."""

    class Answer:
        status_code = 200

    class TwiceTheSameRead:
        def get(self, url):
            with connection.cursor() as cursor:
                for _ in range(2):
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
            return Answer()

    monkeypatch.setattr(measure, "query_times", lambda sql, *, runs, prepared=False: [0.001] * runs)
    monkeypatch.setattr(measure, "timed_query", lambda sql, *, runs, prepared=False: 0.001)
    result = measure.measure_page(TwiceTheSameRead(), "/", requests=3, floor_runs=2)
    assert result.queries == 2 and result.all_sql == pytest.approx(0.002)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_the_gate_pack_pdf_row_runs_and_cleans_up(small_portfolio):
    from stagegates.models import Gate

    plan = {"floor_runs": 1, "page_requests": 3}
    [row] = measure.pdf_rows(today=TODAY, plan=plan, items=5)
    assert row.name == "gate pack PDF, 5 items (PMO)"
    assert row.n == "1" and row.floor and row.median and "pages" in row.extra
    assert not Gate.objects.filter(quarter="1999-Q1").exists()  # the bench gate is gone


def _seconds(shown: str) -> float:
    """``measure.ms``'s text back to seconds ("12.5 ms", "1.25 s")."""
    number, unit = shown.split()
    return float(number.replace(",", "")) / (1000 if unit == "ms" else 1)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_the_sweep_rows_judge_the_candidates_only_and_raise_what_judging_all_would(
    small_portfolio,
):
    from reviews.stoploss import judge, new_candidates
    from reviews.sweep import SWEEP_TARGET
    from reviews.sweep_candidates import candidates

    due = list(UseCase.objects.reviews_due().values_list("pk", flat=True))
    every = new_candidates(judge(dict.fromkeys(due, SWEEP_TARGET), today=TODAY))
    picked = candidates(today=TODAY)
    assert every and len(picked) < len(due)  # the pre-selection leaves most use cases out
    rows = measure.sweep_rows(today=TODAY, plan={"floor_runs": 1}, plans_out=[])
    raised = Flag.objects.values_list("use_case_id", "kind", "rule_key", "period", "historical")
    assert set(raised) == {
        (c.use_case.pk, c.kind, c.rule_key, c.period, c.historical) for c in every
    }
    first, second = rows
    assert first.name.endswith("first run")
    assert second.name.endswith(f"steady state (median of {measure.STEADY_RUNS} runs)")
    # The steady row is the median of its runs, each listed beside it.
    runs = second.extra.split("; runs ")[1].split(", ")
    assert len(runs) == measure.STEADY_RUNS and sorted(runs, key=_seconds)[1] == second.median
    assert f"{len(every)} flags raised" in first.extra and "0 flags raised" in second.extra
    assert f"{len(picked):,} judged by the rules" in second.extra
    assert second.target == f"≤ {measure.SWEEP_RATIO_TARGET}× SQL pass"
    assert first.target == f"≤ {measure.SWEEP_RATIO_TARGET}× SQL pass (raises the flags)"
    assert "writes (INSERT/UPDATE) took" in first.extra and "writes" not in second.extra
    assert int(first.queries) > int(second.queries) > 0
    assert second.status in ("OK", "ABOVE") and second.ratio.endswith("×")


def test_the_scale_lines_compare_with_the_smaller_run(tmp_path):
    def write(size, use_cases, sweep, page, floor=None):
        (tmp_path / f"{size}.json").write_text(
            json.dumps(
                {
                    "size": size,
                    "use_cases": use_cases,
                    "today": "2026-12-03",
                    "load_average": [2.0, 2.0, 2.0],
                    "rows": {
                        "stop-loss + signals sweep, steady state (median of 3 runs)": {
                            "median": sweep,
                            "floor": floor or sweep / 10,
                        },
                        "use case page": {"median": page, "floor": None},
                    },
                }
            )
        )

    assert measure.scale_lines(tmp_path, "xl") == []  # nothing measured at this size
    write("xl", 20000, 30.0, 0.06)
    assert "no full run" in measure.scale_lines(tmp_path, "xl")[0]
    write("full", 2000, 1.5, 0.05)
    lines = measure.scale_lines(tmp_path, "xl")
    assert lines[0].startswith("scale 2,000 → 20,000 use cases (×10.0")
    sweep = next(line for line in lines if "sweep" in line)
    assert "×20.0" in sweep and sweep.endswith("ABOVE")  # twice linear
    assert any("use case page: 50.0 ms → 60.0 ms (×1.2)" in line for line in lines)
    # The floor grew ×20 with the sweep: the runs met different machine states, said under it.
    note = lines[-1]
    assert note.startswith("  note: the SQL floor itself grew ×20.0, beyond linear")
    assert "steady state (median of 3 runs) 10.0× → 10.0×" in note
    # A floor that grew linearly: the ABOVE stands alone, no note.
    write("xl", 20000, 30.0, 0.06, floor=1.5)
    lines = measure.scale_lines(tmp_path, "xl")
    assert not any("note:" in line for line in lines)
    assert next(line for line in lines if "sweep" in line).endswith("ABOVE")
    assert measure.seconds_of("1,234.5 ms") == pytest.approx(1.2345)
    assert measure.seconds_of("2.50 s") == 2.5 and measure.seconds_of("") is None


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
@pytest.mark.django_db
def test_the_bulk_load_keeps_every_index_and_constraint(time_machine):
    """The generator drops the review tables' secondary indexes and constraints for the COPY and
    builds them again: the schema afterwards is the migrated one."""
    time_machine.move_to(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC))

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN "
                "('reviews_weeklyreview', 'reviews_monthlyreview', 'usecases_checklistanswer')"
            )
            indexes = set(cursor.fetchall())
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text IN "
                "('reviews_weeklyreview', 'reviews_monthlyreview', 'usecases_checklistanswer')"
            )
            return indexes, set(cursor.fetchall())

    before = schema()
    assert len(before[0]) > 6 and any("FOREIGN KEY" in c[2] for c in before[1])
    generate.generate(size=generate.SIZES["small"], today=TODAY, analyze=False, log=lambda _: None)
    assert schema() == before
