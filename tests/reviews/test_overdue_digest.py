"""``reviews.overdue_digest``: one statement gives what the pages used to read in two or three
passes over the portfolio's missing reviews, and it always equals the engine's rows counted in
Python: the window (every field, typed as the queryset types it), every owner's count, the
escalated count."""

import datetime
import random

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import cadence
from reviews.overdue_digest import OverdueWindow, overdue_digest
from tests.conftest import make_use_case, make_user
from tests.reviews.cadence_helpers import add_monthly, add_weekly

D = datetime.date
TODAY = D(2026, 6, 10)


def expected(rows: list[dict], *, offset: int, limit: int, escalate_after: int):
    """The digest computed in Python from the engine's own rows."""
    per_owner: dict[tuple, int] = {}
    for row in rows:
        key = (row["owner_username"], row["owner_first_name"], row["owner_last_name"])
        per_owner[key] = per_owner.get(key, 0) + 1
    return (
        rows[offset : offset + limit],
        cadence.owner_counts((*key, n) for key, n in per_owner.items()),
        sum(row["days_overdue"] >= escalate_after for row in rows),
    )


@pytest.fixture
def portfolio(db):
    """Owners with the same name and counts that tie, the ownerless, use cases that went live
    at different times, and reviews that fill some of their periods."""
    rng = random.Random(20)
    owners = [
        make_user("ann", first_name="Ann", last_name="Bee"),
        make_user("ann2", first_name="Ann", last_name="Bee"),
        make_user("zed", first_name="Zed", last_name=""),
        make_user("quiet"),
        None,
    ]
    weeks = [f"2026-W{w:02d}" for w in range(10, 23)]
    for i in range(12):
        use_case = make_use_case(
            f"Use case {i:02d}",
            owner=owners[i % len(owners)],
            live_since=D(2026, 1, 5) + datetime.timedelta(weeks=rng.randrange(0, 20)),
        )
        for week in rng.sample(weeks, rng.randrange(0, len(weeks))):
            add_weekly(use_case, week)
        if rng.random() < 0.5:
            add_monthly(use_case, "2026-04")
    return owners


@pytest.mark.django_db
def test_the_digest_is_the_engines_rows_counted(portfolio):
    for filters in [{}, {"owner": "ann"}, {"owner": cadence.NO_OWNER}, {"kind": "monthly"}]:
        rows = cadence.overdue_reviews(today=TODAY, **filters)
        everything = list(rows)
        assert everything, filters
        for offset, limit, escalate_after in [
            (0, 10, 3),
            (7, 5, 14),
            (len(everything) - 1, 10, 1),
            (len(everything), 10, 60),
            (0, 0, 3),
        ]:
            with CaptureQueriesContext(connection) as ctx:
                digest = overdue_digest(
                    rows, offset=offset, limit=limit, escalate_after=escalate_after
                )
            assert len(ctx.captured_queries) == 1
            window, owners, escalated = expected(
                everything, offset=offset, limit=limit, escalate_after=escalate_after
            )
            assert digest.rows == window  # the same dicts, dates as dates, booleans as booleans
            assert digest.owners == owners
            assert digest.escalated == escalated
            assert digest.total == len(everything)
    counts = overdue_digest(cadence.overdue_reviews(today=TODAY), limit=0).owners
    names = [(c.username, c.name) for c in counts]
    assert ("ann", "Ann Bee") in names and ("ann2", "Ann Bee") in names  # same name, two owners
    assert ("", "") in names and ("quiet", "quiet") in names


@pytest.mark.django_db
def test_the_window_in_another_order(portfolio):
    """My work lists the most recent first: the window follows any order of row fields."""
    order = ("-due_on", "use_case_name", "kind", "use_case_id")
    everything = list(cadence.overdue_reviews(today=TODAY).order_by(*order))
    for offset in (0, 5, len(everything) - 2):
        digest = overdue_digest(
            cadence.overdue_reviews(today=TODAY), offset=offset, limit=7, order=order
        )
        assert digest.rows == everything[offset : offset + 7]
        assert digest.total == len(everything)
    with pytest.raises(ValueError, match="not a column"):
        overdue_digest(cadence.overdue_reviews(today=TODAY), limit=1, order=("-pk",))


@pytest.mark.django_db
def test_a_paginator_over_the_window_reads_the_union_once(portfolio):
    rows = cadence.overdue_reviews(today=TODAY)
    everything = list(rows)
    pages = -(-len(everything) // 4)
    for asked, served, statements in [
        ("1", 1, 1),
        (str(pages), pages, 1),
        (None, 1, 1),
        ("2.0", 1, 1),  # not a number for Django's paginator either: page 1
        ("\u0662", 2, 1),  # an Arabic-Indic two: int() reads it, and so does the paginator
        ("0", pages, 2),  # out of range: the last page, read again
        (str(pages + 1), pages, 2),
        ("1e400", 1, 1),
        ("9" * 30, pages, 2),  # never an OFFSET: guessed as page 1, served as the last
        ("9" * 5000, 1, 1),  # too long for int(), here and in the paginator
    ]:
        fresh = cadence.overdue_reviews(today=TODAY)  # ``rows`` has its results cached
        window = OverdueWindow(fresh, page=asked, per_page=4)
        with CaptureQueriesContext(connection) as ctx:
            page = Paginator(window, 4).get_page(asked)
            listed = list(page)
        assert page.number == served, asked
        assert listed == everything[(served - 1) * 4 : served * 4], asked
        assert page.paginator.count == len(everything)
        assert len(ctx.captured_queries) == statements, asked


@pytest.mark.django_db
def test_an_empty_portfolio_reads_nothing_more():
    rows = cadence.overdue_reviews(today=TODAY)
    digest = overdue_digest(rows, limit=10)
    assert (digest.rows, digest.owners, digest.escalated, digest.total) == ([], [], 0, 0)
    page = Paginator(OverdueWindow(rows, page="3", per_page=10), 10).get_page("3")
    assert (page.number, list(page)) == (1, [])
