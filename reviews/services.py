"""Writes of weekly and monthly reviews: submit and correct, shared by web views and the API.

Every write runs in one transaction: the review, its audit record and (via
``after_review_saved``) the stop-loss evaluation commit together or not at all. A review saved
carries what the evaluation did as ``review.outcome`` (``stoploss_effects.Outcome``; in words:
``reviews.consequences.of_outcome``).

``*_preview`` validate a review exactly as the submit / correct functions do (permission, the
model's rules, a duplicate period) and return it unsaved with the consequences saving it would
have (``reviews.consequences.of_unsaved``): nothing is written.
"""

import copy
import datetime
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from usecases import clock, economics
from usecases.audit import stamp
from usecases.fastpaths import insert_new_with_history, loaded_relations, recall, remember
from usecases.models import ModelChange, UseCase
from usecases.permissions import (
    can_submit_review,
    get_prepared_use_case_for_user,
    use_case_with_business_case,
)
from usecases.prepared_sql import PreparedQuery

from . import cadence, consequences, reminders, telemetry_drafts
from .duplicates import DuplicateReview, existing_review
from .models import MonthlyReview, WeeklyReview, weekly_period_dates
from .stoploss import evaluate_after_review
from .stoploss_effects import Outcome
from .withdrawals import Correction


class StaleVersionError(Exception):
    """The review changed since the client read it; nothing was written."""

    def __init__(self, current):
        self.current = current
        self.current_version = current.version
        super().__init__(
            f"This review was changed by someone else meanwhile (now version {current.version})."
        )


def model_version_in_effect(use_case: UseCase, week: str) -> ModelChange | None:
    """The latest model/prompt change effective on or before the end of ``week``: read once per
    use case instance and week (read with the use case by ``use_case_for_week``, or here; the
    new review form asks twice: its initial version and its preview)."""
    sunday = _sunday_of(week)
    if sunday is None:
        return None
    known = recall(use_case, "change_in_effect")
    if known is not None and known[0] == sunday:
        return known[1]
    found = CHANGE_IN_EFFECT(use_case_id=use_case.pk, sunday=sunday)
    change = found[0] if found else None
    remember(use_case, "change_in_effect", (sunday, change))
    return change


def _sunday_of(week) -> datetime.date | None:
    try:
        return economics.iso_week_bounds(*economics.parse_iso_week(week))[1]
    except ValueError:
        return None


def changes_in_effect(use_case_id: int, sunday: datetime.date):
    """The model/prompt changes of a use case effective by ``sunday``, the latest first."""
    return ModelChange.objects.filter(use_case_id=use_case_id, effective_date__lte=sunday).order_by(
        "-effective_date", "-id"
    )


#: ``model_version_in_effect``'s read, compiled once per connection.
CHANGE_IN_EFFECT = PreparedQuery(
    lambda use_case_id, sunday: changes_in_effect(use_case_id, sunday)[:1],
    use_case_id=int,
    sunday=datetime.date,
)

#: What ``use_case_for_week`` reads of the change in effect: what the weekly signals need of the
#: log (``series``: its date, label and kind) and the review's default version (its id). The
#: change's other fields are deferred (read if ever asked for).
_CHANGE_READ = ("id", "version_label", "kind", "effective_date")

#: ``use_case_for_week``'s read: ``get_prepared_use_case_for_user``'s row and, in the same
#: statement, the change in effect by ``sunday`` (``changes_in_effect``, one field a subquery).
USE_CASE_WITH_CHANGE_IN_EFFECT = PreparedQuery(
    lambda pk, user_id, sunday: use_case_with_business_case(pk, user_id).annotate(
        **{
            f"_valuegate_change_{name}": Subquery(
                changes_in_effect(OuterRef("pk"), sunday).values(name)[:1]
            )
            for name in _CHANGE_READ
        }
    ),
    pk=int,
    user_id=int,
    sunday=datetime.date,
)


def use_case_for_week(user, pk, week, *, check) -> UseCase:
    """``get_prepared_use_case_for_user(user, pk, check=check)`` (the same 404 and 403) with the
    model/prompt change in effect in ``week`` read in the same statement: a weekly review's
    submission then asks ``model_version_in_effect`` nothing more (issue 20: its round trips).
    ``week`` as the client sent it: when it is no ISO week, the use case is read alone (the
    serializer says what is wrong with the week)."""
    sunday = _sunday_of(week)
    if sunday is None:
        return get_prepared_use_case_for_user(user, pk, check=check)
    use_case = get_prepared_use_case_for_user(
        user, pk, check=check, read=USE_CASE_WITH_CHANGE_IN_EFFECT, sunday=sunday
    )
    pk_, *values = (use_case.__dict__.pop(f"_valuegate_change_{name}") for name in _CHANGE_READ)
    change = None
    if pk_ is not None:
        change = ModelChange.from_db(
            DEFAULT_DB_ALIAS, ("id", "use_case_id", *_CHANGE_READ[1:]), (pk_, use_case.pk, *values)
        )
    remember(use_case, "change_in_effect", (sunday, change))
    return use_case


