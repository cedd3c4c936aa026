"""Two submissions of the same week at once: one review, one 400 naming it.

Over HTTP against the live server (a thread per request, a database connection each), the value
owner and the contributor post the same week at the same instant (a barrier releases both
threads together), for several weeks in a row so that both requests really pass the service's
"already exists?" read before either commits. Whoever loses hits the unique constraint and gets
the duplicate-week message with the winner's id — never a 500, never two rows.
PostgreSQL only: SQLite serialises writers, so there is no race to lose.
"""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection

from reviews.models import WeeklyReview
from tests.conftest import api_token, make_use_case, make_user
from tests.faults import ensure_default_policy

pytestmark = pytest.mark.postgres

WEEKS = ("2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45")
#: A healthy week (no stop-loss): the race is about the row, nothing else.
FIGURES = dict(
    active_users=80,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=40,
    exceptions=10,
    minutes_saved_per_task="3.00",
    rework_minutes_per_output="5.00",
    quality_score="88",
    backlog=30,
    declared_hours_saved="20",
)


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, {"raw": payload.decode(errors="replace")[:2000]}


def _at_once(calls) -> list:
    """Run the calls in threads released together; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_same_week_submitted_twice_at_once_gives_one_review_and_one_400(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: PostgreSQL only")
    ensure_default_policy()
    owner, contributor = make_user("olivia"), make_user("carl")
    use_case = make_use_case(owner=owner)
    use_case.contributors.add(contributor)
    tokens = [api_token(user) for user in (owner, contributor)]
    url = f"{live_server.url}/api/v1/weekly-reviews/"

    for week in WEEKS:
        body = {"use_case": use_case.pk, "week": week, **FIGURES}
        results = _at_once([lambda t=token, b=body: _post(url, t, b) for token in tokens])

        statuses = sorted(status for status, _ in results)
        assert statuses == [201, 400], f"{week}: {results}"
        review = WeeklyReview.objects.get(use_case=use_case, week=week)  # exactly one
        created = next(payload for status, payload in results if status == 201)
        rejected = next(payload for status, payload in results if status == 400)
        assert created["id"] == review.pk
        assert f"review #{review.pk}" in " ".join(rejected["week"]), rejected

    assert WeeklyReview.objects.filter(use_case=use_case).count() == len(WEEKS)
