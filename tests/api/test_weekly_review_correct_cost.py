"""What one correction (``PATCH /api/v1/weekly-reviews/{id}/``) costs: 10 % of the mixed load
(issue 20). The review is read once for the permission check and once under its row lock
(with its model/prompt change); the use case, its business case and the submitter read with
the first are what ``full_clean``, the evaluation and the response use; "contributes?" is asked
once. Statements as ``test_weekly_review_submit_cost`` counts them (the set, not the order)."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import WeeklyReview
from tests.conftest import make_use_case
from usecases import services as use_case_services
from usecases.models import ModelChange
from usecases.permissions import can_submit_review, is_contributor

from .conftest import make_weekly
from .test_weekly_review_submit_cost import statements, token_client

pytestmark = pytest.mark.django_db

#: A correction that breaches nothing and withdraws nothing, transaction control aside.
CORRECTION = Counter(
    {
        "SELECT knox_authtoken": 1,  # the token and its user
        "SELECT auth_group": 1,  # the user's roles
        "SELECT usecases_usecase": 1,  # owns a use case? (what the user may see)
        # The review with its use case, business case and submitter (the permission check),
        # then its row under the lock, with its model/prompt change.
        "SELECT reviews_weeklyreview": 3,  # and the use case's latest weeks (the evaluation)
        "SELECT usecases_modelchange": 1,  # its change log (the signals; not the review's change)
        "SELECT auth_user": 1,  # contributes? (asked by the API and by the service: once)
        "UPDATE reviews_weeklyreview": 1,
        "INSERT reviews_historicalweeklyreview": 1,
        "SELECT reviews_stoplossrule": 1,  # the use case's rules and the default policy
        "SELECT reviews_flag": 1,  # the flags the correction could withdraw
    }
)


def correct(client, review, **changes):
    body = {"version": review.version, **changes}
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"/api/v1/weekly-reviews/{review.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    return statements(queries.captured_queries), response.json()


def test_a_correction_reads_each_row_once(use_case, contributor, owner):
    change = ModelChange.objects.create(
        use_case=use_case,
        version_label="v2",
        kind="prompt",
        effective_date=datetime.date(2026, 1, 1),
    )
    make_weekly(use_case, "2026-W45", owner)
    review = make_weekly(use_case, "2026-W46", owner, model_version=change)
    ran, body = correct(token_client(contributor), review, notes="Fixed", tasks_total=900)
    assert ran == CORRECTION, ran - CORRECTION or CORRECTION - ran
    # What the response shows comes from the rows kept, and is the row's.
    review.refresh_from_db()
    assert (review.version, review.notes, review.tasks_total) == (2, "Fixed", 900)
    assert body["version"] == 2
    assert body["model_version"] == change.pk
    assert body["submitted_by"] == owner.username  # the submitter stays; the corrector is saved
    assert review.updated_by == contributor
    assert review.history.latest().history_user == contributor


def test_a_correction_naming_another_use_cases_change_is_refused(
    use_case, contributor, owner, other_owner
):
    """The model change read with the review is validated as before (it must be the review's
    use case's)."""
    elsewhere = ModelChange.objects.create(
        use_case=make_use_case("Elsewhere", owner=other_owner),
        version_label="x",
        kind="model",
        effective_date=datetime.date(2026, 1, 1),
    )
    review = make_weekly(use_case, "2026-W46", owner)
    response = token_client(contributor).patch(
        f"/api/v1/weekly-reviews/{review.pk}/",
        {"version": 1, "model_version": elsewhere.pk},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "model_version" in response.json()
    assert WeeklyReview.objects.get(pk=review.pk).version == 1


def test_contributes_is_asked_once_and_again_after_the_contributors_change(
    use_case, contributor, pmo
):
    with CaptureQueriesContext(connection) as queries:
        assert can_submit_review(contributor, use_case)
        assert can_submit_review(contributor, use_case)
    assert len(queries) == 1
    use_case_services.use_case_update(user=pmo, use_case=use_case, data={"contributors": []})
    assert not is_contributor(contributor, use_case)  # the instance asked before the change
