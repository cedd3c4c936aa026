"""Celery tasks of the reviews app: the stop-loss/signal sweep and the cadence reminders. Tasks are
thin: they call the same functions the views use.
"""

import datetime
import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from usecases import clock

from . import reminders

logger = logging.getLogger(__name__)


# --- cadence: reminders and PMO alerts (reviews/reminders.py) ----------------------------------
# Beat runs both every VALUEGATE_CADENCE_INTERVAL seconds, and every worker runs them once when
# it starts. ``on`` (YYYY-MM-DD) replays a given day; by default today.


def _day(on: str | None) -> datetime.date:
    return datetime.date.fromisoformat(on) if on else clock.today()


@shared_task(acks_late=True)
def send_review_reminders(on: str | None = None) -> int:
    """Remind value owners and contributors of missing reviews; returns notifications created."""
    return reminders.review_reminders_send(today=_day(on))


@shared_task(acks_late=True)
def notify_pmo_overdue(on: str | None = None) -> int:
    """Tell the PMO about reviews 3 days overdue; returns notifications created."""
    return reminders.overdue_alerts_send(today=_day(on))


@worker_ready.connect
def _cadence_on_worker_start(sender=None, **kwargs):
    """So that a fresh ``make run`` shows reminders at once rather than after the first interval."""
    if not settings.VALUEGATE_CADENCE_ON_WORKER_START:
        return
    for task in (send_review_reminders, notify_pmo_overdue):
        try:
            task.delay()
        except Exception:  # the broker is down: beat will run them anyway
            logger.exception("Could not enqueue %s at worker start", task.name)


# --- stop-loss ---------------------------------------------------------------------------------


@shared_task(name="reviews.tasks.sweep_stop_loss")
def sweep_stop_loss() -> dict:
    """Evaluate the stop-loss rules and early-warning signals over the whole portfolio (beat:
    every 15 minutes). Idempotent; two overlapping runs do what one does."""
    from .sweep import sweep_portfolio

    outcome = sweep_portfolio(today=clock.today())
    return {"flags": len(outcome.flags), "stage_changes": len(outcome.stage_changes)}


# --- telemetry ---------------------------------------------------------------------------------


@shared_task(name="reviews.tasks.purge_telemetry")
def purge_telemetry() -> dict:
    """Delete the telemetry de-duplication rows older than the window (beat: nightly)."""
    from .telemetry_purge import telemetry_purge

    return telemetry_purge(today=clock.today())
