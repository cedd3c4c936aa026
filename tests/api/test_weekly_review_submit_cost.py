"""What one ``POST /api/v1/weekly-reviews/`` costs (issue 9: ≥ 100 submissions/s on 2 workers).

A submission reads and writes a fixed set of rows, whatever the use case's history, the number of
use cases, rules or model changes: the same statements for 1 prior week as for 30. The tests
compare the SET of statements (each ``VERB table`` with how often it runs), never their order:
the order is the service's business, the count is the cost. Time is frozen on Wednesday
2026-11-25 (ISO week 2026-W48). The shortcuts that keep it this small are ``usecases.fastpaths``.
"""

import datetime
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reviews.duplicates import duplicate_message
from reviews.models import Flag, StopLossRule, WeeklyReview
from tests.conftest import api_token, make_use_case
from usecases.models import ModelChange, UseCase

from .conftest import make_weekly, weekly_payload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/weekly-reviews/"

#: The statements of a submission that breaches nothing, each once (transaction control aside), as
#: SQLite runs them.
SUBMISSION_APART = Counter(
    [
        "SELECT knox_authtoken",  # the token (by its first characters) and its user
        # The use case, value owner, business case, "contributes?" and the model/prompt version
        # in effect that week (``services.use_case_for_week``: one statement).
        "SELECT usecases_usecase",
        "INSERT reviews_weeklyreview",
        "INSERT reviews_historicalweeklyreview",  # the audit history
        "SELECT reviews_stoplossrule",  # the use case's rules and the default policy
        # Its latest weeks, with live_since joined and whether telemetry counted spans in its
        # week (declared_vs_measured; none here, so no telemetry query follows).
        "SELECT reviews_weeklyreview",
        # W47 is past its reminder day (Monday of W48): its reminders and alerts are settled.
        "UPDATE usecases_notification",
    ]
)

#: On PostgreSQL the review's INSERT, its history copy and the reminders' UPDATE are one statement
#: (data-modifying WITH queries, ``fastpaths.insert_new_with_history``): 6 statements, not 8.
WRITTEN_AT_ONCE = (
    "INSERT reviews_weeklyreview",
    "INSERT reviews_historicalweeklyreview",
    "UPDATE usecases_notification",
)
SUBMISSION_AT_ONCE = (
    SUBMISSION_APART - Counter(WRITTEN_AT_ONCE) + Counter(["WITH " + " + ".join(WRITTEN_AT_ONCE)])
)


def submission() -> Counter[str]:
    """The statements of a submission that breaches nothing on this database."""
    return SUBMISSION_AT_ONCE if connection.vendor == "postgresql" else SUBMISSION_APART


#: What a submission breaching a "return to redesign" rule runs on top of ``submission()``.
BREACH = Counter(
    {
        "SELECT reviews_flag": 1,  # the flags already raised for the period
        "SELECT usecases_usecase": 2,  # the use case row, then locked for the stage change
        "INSERT reviews_flag": 1,  # the rule's flag
        "INSERT reviews_historicalflag": 1,
        "UPDATE usecases_usecase": 1,  # back to redesign, conditional funding
        "INSERT usecases_historicalusecase": 1,  # its audit record, with its contributors
        "SELECT usecases_usecase_contributors": 1,
        "INSERT usecases_historicalusecase_contributors": 1,
        "INSERT usecases_stagetransition": 1,  # the transition's audit row
        "SELECT auth_user": 1,  # the PMO to notify
        "SELECT usecases_notification": 1,  # notifications already sent for the flag
        "INSERT usecases_notification": 1,
        "SELECT usecases_notificationchannel": 1,  # the chat channels subscribed to the event
    }
)


@pytest.fixture(autouse=True)
def content_types_read():
    """A worker reads the use case's and the flag's content types once (Django caches them
    for the process); the statements below are those of every later request."""
    ContentType.objects.get_for_model(UseCase)
    ContentType.objects.get_for_model(Flag)


