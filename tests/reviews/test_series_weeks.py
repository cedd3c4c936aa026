"""The newest weeks of a batch of use cases (``reviews.series.load_weeks``, the sweep's and the
save hook's one read of them). On PostgreSQL it reads each use case's newest weeks down its
``(use case, week)`` index and no further; everywhere it returns what the window over all their
weeks (``ranked_weeks``) returns, for any portfolio and look-back."""

import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.points import week_point
from reviews.series import load_weeks, ranked_weeks
from tests.conftest import make_use_case
from tests.factories import WeeklyReviewFactory

from .stoploss_helpers import HEALTHY, weeks_back

pytestmark = pytest.mark.django_db


def by_window(use_case_ids, limit):
    """What ``load_weeks`` returns, from the window: use case id → its points, oldest first."""
    series = {}
    for row in ranked_weeks(use_case_ids, limit):
        series.setdefault(row["use_case_id"], []).append(week_point(row))
    return series


def portfolio(rng, owner, n):
    """``n`` use cases with 0 to 15 weeks each, some of 20 weeks across a year with 53 weeks
    (2020-W53, then 2021-W01) left out, random figures; returns their ids."""
    labels = weeks_back(20, end="2021-W07")
    assert "2020-W53" in labels
    ids = []
    for number in range(n):
        use_case = make_use_case(f"Series {number}", owner)
        ids.append(use_case.pk)
        for label in rng.sample(labels, rng.randint(0, 15)):
            WeeklyReviewFactory(
                use_case=use_case,
                week=label,
                **{
                    **HEALTHY,
                    "active_users": rng.randint(0, 60),
                    "tasks_total": rng.randint(0, 900),
                    "tasks_with_ai": rng.randint(0, 400),
                    "backlog": rng.randint(0, 500),
                },
            )
    return ids


@pytest.mark.parametrize("seed", range(4))
def test_the_newest_weeks_are_the_windows_for_any_portfolio_and_look_back(owner, seed):
    rng = random.Random(seed)
    ids = portfolio(rng, owner, 12)
    for limit in (1, 2, 4, 12, 30):
        asked = rng.sample(ids, rng.randint(1, len(ids))) + [ids[0], 10**9]  # a repeat, a gone
        got = load_weeks(asked, limit=limit)
        assert dict(got) == by_window(asked, limit)
        assert all(len(points) <= limit for points in got.values())
        for points in got.values():
            assert [p.week for p in points] == sorted(p.week for p in points)


def test_no_use_case_or_no_week_reads_nothing(owner, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert load_weeks([], limit=4) == {}
        assert load_weeks([1], limit=0) == {}


@pytest.mark.postgres
def test_on_postgresql_only_the_weeks_returned_are_read(owner):
    """The window read all 20 weeks of each use case to keep 4; the newest-first index scan
    stops at the 4th (``EXPLAIN ANALYZE`` of the statement ``load_weeks`` runs)."""
    labels = weeks_back(20)
    ids = []
    for number in range(5):
        use_case = make_use_case(f"Long {number}", owner)
        ids.append(use_case.pk)
        for label in labels:
            WeeklyReviewFactory(use_case=use_case, week=label, **HEALTHY)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reviews_weeklyreview")  # what autovacuum does; else a guess
    with CaptureQueriesContext(connection) as captured:
        got = load_weeks(ids, limit=4)
    assert sum(map(len, got.values())) == 20
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
        [[plan]] = cursor.fetchone()
    plan = plan if isinstance(plan, dict) else json.loads(plan)[0]

    def rows_read(node):
        here = (
            node["Actual Rows"] * node["Actual Loops"]
            if node.get("Relation Name") == "reviews_weeklyreview"
            else 0
        )
        return here + sum(rows_read(child) for child in node.get("Plans", []))

    assert rows_read(plan["Plan"]) == 20  # 4 of each, not 100
