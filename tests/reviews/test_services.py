"""reviews.services: submit and correct weekly and monthly reviews (shared by pages and API).

The clock is frozen on Wednesday 2026-11-25 (ISO week 2026-W48).
"""

import datetime
import threading
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from reviews.models import MonthlyReview, WeeklyReview
from reviews.services import (
    StaleVersionError,
    model_version_in_effect,
    monthly_review_correct,
    monthly_review_submit,
    use_case_for_week,
    weekly_review_correct,
    weekly_review_submit,
)
from tests.factories import WeeklyReviewFactory
from usecases.models import ModelChange
from usecases.permissions import can_submit_review

NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))

WEEK = dict(
    active_users=70,
    target_users=90,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=30,
    minutes_saved_per_task=Decimal("2.50"),
    rework_minutes_per_output=Decimal("6.00"),
    quality_score=Decimal("91.50"),
    backlog=40,
    declared_hours_saved=Decimal("30.00"),
    notes="Busy week.",
    user_barriers="",
)
MONTH = dict(
    training_cost=Decimal("500.00"),
    support_cost=Decimal("800.00"),
    integration_cost=Decimal("300.00"),
    run_cost=Decimal("1200.00"),
    maintenance_cost=Decimal("400.00"),
    other_cost=Decimal("100.00"),
    notes="",
)

NOT_ALLOWED = ("other_owner", "leader", "pmo", "outsider")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def change(use_case, label, effective_date, kind="prompt"):
    return ModelChange.objects.create(
        use_case=use_case, version_label=label, kind=kind, effective_date=effective_date
    )


# --- weekly: submit ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_creates_the_review_with_its_period_and_audit(use_case, owner):
    review = weekly_review_submit(user=owner, use_case=use_case, week="2026-W44", data=WEEK)
    review.refresh_from_db()
    assert (review.week, review.version) == ("2026-W44", 1)
    # Monday 26 October; the week's Thursday (29 October) puts it in October.
    assert review.week_start == datetime.date(2026, 10, 26)
    assert review.month_start == datetime.date(2026, 10, 1)
    assert (review.submitted_by, review.updated_by) == (owner, owner)
    assert review.tasks_with_ai == 800 and review.quality_score == Decimal("91.50")
    (record,) = review.history.all()
    assert (record.history_type, record.history_user) == ("+", owner)


def _record(review) -> dict:
    """``review``'s only audit record, its own ids and use case aside."""
    (record,) = review.history.all()
    values = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}
    return {k: v for k, v in values.items() if k not in {"history_id", "id", "use_case_id"}}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_a_submissions_audit_record_is_the_one_save_writes(kind, use_case, other_use_case, owner):
    """A submission copies its audit record from the row it inserted (one ``INSERT … SELECT``):
    the record equals, field by field, the one simple-history's ``save()`` writes for the same
    review of another use case (its ids aside)."""
    change(use_case, "v1", datetime.date(2026, 10, 1))
    if kind == "weekly":
        submitted = weekly_review_submit(user=owner, use_case=use_case, week="2026-W44", data=WEEK)
        saved = WeeklyReview(
            use_case=other_use_case,
            week="2026-W44",
            submitted_by=owner,
            updated_by=owner,
            model_version=submitted.model_version,
            **WEEK,
        )
    else:
        submitted = monthly_review_submit(
            user=owner, use_case=use_case, month="2026-10", data=MONTH
        )
        saved = MonthlyReview(
            use_case=other_use_case, month="2026-10", submitted_by=owner, updated_by=owner, **MONTH
        )
    saved._history_user = owner
    saved.save()
    assert _record(submitted) == _record(saved)
    assert _record(submitted)["history_user_id"] == owner.pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "contributor", "admin"])
