"""Prepared statements on PostgreSQL (issue 20, ``usecases.prepared_sql.prepared_cursor``): the
fixed-shape reads and the review INSERT are prepared on the server the first time a connection
runs them; nothing else Django runs is; the query log shows them with their values, as Django
logs its own; without a threshold (``DATABASE_PREPARED_STATEMENTS=false``, read by the settings:
``tests/portfolio/test_db_unavailable.py``) nothing is prepared."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews import cadence
from reviews.models import Flag
from reviews.reminders import REMINDER_KINDS
from reviews.services import weekly_review_submit
from reviews.stoploss_effects import STOP_LOSS_NOTICE
from tests.conftest import make_use_case
from tests.reviews.stoploss_helpers import HEALTHY
from usecases.context_processors import UNREAD_COUNT
from usecases.models import Notification, UseCase
from usecases.permissions import USE_CASE_WITH_BUSINESS_CASE
from usecases.prepared_sql import prepared_cursor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared_on_server() -> list[str]:
    """The statements this connection has prepared (PostgreSQL's own view of the session)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def test_a_fixed_shape_read_is_prepared_once_and_answers_every_value(owner, use_case):
    other = make_use_case("Other", owner)
    before = prepared_on_server()
    first = USE_CASE_WITH_BUSINESS_CASE(pk=use_case.pk, user_id=owner.pk)
    after_one = prepared_on_server()
    [new] = [s for s in after_one if s not in before]
    assert new.startswith('SELECT "usecases_usecase"."id"')
    assert "$1" in new  # the values are bound on the server, not part of the statement
    second = USE_CASE_WITH_BUSINESS_CASE(pk=other.pk, user_id=owner.pk)
    assert USE_CASE_WITH_BUSINESS_CASE(pk=use_case.pk, user_id=owner.pk) == first
    assert prepared_on_server() == after_one  # the same statement, reused
    assert [first[0].pk, second[0].pk] == [use_case.pk, other.pk]


def test_the_orms_own_statements_are_not_prepared(use_case):
    before = prepared_on_server()
    for _ in range(12):  # more than psycopg's default threshold of 5
        assert UseCase.objects.filter(pk=use_case.pk).count() == 1
    assert prepared_on_server() == before


def test_the_review_insert_is_prepared(owner, use_case):
    before = prepared_on_server()
    weekly_review_submit(user=owner, use_case=use_case, week="2026-W47", data=HEALTHY)
    new = [s for s in prepared_on_server() if s not in before]
    assert any(s.startswith('WITH "new_row" AS (INSERT INTO "reviews_weeklyreview"') for s in new)


def test_the_review_insert_is_planned_once_not_on_every_submission(owner):
    """After PostgreSQL's five custom plans the INSERT keeps a generic one: its settling of the
    week's reminders finds them by ``notification_unread_subject`` whatever the values. Without
    that index the generic plan read the whole unique index of the notifications, so PostgreSQL
    planned the statement afresh on every submission (~0.1 ms of its CPU each; issue 20), and
    the custom plan read every notice of the subject type (the reminders of every week)."""
    use_cases = [make_use_case(f"Planned {n}", owner) for n in range(10)]
    # What an installation keeps: a year of settled weekly reminders for each, and the PMO's
    # unread stop-loss notices about flags.
    now = timezone.now()
    notices = [
        Notification(
            recipient=owner,
            kind=REMINDER_KINDS[cadence.WEEKLY],
            subject_type=ContentType.objects.get_for_model(UseCase),
            subject_id=each.pk,
            period=f"2025-W{week:02d}",
            title="Weekly review due",
            read_at=now,
        )
        for each in use_cases
        for week in range(1, 53)
    ]
    notices += [
        Notification(
            recipient=owner,
            kind=STOP_LOSS_NOTICE,
            subject_type=ContentType.objects.get_for_model(Flag),
            subject_id=10_000 + n,
            period="2026-W30",
            title="Stop-loss flag raised",
        )
        for n in range(3000)
    ]
    Notification.objects.bulk_create(notices)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE usecases_notification")
    for n, each in enumerate(use_cases):
        weekly_review_submit(user=owner, use_case=each, week=f"2026-W{30 + n:02d}", data=HEALTHY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            'WHERE statement LIKE \'WITH "new_row" AS (INSERT INTO "reviews_weeklyreview"%%\''
        )
        [(generic, custom)] = cursor.fetchall()
    assert (generic, custom) == (5, 5)


def test_the_query_log_shows_a_prepared_statement_with_its_values(owner):
    with CaptureQueriesContext(connection) as captured:
        UNREAD_COUNT(user_id=owner.pk)
    [query] = captured.captured_queries
    assert query["sql"].startswith('SELECT COUNT("usecases_notification"."id")')
    assert f'"recipient_id" = {owner.pk}' in query["sql"]
    assert "$1" not in query["sql"] and "QUERY =" not in query["sql"]


def test_without_a_threshold_the_cursor_is_djangos_own(monkeypatch, owner):
    """What ``DATABASE_PREPARED_STATEMENTS=false`` leaves in the settings: no threshold, and
    ``prepared_cursor`` is ``connection.cursor()``; nothing is prepared."""
    monkeypatch.delitem(connection.settings_dict["OPTIONS"], "prepare_threshold")
    before = prepared_on_server()
    with prepared_cursor(connection) as cursor:
        assert type(cursor.cursor).__name__ == "Cursor"  # Django's client-side binding cursor
    UNREAD_COUNT(user_id=owner.pk)
    assert prepared_on_server() == before


def test_a_few_use_cases_missing_reviews_are_read_on_one_prepared_statement(owner):
    """A value owner's My work reads the missing reviews of their use cases, listed by id
    (``reviews.missing_rows``): the 32-period union is prepared once by the connection and
    reused for every list of ids, rather than parsed and planned afresh on every page (~5 ms at
    2,000 use cases). The rows are those of the same statement run as Django runs it. A longer
    list, and the whole portfolio, are not prepared."""
    from dataclasses import replace

    from reviews.overdue_digest import overdue_digest
    from usecases import clock

    today = clock.today()
    mine = [make_use_case(f"Owed {n}", owner).pk for n in range(4)]
    before = prepared_on_server()
    digests = []
    for ids in (mine, mine[:1], mine[1:3], mine[::-1], mine[2:], mine, mine[:2]):
        rows = cadence.overdue_reviews(today=today, use_case_ids=ids)
        digest = overdue_digest(rows, limit=5, order=("-due_on", "use_case_name"))
        unprepared = overdue_digest(
            replace(rows, prepared=False), limit=5, order=("-due_on", "use_case_name")
        )
        assert digest == unprepared
        assert digest.total > 0
        digests.append(digest)
    [new] = [s for s in prepared_on_server() if s not in before]
    assert new.startswith("WITH missing AS (") and "$1" in new
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [new],
        )
        assert cursor.fetchone() == (7,)  # one statement, run seven times
    assert digests[0].total == 4 * digests[1].total  # each use case owes the same periods

    after = prepared_on_server()
    many = mine + [make_use_case(f"More {n}", owner).pk for n in range(cadence.PREPARED_MAX_IDS)]
    overdue_digest(cadence.overdue_reviews(today=today, use_case_ids=many), limit=5)
    overdue_digest(cadence.overdue_reviews(today=today), limit=5)
    assert prepared_on_server() == after
