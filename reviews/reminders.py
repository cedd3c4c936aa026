"""Reminder notifications of the review cadence (the rules and dates live in ``cadence``).

- ``review_reminders_send``: the value owner and the contributors of a use case whose review is
  missing, on the period's reminder day (Monday after the week, 1st after the month), made up at
  the next run if that day was missed (see ``cadence.reminder_periods``). Kinds
  ``weekly_reminder`` / ``monthly_reminder``; the link opens the review form for that period.
  A use case with telemetry in the week (spans counted on one of its days, ``TelemetryDay``) has
  its review drafted (``telemetry_drafts``): its weekly reminder says so and that it only needs
  confirming; the link is the same form, which opens pre-filled.
- ``overdue_alerts_send``: every active PMO member, once a missing review is
  ``PMO_AFTER_DAYS_OVERDUE`` (3) days overdue (see ``cadence.escalation_periods``). Kinds
  ``weekly_overdue`` / ``monthly_overdue``; the link opens the overdue tracker.

- ``settle_reminders``: once the review arrives, both kinds are marked read for every recipient
  (a submission runs its UPDATE, ``settle_statement``, within its INSERT's statement).

Subject = the use case, period = the ISO week or the month. Both services are idempotent and safe
to run concurrently: the notification is unique per (recipient, kind, use case, period) in the
database, and ``notify_many`` inserts with ``ON CONFLICT DO NOTHING``. Queries per run are constant
(missing reviews, recipients, existing notifications, one INSERT), whatever the portfolio size.
Only active users are notified.
"""

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from usecases import alerts
from usecases.models import AlertEvent, Notification, UseCase
from usecases.notify import Draft, notify_many
from usecases.roles import PMO

from . import cadence
from .telemetry_models import TelemetryDay

WEEKLY_REMINDER = "weekly_reminder"
MONTHLY_REMINDER = "monthly_reminder"
WEEKLY_OVERDUE = "weekly_overdue"
MONTHLY_OVERDUE = "monthly_overdue"
REMINDER_KINDS = {cadence.WEEKLY: WEEKLY_REMINDER, cadence.MONTHLY: MONTHLY_REMINDER}
OVERDUE_KINDS = {cadence.WEEKLY: WEEKLY_OVERDUE, cadence.MONTHLY: MONTHLY_OVERDUE}
for _kind in OVERDUE_KINDS.values():
    alerts.route(_kind, AlertEvent.OVERDUE)


def review_reminders_send(*, today: datetime.date) -> int:
    """Remind owners and contributors of today's missing reviews; returns how many notifications
    were created."""
    periods = {(p.kind, p.label): p for p in cadence.reminder_periods(today=today)}
    with transaction.atomic():
        rows = list(cadence.missing_reviews(today=today, periods=periods.values()))
        if not rows:
            return 0
        recipients = _owners_and_contributors(rows)
        drafted = _drafted_weeks(rows, periods.values())
        drafts = [
            _reminder(
                row,
                periods[(row["kind"], row["period"])],
                today,
                recipient_id,
                drafted=(row["use_case_id"], row["period"]) in drafted,
            )
            for row in rows
            for recipient_id in recipients[row["use_case_id"]]
        ]
        return notify_many(drafts)


def overdue_alerts_send(*, today: datetime.date) -> int:
    """Tell the PMO about reviews that reached 3 days overdue; returns how many notifications
    were created."""
    periods = {(p.kind, p.label): p for p in cadence.escalation_periods(today=today)}
    with transaction.atomic():
        rows = list(cadence.missing_reviews(today=today, periods=periods.values()))
        if not rows:
            return 0
        pmo_ids = list(
            get_user_model()
            .objects.filter(groups__name=PMO, is_active=True)
            .values_list("pk", flat=True)
        )
        drafts = [
            _overdue_alert(row, periods[(row["kind"], row["period"])], today, recipient_id)
            for row in rows
            for recipient_id in pmo_ids
        ]
        return notify_many(drafts)


def settle_reminders(*, use_case_id: int, kind: str, period: str) -> int:
    """The review of ``period`` (a ``cadence.WEEKLY`` or ``cadence.MONTHLY`` label) arrived: its
    reminders and the PMO's overdue alerts are done, so every recipient's copy is marked read (the
    inbox count drops; the notifications stay in the inbox as history). One UPDATE
    (``settle_statement``); returns how many were unread."""
    sql, params = settle_statement(use_case_id=use_case_id, kind=kind, period=period)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def settle_statement(*, use_case_id: int, kind: str, period: str) -> tuple[str, list]:
    """``settle_reminders``' UPDATE and its params, for a caller that runs it within a statement
    of its own (a submission: ``reviews.services._save_new``). The use case's content type is
    Django's per-process cached one (read once by a process): a plain UPDATE, no subquery joining
    ``django_content_type`` per review.

    The UPDATE is the queryset ``update(read_at=now)`` of those notifications written as SQL from
    the model's columns (an ``update()`` sends no signal either): building and compiling the
    queryset cost more CPU than the statement itself on every submission (issue 20)."""
    field = Notification._meta.get_field
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Notification._meta.db_table)} SET {quote(field('read_at').column)} = %s "
        f"WHERE {quote(field('kind').column)} IN (%s, %s) "
        f"AND {quote(field('subject_type').column)} = %s "
        f"AND {quote(field('subject_id').column)} = %s "
        f"AND {quote(field('period').column)} = %s "
        f"AND {quote(field('read_at').column)} IS NULL"
    )
    params = [
        field("read_at").get_db_prep_value(timezone.now(), connection),
        REMINDER_KINDS[kind],
        OVERDUE_KINDS[kind],
        ContentType.objects.get_for_model(UseCase).pk,
        use_case_id,
        period,
    ]
    return sql, params