def statements(queries) -> Counter[str]:
    """How often each ``VERB table`` ran, SAVEPOINT/RELEASE/BEGIN/COMMIT aside; a statement of
    data-modifying WITH queries is ``WITH`` and each of them, in order, joined by `` + ``."""
    found = []
    for query in queries:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb in {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"}:
            continue
        if verb == "WITH":
            writes = re.findall(r'AS \((INSERT|UPDATE|DELETE)\s+(?:INTO\s+|FROM\s+)?"(\w+)"', sql)
            found.append("WITH " + " + ".join(f"{v} {table}" for v, table in writes))
            continue
        found.append(f"{verb} {_main_table(sql)}")
    return Counter(found)


def _main_table(sql: str) -> str:
    """The table after the first FROM / INTO / UPDATE outside parentheses (not a subquery's)."""
    depth = 0
    for match in re.finditer(r'[()]|\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            return match.group(1)
    return "?"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def submit(client, for_use_case, week="2026-W47", **overrides):
    payload = weekly_payload(for_use_case, week, **overrides)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(LIST, payload, format="json")
    assert response.status_code == 201, response.content
    return statements(queries.captured_queries), response.json()


def healthy_history(use_case, weeks: int, user):
    """``weeks`` weekly reviews before 2026-W47 that breach nothing and signal nothing (the
    backlog shrinks; quality is steady)."""
    monday = datetime.date(2026, 11, 16)  # 2026-W47
    for n in range(weeks, 0, -1):
        iso = (monday - datetime.timedelta(weeks=n)).isocalendar()
        make_weekly(use_case, f"{iso[0]}-W{iso[1]:02d}", user, backlog=40 + n)


def test_a_submission_reads_and_writes_the_same_rows_for_1_or_30_weeks(
    use_case, contributor, owner
):
    healthy_history(use_case, 1, owner)
    client = token_client(contributor)
    few, body = submit(client, use_case)
    assert few == submission(), few
    assert body["submitted_by"] == contributor.username

    # A bigger portfolio: 30 weeks, model changes, an override rule, other use cases' reviews.
    other = make_use_case("Second", owner=owner)
    other.contributors.add(contributor)
    healthy_history(other, 30, owner)
    for n in range(5):
        ModelChange.objects.create(
            use_case=other,
            version_label=f"v{n}",
            kind="prompt",
            effective_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=30 * n),
        )
    StopLossRule.objects.create(
        use_case=other, metric="rework_rate", comparison="exceeds", threshold=Decimal("0.5")
    )
    for n in range(10):
        healthy_history(make_use_case(f"Filler {n}", owner=owner), 3, owner)
    many, body = submit(client, other)
    assert many == submission(), many
    review = WeeklyReview.objects.get(pk=body["id"])
    assert review.model_version.version_label == "v4"  # the one in effect, as before
    assert review.history.get().history_user == contributor
    assert not Flag.objects.exists()


def test_a_breaching_submission_costs_the_same_for_1_or_30_weeks(use_case, contributor, owner):
    """Rework 20 % breaches the default policy: the flags already raised, the use case row, the
    lock, the flag, the stage change and the notifications — a fixed set again."""
    breach = dict(reworked_outputs=160)  # 160 / 800 tasks with AI
    client = token_client(contributor)
    healthy_history(use_case, 1, owner)
    few, _ = submit(client, use_case, **breach)
    other = make_use_case("Second", owner=owner)
    other.contributors.add(contributor)
    healthy_history(other, 30, owner)
    many, _ = submit(client, other, **breach)
    assert few == many
    # Everything a healthy submission runs, plus a fixed set for the breach.
    assert submission() - few == Counter()  # everything a healthy submission runs
    assert few - submission() == BREACH, few - submission()
    assert Flag.objects.filter(kind="stop_loss").count() == 2


@pytest.mark.parametrize("use_case_value", ["as int", "as string"])
def test_the_use_case_is_read_once_whatever_the_id_looks_like(
    use_case_value, use_case, contributor
):
    payload = weekly_payload(use_case)
    payload["use_case"] = use_case.pk if use_case_value == "as int" else str(use_case.pk)
    with CaptureQueriesContext(connection) as queries:
        response = token_client(contributor).post(LIST, payload, format="json")
    assert response.status_code == 201, response.content
    assert statements(queries.captured_queries)["SELECT usecases_usecase"] == 1
    body = response.json()
    assert body["use_case"] == use_case.pk


def test_a_duplicate_is_found_by_the_constraint_and_named(use_case, contributor, owner):
    """No SELECT looks for a duplicate before the INSERT: the unique constraint refuses it, and
    the answer is the same 400 naming the existing review."""
    existing = make_weekly(use_case, "2026-W47", owner)
    response = token_client(contributor).post(
        LIST, weekly_payload(use_case, "2026-W47"), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["existing"]["id"] == existing.pk
    assert body["week"] == [duplicate_message(existing)]
    assert WeeklyReview.objects.filter(use_case=use_case).count() == 1


def test_settling_the_weeks_reminders_is_one_plain_update(use_case, contributor, owner):
    """The reminders of the week are marked read by one UPDATE of the notifications naming the
    use case's content type by its (cached) id: no subquery joining the content types. On
    PostgreSQL it is a WITH query of the review's INSERT statement."""
    healthy_history(use_case, 1, owner)
    with CaptureQueriesContext(connection) as queries:
        response = token_client(contributor).post(
            LIST, weekly_payload(use_case, "2026-W47"), format="json"
        )
    assert response.status_code == 201, response.content
    table = 'UPDATE "usecases_notification"'
    [update] = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    update = update[update.index(table) :]
    if connection.vendor == "postgresql":  # the last WITH query; the statement's SELECT follows
        update, returned = update.rsplit(") SELECT ", 1)
        assert returned.startswith('"id" FROM "new_row"')
    assert "django_content_type" not in update and "SELECT" not in update