def after_review_saved(review, **known) -> Outcome:
    """Hook run inside the review's transaction: the stop-loss rules (and, for the latest week,
    the early-warning signals) are evaluated for the review's period (``reviews.stoploss``).
    ``known``: what the caller already read for it (``change_in_effect``), and for a correction
    the ``correction`` (its flags whose breach it removed are withdrawn)."""
    return evaluate_after_review(review, **known)


def _reminders_settled(review) -> list[tuple[str, list]]:
    """A new review settles its period's reminders and overdue alerts (``reminders``): the
    UPDATE to run with its INSERT. Before the period's reminder day none can exist yet, so the
    current week runs none."""
    kind = cadence.WEEKLY if review.period_field == "week" else cadence.MONTHLY
    period = cadence.parse_period(kind, getattr(review, review.period_field))
    if clock.today() < period.reminder_on:
        return []
    return [
        reminders.settle_statement(use_case_id=review.use_case_id, kind=kind, period=period.label)
    ]


def _check_permission(user, use_case, permission=can_submit_review) -> None:
    if not permission(user, use_case):
        raise PermissionDenied("You may not submit reviews for this use case.")


def _pick(data: Mapping, fields) -> dict:
    return {k: data[k] for k in fields if k in data}


def _check_new(review) -> None:
    """What ``_insert`` checks before its INSERT: the model's rules, then the period's
    uniqueness (``DuplicateReview``)."""
    try:
        review.full_clean(exclude=loaded_relations(review), validate_constraints=False)
    except ValidationError:
        error = _duplicate_of(review)
        if error is not None:
            raise error from None
        raise
    error = _duplicate_of(review)
    if error is not None:
        raise error


def _duplicate_of(review) -> DuplicateReview | None:
    period = getattr(review, review.period_field)
    existing = existing_review(type(review), use_case=review.use_case, period=period)
    return None if existing is None else DuplicateReview(existing)


def _insert(review, **known) -> None:
    """Save a new review once: a review of the same period raises ``DuplicateReview`` (on the
    period field), whatever else is wrong with it. It is looked for only when the review is
    refused: by ``full_clean``, or by the unique constraint at the INSERT (a review saved
    earlier, or by a concurrent request)."""

    def duplicate() -> DuplicateReview | None:
        period = getattr(review, review.period_field)
        existing = existing_review(type(review), use_case=review.use_case, period=period)
        return None if existing is None else DuplicateReview(existing)

    try:
        review.full_clean(exclude=loaded_relations(review), validate_constraints=False)
    except ValidationError:
        error = duplicate()
        if error is not None:
            raise error from None
        raise
    review._history_user = review.submitted_by
    try:
        with transaction.atomic():
            _save_new(review)
            review.outcome = after_review_saved(review, **known)
    except IntegrityError:
        error = duplicate()
        if error is None:
            raise
        raise error from None


def _save_new(review) -> None:
    """INSERT ``review``, its audit record ("created", by ``review._history_user``) and settle
    its period's reminders (``_reminders_settled``): the row ``save()`` writes, by
    ``fastpaths.insert_new`` (its SQL compiled once per connection), the record ``save()`` would
    write, copied from the row just inserted (``fastpaths.bulk_history_of_created``), and the
    reminders' UPDATE, in one statement on PostgreSQL (``fastpaths.insert_new_with_history``;
    issue 20: the submission's round trips)."""
    review.skip_history_when_saving = True
    try:
        review.set_period_starts()  # what the model's ``save()`` does before saving
        insert_new_with_history(review, also=_reminders_settled(review))
    finally:
        del review.skip_history_when_saving


def _correct(review, *, user, data: Mapping, expected_version: int | None):
    """Correct ``review`` under a row lock; a stale ``expected_version`` writes nothing. The
    returned review carries ``outcome`` (``stoploss.Outcome``: flags raised, stages
    changed, flags withdrawn by the correction)."""
    _check_permission(user, review.use_case)
    with transaction.atomic():
        current = _locked(review)
        if expected_version is not None and current.version != expected_version:
            raise StaleVersionError(current)
        for field, value in _pick(data, type(review).INPUT_FIELDS).items():
            setattr(current, field, value)
        current.updated_by = user
        version_before = current.version
        current.version += 1
        current.full_clean(exclude=loaded_relations(current), validate_constraints=False)
        stamp(current, user=user, reason=f"corrected (version {current.version})")
        current.save()
        correction = Correction(current, user, clock.now(), version_before)
        current.outcome = after_review_saved(current, correction=correction)
    return current


