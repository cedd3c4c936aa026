"""Celery tasks of the usecases app: notification e-mail delivery (see ``usecases.notify``) and
chat alerts (``usecases.alerts``).

Both are safe to run twice or concurrently (each e-mail is claimed with a conditional UPDATE)
and to redeliver after a worker died (``acks_late``).
"""

from celery import shared_task

from . import alerts, notify


@shared_task(acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification (enqueued after the commit that created it)."""
    return notify.send_notification_email(notification_id)


@shared_task(acks_late=True)
def send_pending_notification_emails() -> int:
    """Send every e-mail still due: new bulk-created rows, and retries (beat, every 5 minutes)."""
    return notify.send_pending_emails()


@shared_task(acks_late=True)
def deliver_channel_alert(delivery_id: int) -> str:
    """Post one alert to its chat channel (enqueued after commit, and again after a back-off)."""
    return alerts.deliver(delivery_id)


@shared_task(acks_late=True)
def send_pending_channel_alerts() -> int:
    """Post every alert still due (beat, every minute): not enqueued, or whose sender died."""
    return alerts.send_pending()