def test_who_may_submit(role, role_users, use_case):
    review = weekly_review_submit(
        user=role_users[role], use_case=use_case, week="2026-W47", data=WEEK
    )
    assert review.pk and review.submitted_by == role_users[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_submit_permission_denied(role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        weekly_review_submit(user=role_users[role], use_case=use_case, week="2026-W47", data=WEEK)
    assert not WeeklyReview.objects.exists()


@pytest.mark.django_db
def test_target_users_defaults_to_the_use_cases(use_case, owner):
    data = {k: v for k, v in WEEK.items() if k != "target_users"}
    review = weekly_review_submit(user=owner, use_case=use_case, week="2026-W47", data=data)
    assert review.target_users == use_case.target_users == 100
    explicit_none = weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W46", data={**data, "target_users": None}
    )
    assert explicit_none.target_users == 100


@pytest.mark.django_db
def test_model_version_defaults_to_the_one_in_effect_at_the_end_of_the_week(use_case, owner):
    v1 = change(use_case, "v1", datetime.date(2026, 9, 1), kind="model")
    v2 = change(use_case, "v2", datetime.date(2026, 11, 15))  # Sunday of 2026-W46
    v3 = change(use_case, "v3", datetime.date(2026, 11, 16))  # Monday of 2026-W47
    submit = lambda week, **extra: weekly_review_submit(  # noqa: E731
        user=owner, use_case=use_case, week=week, data={**WEEK, **extra}
    )
    assert submit("2026-W35").model_version is None  # before any change
    assert submit("2026-W45").model_version == v1
    assert submit("2026-W46").model_version == v2
    assert submit("2026-W47").model_version == v3
    assert submit("2026-W44", model_version=v3).model_version == v3  # explicit choice kept
    assert model_version_in_effect(use_case, "2026-W00") is None


@pytest.mark.django_db
def test_the_change_read_with_the_use_case_is_the_one_in_effect(
    use_case, owner, django_assert_num_queries
):
    """``use_case_for_week`` reads the use case and the change in effect in one statement (a
    submission's round trips, issue 20); ``model_version_in_effect`` then reads nothing and
    answers what it reads alone: the latest change by the week's Sunday, the higher id first
    on the same date."""
    change(use_case, "v1", datetime.date(2026, 9, 1), kind="model")
    change(use_case, "v2", datetime.date(2026, 11, 15))  # Sunday of 2026-W46
    change(use_case, "v2b", datetime.date(2026, 11, 15))  # the same day, entered later
    change(use_case, "v3", datetime.date(2026, 11, 16))  # Monday of 2026-W47
    fields = lambda c: c and (c.pk, c.version_label, c.kind, c.effective_date)  # noqa: E731
    for week in ("2026-W35", "2026-W36", "2026-W45", "2026-W46", "2026-W47", "2026-W48"):
        alone = model_version_in_effect(use_case, week)
        with django_assert_num_queries(1):
            read = use_case_for_week(owner, use_case.pk, week, check=can_submit_review)
        assert read == use_case
        with django_assert_num_queries(0):
            together = model_version_in_effect(read, week)
        assert fields(together) == fields(alone), week
        # Another week asks the database as before.
        assert fields(model_version_in_effect(read, "2026-W46")) == fields(
            model_version_in_effect(use_case, "2026-W46")
        )
    assert model_version_in_effect(use_case, "2026-W46").version_label == "v2b"


@pytest.mark.django_db
@pytest.mark.parametrize("week", ["2026-W99", "2026-w47", "", None, 47, ["2026-W47"]])
def test_a_week_that_is_none_reads_the_use_case_alone(week, use_case, owner):
    read = use_case_for_week(owner, use_case.pk, week, check=can_submit_review)
    assert read == use_case
    assert model_version_in_effect(read, "2026-W47") is None


@pytest.mark.django_db
def test_model_version_of_another_use_case_is_refused(use_case, other_use_case, owner):
    foreign = change(other_use_case, "x", datetime.date(2026, 9, 1))
    with pytest.raises(ValidationError) as exc:
        weekly_review_submit(
            user=owner, use_case=use_case, week="2026-W47", data={**WEEK, "model_version": foreign}
        )
    assert "model_version" in exc.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("week", "changes", "field"),
    [
        ("2026-W47", {"tasks_with_ai": 1001}, "tasks_with_ai"),
        ("2026-W47", {"reworked_outputs": 801}, "reworked_outputs"),
        ("2026-W47", {"exceptions": 1001}, "exceptions"),
        ("2026-W47", {"quality_score": Decimal("100.5")}, "quality_score"),
        ("2026-W47", {"active_users": -1}, "active_users"),
        ("2026-W47", {"target_users": 0}, "target_users"),
        ("2026-W00", {}, "week"),
        ("2027-W53", {}, "week"),
        ("2026-W53", {}, "week"),
        ("2026-W49", {}, "week"),
    ],
)
def test_submit_validation_writes_nothing(week, changes, field, use_case, owner):
    with pytest.raises(ValidationError) as exc:
        weekly_review_submit(user=owner, use_case=use_case, week=week, data={**WEEK, **changes})
    assert field in exc.value.message_dict
    assert not WeeklyReview.objects.exists()
    assert not WeeklyReview.history.exists()


