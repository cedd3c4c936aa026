"""Celery tasks of the usecases app: notification e-mail delivery (see ``usecases.notify``).

Both are safe to run twice or concurrently (each e-mail is claimed with a conditional UPDATE)
and to redeliver after a worker died (``acks_late``).
"""

from celery import shared_task

from . import notify


@shared_task(acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification (enqueued after the commit that created it)."""
    return notify.send_notification_email(notification_id)


@shared_task(acks_late=True)
def send_pending_notification_emails() -> int:
    """Send every e-mail still due: new bulk-created rows, and retries (beat, every 5 minutes)."""
    return notify.send_pending_emails()