def _owners_and_contributors(rows) -> dict[int, set[int]]:
    """``{use_case_id: {active user ids}}``: value owner and contributors. One query."""
    use_case_ids = {row["use_case_id"] for row in rows}
    through = UseCase.contributors.through.objects.filter(usecase_id__in=use_case_ids)
    recipients: dict[int, set[int]] = defaultdict(set)
    for use_case_id, user_id in through.filter(user__is_active=True).values_list(
        "usecase_id", "user_id"
    ):
        recipients[use_case_id].add(user_id)
    for row in rows:
        if row["value_owner_id"] and row["owner_is_active"]:
            recipients[row["use_case_id"]].add(row["value_owner_id"])
    return recipients


def _drafted_weeks(rows, periods) -> set[tuple[int, str]]:
    """``{(use_case_id, week)}`` of the missing weekly reviews whose week has telemetry (a draft
    waits for them). One query per weekly period in the reminder window (at most one)."""
    drafted = set()
    for period in periods:
        if period.kind != cadence.WEEKLY:
            continue
        ids = {
            row["use_case_id"]
            for row in rows
            if row["kind"] == period.kind and row["period"] == period.label
        }
        if not ids:
            continue
        with_spans = (
            TelemetryDay.objects.filter(
                use_case_id__in=ids, day__gte=period.start, day__lte=period.end, spans__gt=0
            )
            .values_list("use_case_id", flat=True)
            .distinct()
        )
        drafted.update((use_case_id, period.label) for use_case_id in with_spans)
    return drafted


def _use_case_type_id() -> int:
    return ContentType.objects.get_for_model(UseCase).pk


def _day(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _form_url(row, period: cadence.Period) -> str:
    if period.kind == cadence.WEEKLY:
        path = reverse("reviews:weekly_new", args=[row["use_case_id"]])
        return f"{path}?{urlencode({'week': period.label})}"
    path = reverse("reviews:monthly_new", args=[row["use_case_id"]])
    return f"{path}?{urlencode({'month': period.label})}"


def _describe(period: cadence.Period) -> str:
    if period.kind == cadence.WEEKLY:
        return (
            f"weekly operational review for {period.label} "
            f"({_day(period.start)} – {_day(period.end)})"
        )
    return f"monthly financial review for {period.label} ({period.start:%B %Y})"


def _reminder(
    row, period: cadence.Period, today: datetime.date, recipient_id: int, *, drafted=False
) -> Draft:
    name = row["use_case_name"]
    kind_label = cadence.KIND_LABELS[period.kind]
    days = period.days_overdue(today)
    head = f"{kind_label} review {period.label} of {name}"
    if days >= 1:
        title = (
            f"{head} is drafted, confirm it: overdue ({days} d)"
            if drafted
            else f"{head} is overdue ({days} d)"
        )
        status = f"It was due on {_day(period.due_on)} and is {days} day(s) overdue."
    else:
        title = (
            f"{head} is drafted: confirm it by {_day(period.due_on)}"
            if drafted
            else f"{head} is due {_day(period.due_on)}"
        )
        status = f"It is due on {_day(period.due_on)}; from the day after, it is overdue."
    if drafted:
        first = (
            f"The {_describe(period)} of {name} is drafted from its telemetry and only needs "
            "confirming: open the draft, check the measured figures, add what telemetry cannot "
            "know (tasks in total, minutes saved, backlog, declared hours) and submit."
        )
    else:
        first = f"The {_describe(period)} of {name} has not been submitted yet."
    body = (
        f"{first} {status} "
        f"The PMO is told when a review is {cadence.PMO_AFTER_DAYS_OVERDUE} days overdue."
    )
    return Draft(
        recipient_id=recipient_id,
        kind=REMINDER_KINDS[period.kind],
        subject_type_id=_use_case_type_id(),
        subject_id=row["use_case_id"],
        period=period.label,
        title=title[:200],
        body=body,
        url=_form_url(row, period),
    )


def _overdue_alert(row, period: cadence.Period, today: datetime.date, recipient_id: int) -> Draft:
    name = row["use_case_name"]
    kind_label = cadence.KIND_LABELS[period.kind]
    days = period.days_overdue(today)
    owner = cadence.MissingReview.from_row(row).owner_name or "none (no value owner)"
    title = f"{kind_label} review {period.label} of {name} is {days} days overdue"
    body = (
        f"The {_describe(period)} of {name} ({row['business_unit']}) was due on "
        f"{_day(period.due_on)} and has not been submitted. Value owner: {owner}."
    )
    query = {"kind": period.kind, "owner": row["owner_username"] or cadence.NO_OWNER}
    return Draft(
        recipient_id=recipient_id,
        kind=OVERDUE_KINDS[period.kind],
        subject_type_id=_use_case_type_id(),
        subject_id=row["use_case_id"],
        period=period.label,
        title=title[:200],
        body=body,
        url=f"{reverse('reviews:overdue')}?{urlencode(query)}",
    )