@pytest.mark.django_db
def test_the_unfinished_week_and_month_are_refused_with_the_day_they_can_be_submitted(
    use_case, owner
):
    """Issue 14: every path (pages, API, import) goes through here."""
    with pytest.raises(ValidationError) as exc:
        weekly_review_submit(user=owner, use_case=use_case, week="2026-W48", data=WEEK)
    assert exc.value.message_dict == {
        "week": ["2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."]
    }
    with pytest.raises(ValidationError) as exc:
        monthly_review_submit(user=owner, use_case=use_case, month="2026-11", data=MONTH)
    assert exc.value.message_dict == {
        "month": ["2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec."]
    }
    assert not WeeklyReview.objects.exists() and not MonthlyReview.objects.exists()


@pytest.mark.django_db
def test_a_review_of_the_current_week_saved_earlier_can_still_be_corrected(use_case, owner):
    """Rows saved before the rule (the issue's W49) stay correctable: corrections are not
    re-checked against the period rules."""
    row = WeeklyReviewFactory(use_case=use_case, week="2026-W48", submitted_by=owner)
    corrected = weekly_review_correct(
        user=owner, review=row, data={"backlog": 7}, expected_version=row.version
    )
    assert (corrected.week, corrected.backlog) == ("2026-W48", 7)


@pytest.mark.django_db
def test_duplicate_week_names_the_existing_review(use_case, owner, contributor):
    first = weekly_review_submit(user=owner, use_case=use_case, week="2026-W47", data=WEEK)
    with pytest.raises(ValidationError) as exc:
        weekly_review_submit(user=contributor, use_case=use_case, week="2026-W47", data=WEEK)
    (message,) = exc.value.message_dict["week"]
    assert f"review #{first.pk}" in message
    assert f"/reviews/weekly/{first.pk}/" in message
    assert WeeklyReview.objects.count() == 1


@pytest.mark.django_db
def test_same_week_of_another_use_case_is_fine(use_case, other_use_case, owner, other_owner):
    weekly_review_submit(user=owner, use_case=use_case, week="2026-W47", data=WEEK)
    weekly_review_submit(user=other_owner, use_case=other_use_case, week="2026-W47", data=WEEK)
    assert WeeklyReview.objects.count() == 2


# --- weekly: correct --------------------------------------------------------------------------


@pytest.fixture
def weekly(use_case, owner):
    return weekly_review_submit(user=owner, use_case=use_case, week="2026-W46", data=WEEK)


@pytest.mark.django_db
def test_correct_increments_version_and_records_who_and_what(weekly, contributor, owner):
    corrected = weekly_review_correct(
        user=contributor,
        review=weekly,
        data={"backlog": 12, "notes": "Recount."},
        expected_version=1,
    )
    assert corrected.version == 2
    weekly.refresh_from_db()
    assert (weekly.backlog, weekly.notes, weekly.version) == (12, "Recount.", 2)
    assert (weekly.submitted_by, weekly.updated_by) == (owner, contributor)
    created, record = weekly.history.order_by("history_id")
    assert record.history_user == contributor
    assert record.history_change_reason == "corrected (version 2)"
    changed = {c.field: (c.old, c.new) for c in record.diff_against(created).changes}
    assert changed["backlog"] == (40, 12)
    assert changed["notes"] == ("Busy week.", "Recount.")
    assert changed["version"] == (1, 2)

    again = weekly_review_correct(
        user=owner, review=weekly, data={"backlog": 11}, expected_version=2
    )
    assert again.version == 3
    assert weekly.history.count() == 3


@pytest.mark.django_db
def test_stale_version_raises_and_writes_nothing(weekly, owner, contributor):
    weekly_review_correct(user=owner, review=weekly, data={"backlog": 10}, expected_version=1)
    with pytest.raises(StaleVersionError) as exc:
        weekly_review_correct(
            user=contributor, review=weekly, data={"backlog": 99}, expected_version=1
        )
    assert exc.value.current_version == 2
    weekly.refresh_from_db()
    assert (weekly.backlog, weekly.version, weekly.updated_by) == (10, 2, owner)
    assert weekly.history.count() == 2


@pytest.mark.django_db
def test_correct_validation_writes_nothing(weekly, owner):
    with pytest.raises(ValidationError) as exc:
        weekly_review_correct(
            user=owner, review=weekly, data={"tasks_total": 500}, expected_version=1
        )
    assert "tasks_with_ai" in exc.value.message_dict
    weekly.refresh_from_db()
    assert (weekly.tasks_total, weekly.version) == (1000, 1)
    assert weekly.history.count() == 1


@pytest.mark.django_db
def test_correct_cannot_move_the_week_or_use_case(weekly, owner, other_use_case):
    weekly_review_correct(
        user=owner,
        review=weekly,
        data={"week": "2026-W40", "use_case": other_use_case, "backlog": 1},
        expected_version=1,
    )
    weekly.refresh_from_db()
    assert (weekly.week, weekly.use_case_id, weekly.backlog) == (
        "2026-W46",
        weekly.use_case_id,
        1,
    )
    assert weekly.use_case_id != other_use_case.pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_correct_permission_denied(role, role_users, weekly):
    with pytest.raises(PermissionDenied):
        weekly_review_correct(
            user=role_users[role], review=weekly, data={"backlog": 1}, expected_version=1
        )
    weekly.refresh_from_db()
    assert (weekly.backlog, weekly.version) == (40, 1)