def _locked(review):
    """``review`` read again under a row lock (only its own row), its model/prompt change read
    in the same statement, and the relations the caller read with it (the use case with its
    business case, the submitter: the permission check's, the response's) kept when they are
    still the row's: what ``full_clean`` validates, the evaluation and the response read,
    without a query each (issue 20: a correction's round trips)."""
    model = type(review)
    query = model.objects.select_for_update(of=("self",))
    if hasattr(model, "model_version"):  # a weekly review's model/prompt change
        query = query.select_related("model_version")
    current = query.get(pk=review.pk)
    for name in loaded_relations(review):
        field = model._meta.get_field(name)
        if not field.is_cached(current) and getattr(current, field.attname) == getattr(
            review, field.attname
        ):
            field.set_cached_value(current, field.get_cached_value(review))
    return current


def weekly_review_submit(
    *, user, use_case: UseCase, week: str, data: Mapping, permission=can_submit_review
) -> WeeklyReview:
    """Create the weekly review of ``use_case`` for ``week``.

    Raises ``ValidationError`` (field messages; ``DuplicateReview`` naming the existing review
    of the week) or ``PermissionDenied``. Two simultaneous submissions of the same week create
    one review: the loser's INSERT hits the unique constraint and gets ``DuplicateReview``.
    ``permission`` is the rule that admits ``user`` (the bulk import passes
    ``can_import_reviews``). ``data["from_draft"]``: saved from a telemetry draft; the review
    records what was measured and what the user changed (``telemetry_drafts.provenance``).
    """
    _check_permission(user, use_case, permission)
    review, in_effect = _new_weekly(user, use_case, week, data)
    if data.get("from_draft"):
        review.telemetry = telemetry_drafts.provenance(use_case, week, review.__dict__)
    _insert(review, change_in_effect=in_effect)
    return review


def _new_weekly(user, use_case: UseCase, week: str, data: Mapping):
    values = _pick(data, WeeklyReview.INPUT_FIELDS)
    if values.get("target_users") is None:
        values["target_users"] = use_case.target_users
    review = WeeklyReview(
        use_case=use_case, week=week, submitted_by=user, updated_by=user, **values
    )
    # The change in effect is the default version and all the weekly signals need of the log.
    in_effect = model_version_in_effect(use_case, week)
    if review.model_version is None:
        review.model_version = in_effect
    return review, in_effect


def weekly_review_preview(*, user, use_case: UseCase, week: str, data: Mapping):
    """``(review, consequences)``: the weekly review ``weekly_review_submit`` would create,
    validated as it does (``ValidationError`` / ``DuplicateReview`` / ``PermissionDenied``),
    not saved, and what saving it would trigger. Writes nothing."""
    _check_permission(user, use_case)
    review, _ = _new_weekly(user, use_case, week, data)
    _check_new(review)
    review.week_start, review.month_start = weekly_period_dates(week)
    return review, consequences.of_unsaved(review)


def weekly_review_correct(
    *, user, review: WeeklyReview, data: Mapping, expected_version: int | None
) -> WeeklyReview:
    """Correct a weekly review. ``expected_version`` is the version the user started from;
    a different current version raises ``StaleVersionError`` and nothing is written."""
    return _correct(review, user=user, data=data, expected_version=expected_version)


def monthly_review_submit(*, user, use_case: UseCase, month: str, data: Mapping) -> MonthlyReview:
    """Create the monthly financial review of ``use_case`` for ``month`` (see weekly)."""
    _check_permission(user, use_case)
    review = _new_monthly(user, use_case, month, data)
    _insert(review)
    return review


def _new_monthly(user, use_case: UseCase, month: str, data: Mapping) -> MonthlyReview:
    return MonthlyReview(
        use_case=use_case,
        month=month,
        submitted_by=user,
        updated_by=user,
        **_pick(data, MonthlyReview.INPUT_FIELDS),
    )


def monthly_review_preview(*, user, use_case: UseCase, month: str, data: Mapping):
    """``(review, consequences)`` of a monthly review not saved (see ``weekly_review_preview``)."""
    _check_permission(user, use_case)
    review = _new_monthly(user, use_case, month, data)
    _check_new(review)
    year, number = economics.parse_month(month)
    review.month_start = datetime.date(year, number, 1)
    return review, consequences.of_unsaved(review)


def correction_preview(*, user, review, data: Mapping):
    """``(corrected, consequences)``: ``review`` (weekly or monthly) with ``data`` applied and
    validated as ``_correct`` does, not saved, and what saving it would trigger."""
    _check_permission(user, review.use_case)
    saved = type(review).objects.get(pk=review.pk)  # a form may have changed ``review`` already
    corrected = copy.copy(saved)
    corrected.use_case = review.use_case
    for field, value in _pick(data, type(review).INPUT_FIELDS).items():
        setattr(corrected, field, value)
    corrected.full_clean(exclude=loaded_relations(corrected), validate_constraints=False)
    return corrected, consequences.of_unsaved(corrected, saved=saved)


def monthly_review_correct(
    *, user, review: MonthlyReview, data: Mapping, expected_version: int | None
) -> MonthlyReview:
    """Correct a monthly review (see ``weekly_review_correct``)."""
    return _correct(review, user=user, data=data, expected_version=expected_version)
