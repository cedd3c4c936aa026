"""Notifications: one in-app row per (recipient, kind, subject, period), and its e-mail.

Delivery semantics (the choice, and why)
----------------------------------------
*The in-app notification is exactly-once.* The row is the source of truth. It is created in the
caller's transaction and the unique constraint on (recipient, kind, subject, period) makes a second
row impossible, whoever races: ``notify()`` falls back to the existing row on ``IntegrityError``,
``notify_many()`` inserts with ``ON CONFLICT DO NOTHING``. If the transaction rolls back there is no
row and nothing is e-mailed.

*The e-mail is at-least-once, with duplicates confined to a window of milliseconds.* After commit
the sender is enqueued (a Celery task; web requests never wait for SMTP). A sender first *claims*
the row with one conditional UPDATE (``emailed_at IS NULL`` and no live lease → set
``email_claimed_at``, count the attempt); only the sender whose UPDATE changed a row sends, so two
workers running the same task concurrently never both send. After a successful send it sets
``emailed_at``. The periodic sweep ``send_pending_emails`` (beat, every 5 minutes) retries every row
whose e-mail has not gone out and whose lease has run out.

So a worker that dies *between the row and the e-mail* (after commit, before or during the send)
loses nothing: its lease expires (``VALUEGATE_EMAIL_LEASE``) and the sweep sends the e-mail. The
only duplicate possible is a worker dying after the mail server accepted the message and before the
``emailed_at`` UPDATE commits. We chose that side because a lost reminder is a missed review and a
PMO escalation, while a rare second copy of an e-mail is a nuisance; the inbox itself never shows
a notification twice. A failed send (SMTP down) keeps its lease, which spaces the retries
(``VALUEGATE_EMAIL_LEASE`` apart), and gives up after ``VALUEGATE_EMAIL_MAX_ATTEMPTS`` attempts or
once the notification is older than ``VALUEGATE_EMAIL_MAX_AGE_HOURS``: it stays in the inbox.
If the broker is down when a row commits, enqueuing fails quietly (logged) and the sweep sends it.

*Chat alerts*: a new notification of a kind some app routed to an alert event (``alerts.route``)
is also published to the chat channels subscribed to it (``usecases.alerts``), in the same
transaction, once per event and channel.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse

from . import alerts, clock
from .bulk_rows import insert_missing
from .models import Notification
from .text import control_characters

logger = logging.getLogger(__name__)

#: How many pending e-mails the sweep reads per query.
SWEEP_BATCH = 200


def notify(
    *,
    recipient,
    kind: str,
    subject,
    period: str,
    title: str,
    body: str = "",
    url: str = "",
    alert: bool = True,
):
    """Create the notification unless it exists; return ``(notification, created)``.

    Call inside the transaction of the change it is about; the e-mail is enqueued after commit,
    and only for a newly created row. ``alert``: publish a new row to the chat channels
    (``alerts.relay``); a caller telling several people of one event relays it once itself."""
    subject_type = ContentType.objects.get_for_model(subject)
    key = dict(
        recipient=recipient,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject.pk,
        period=period,
    )
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                **key, defaults={"title": title, "body": body, "url": url}
            )
    except IntegrityError:  # a concurrent sender won the race
        return Notification.objects.get(**key), False
    if created and alert:
        alerts.relay(kind=kind, subject=subject, period=period, title=title, body=body, url=url)
    if created and recipient.email:
        pk = notification.pk
        transaction.on_commit(lambda: _enqueue_email(pk), robust=True)
    return notification, created


@dataclass(frozen=True)
class Draft:
    """A notification to create with ``notify_many`` (users and subject by id)."""

    recipient_id: int
    kind: str
    subject_type_id: int
    subject_id: int
    period: str
    title: str
    body: str = ""
    url: str = ""

    @property
    def key(self) -> tuple:
        return (self.recipient_id, self.kind, self.subject_type_id, self.subject_id, self.period)


def draft(
    *, recipient_id: int, kind: str, subject, period: str, title: str, body="", url=""
) -> Draft:
    return Draft(
        recipient_id=recipient_id,
        kind=kind,
        subject_type_id=ContentType.objects.get_for_model(subject).pk,
        subject_id=subject.pk,
        period=period,
        title=title,
        body=body,
        url=url,
    )


def notify_many(drafts: Iterable[Draft]) -> int:
    """Create those of ``drafts`` that do not exist yet, in bulk, and enqueue their e-mails after
    commit. Two queries whatever the number: one reads the existing keys, one inserts the rest with
    ``ON CONFLICT DO NOTHING`` (a concurrent run that inserted the same keys meanwhile wins
    silently). Returns how many rows this call tried to insert (new as far as it could see)."""
    new = insert_missing(
        Notification,
        ("recipient_id", "kind", "subject_type_id", "subject_id", "period"),
        (
            Notification(
                recipient_id=d.recipient_id,
                kind=d.kind,
                subject_type_id=d.subject_type_id,
                subject_id=d.subject_id,
                period=d.period,
                title=d.title,
                body=d.body,
                url=d.url,
            )
            for d in drafts
        ),
    )
    if not new:
        return 0
    alerts.relay_many(new)
    transaction.on_commit(_enqueue_sweep, robust=True)
    return len(new)


# --- e-mail delivery ----------------------------------------------------------------------------


#: Publishing an e-mail task retries once at once (a pooled connection gone stale), no more: with
#: the broker down, Celery's default policy (3 retries, connection timeout) would hold the request
#: that committed the row for ~0.7 s per notification. The sweep sends what could not be enqueued.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def _enqueue(task, *args) -> None:
    try:
        task.apply_async(args, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # kombu.exceptions.OperationalError and kin: the broker is down
        logger.warning("Could not enqueue %s%r; the e-mail sweep will send it", task.name, args)


def _enqueue_email(notification_id: int) -> None:
    from .tasks import send_notification_email as task  # tasks imports this module

    _enqueue(task, notification_id)


def _enqueue_sweep() -> None:
    from .tasks import send_pending_notification_emails as task

    _enqueue(task)


def _claimable(now: datetime.datetime) -> Q:
    """Rows a sender may claim: not e-mailed, attempts left, no live lease."""
    lease_expired = now - datetime.timedelta(seconds=settings.VALUEGATE_EMAIL_LEASE)
    return Q(emailed_at__isnull=True, email_attempts__lt=settings.VALUEGATE_EMAIL_MAX_ATTEMPTS) & (
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=lease_expired)
    )


def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification unless it was e-mailed or another sender holds it (claimed with a
    conditional UPDATE, so concurrent senders never both send). Returns whether this call sent it.
    A failed send is logged and left to the sweep (after the lease)."""
    now = clock.now()
    claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(
        email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return False
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not n.recipient.email or not n.recipient.is_active:
        return False
    try:
        send_mail(email_subject(n.title), email_text(n), None, [n.recipient.email])
    except Exception:
        logger.exception(
            "E-mail of notification %s failed (attempt %s); retried after the lease",
            n.pk,
            n.email_attempts,
        )
        return False
    Notification.objects.filter(pk=notification_id).update(emailed_at=clock.now())
    return True


def pending_emails(now: datetime.datetime | None = None):
    """Notifications whose e-mail is due and not claimed: the sweep's work, oldest first."""
    now = now or clock.now()
    max_age = datetime.timedelta(hours=settings.VALUEGATE_EMAIL_MAX_AGE_HOURS)
    return (
        Notification.objects.filter(_claimable(now), created_at__gte=now - max_age)
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .order_by("created_at", "pk")
    )


def send_pending_emails() -> int:
    """Send every pending notification e-mail (new rows whose sender has not run yet, rows whose
    sender died, failed sends whose lease ran out). Safe to run concurrently with itself and with
    the per-row senders. Returns how many e-mails this call sent."""
    sent = 0
    while True:
        ids = list(pending_emails().values_list("pk", flat=True)[:SWEEP_BATCH])
        if not ids:
            return sent
        # Every id is now either sent, leased by us or by someone else: the loop ends.
        sent += sum(send_notification_email(pk) for pk in ids)


def email_subject(title: str) -> str:
    """The title as one header line: control characters (a line break in a use case name saved
    before names were checked) become spaces, so the mail is sent instead of failing for good on
    ``BadHeaderError``."""
    bad = set(control_characters(title))
    return " ".join("".join(" " if c in bad else c for c in title).split())


def email_text(notification: Notification) -> str:
    base = settings.VALUEGATE_BASE_URL
    parts = [notification.title, notification.body]
    if notification.url:
        parts.append(f"Open: {base}{notification.url}")
    parts.append(f"All your notifications: {base}{reverse('usecases:inbox')}")
    return "\n\n".join(p for p in parts if p)


# --- the inbox ----------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (Http404 for anyone else's). Idempotent: the
    first reading time is kept."""
    with transaction.atomic():
        notification = get_object_or_404(
            Notification.objects.select_for_update(), pk=notification_id, recipient=user
        )
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many. One UPDATE."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=clock.now()
        )