# --- monthly ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_monthly_submit_and_duplicate(use_case, owner, contributor):
    review = monthly_review_submit(user=contributor, use_case=use_case, month="2026-10", data=MONTH)
    review.refresh_from_db()
    assert review.month_start == datetime.date(2026, 10, 1)
    assert (review.version, review.submitted_by, review.run_cost) == (
        1,
        contributor,
        Decimal("1200.00"),
    )
    assert review.history.get().history_user == contributor
    with pytest.raises(ValidationError) as exc:
        monthly_review_submit(user=owner, use_case=use_case, month="2026-10", data=MONTH)
    assert f"review #{review.pk}" in exc.value.message_dict["month"][0]
    assert MonthlyReview.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("month", "changes", "field"),
    [
        ("2026-12", {}, "month"),
        ("2026-13", {}, "month"),
        ("2026-10", {"run_cost": Decimal("-0.01")}, "run_cost"),
        ("2026-10", {"other_cost": Decimal("-5")}, "other_cost"),
    ],
)
def test_monthly_validation_writes_nothing(month, changes, field, use_case, owner):
    with pytest.raises(ValidationError) as exc:
        monthly_review_submit(user=owner, use_case=use_case, month=month, data={**MONTH, **changes})
    assert field in exc.value.message_dict
    assert not MonthlyReview.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_monthly_permission_denied(role, role_users, use_case, owner):
    with pytest.raises(PermissionDenied):
        monthly_review_submit(user=role_users[role], use_case=use_case, month="2026-10", data=MONTH)
    review = monthly_review_submit(user=owner, use_case=use_case, month="2026-10", data=MONTH)
    with pytest.raises(PermissionDenied):
        monthly_review_correct(
            user=role_users[role], review=review, data={"run_cost": 0}, expected_version=1
        )
    review.refresh_from_db()
    assert (review.run_cost, review.version) == (Decimal("1200.00"), 1)


@pytest.mark.django_db
def test_monthly_correct_and_stale(use_case, owner, contributor):
    review = monthly_review_submit(user=owner, use_case=use_case, month="2026-10", data=MONTH)
    corrected = monthly_review_correct(
        user=contributor, review=review, data={"run_cost": Decimal("1300.00")}, expected_version=1
    )
    assert corrected.version == 2
    with pytest.raises(StaleVersionError) as exc:
        monthly_review_correct(
            user=owner, review=review, data={"run_cost": Decimal("1.00")}, expected_version=1
        )
    assert exc.value.current_version == 2
    review.refresh_from_db()
    assert (review.run_cost, review.version, review.updated_by) == (
        Decimal("1300.00"),
        2,
        contributor,
    )
    created, record = review.history.order_by("history_id")
    assert record.history_user == contributor
    assert {c.field for c in record.diff_against(created).changes} >= {"run_cost", "version"}


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


def _race(submit):
    """Run ``submit()`` in two threads released together; return what each got."""
    barrier = threading.Barrier(2)
    outcomes = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=10)
            result = submit()
        except ValidationError as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_submissions_give_one_review_and_one_error(
    attempt, use_case, owner, contributor
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions on one database")
    users = iter([owner, contributor])
    lock = threading.Lock()

    def submit():
        with lock:
            user = next(users)
        return weekly_review_submit(user=user, use_case=use_case, week="2026-W47", data=WEEK)

    outcomes = _race(submit)
    reviews = [o for o in outcomes if isinstance(o, WeeklyReview)]
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(reviews) == 1 and len(errors) == 1, outcomes
    assert WeeklyReview.objects.filter(use_case=use_case, week="2026-W47").count() == 1
    (message,) = errors[0].message_dict["week"]
    assert f"review #{reviews[0].pk}" in message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_monthly_submissions(use_case, owner):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions on one database")
    outcomes = _race(
        lambda: monthly_review_submit(user=owner, use_case=use_case, month="2026-10", data=MONTH)
    )
    # The loser gets the service's one duplicate error, naming the winner's review.
    assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateReview", "MonthlyReview"]
    review, error = sorted(outcomes, key=lambda o: type(o).__name__ == "DuplicateReview")
    assert error.existing.pk == review.pk
    assert MonthlyReview.objects.filter(use_case=use_case).count() == 1
