"""Send a notification: one in-app row per (recipient, kind, subject, period), e-mailed once.

The row is the source of truth. It is created in the caller's transaction; the e-mail is sent after
commit for a newly created row only, and ``emailed_at`` records it. (The cadence issue owns the
delivery details: retries of rows whose e-mail has not gone out yet.)
"""

from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from . import clock
from .models import Notification


def notify(
    *, recipient, kind: str, subject, period: str, title: str, body: str = "", url: str = ""
):
    """Create the notification unless it exists; return ``(notification, created)``."""
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
    if created and recipient.email:
        transaction.on_commit(lambda: send_notification_email(notification.pk))
    return notification, created


def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification if it has not been e-mailed yet (claimed with a conditional UPDATE,
    so two senders never both send it). Returns whether this call sent it."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=clock.now()
    )
    if not claimed:
        return False
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        send_mail(n.title, f"{n.body}\n\n{n.url}".strip(), None, [n.recipient.email])
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
