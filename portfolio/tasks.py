"""Celery tasks of the portfolio app: the monthly CFO report by e-mail
(``portfolio.cfo_subscriptions``; safe to run twice or concurrently)."""

import datetime

from celery import shared_task

from . import cfo_subscriptions


@shared_task(acks_late=True)
def send_monthly_cfo_reports(on: str | None = None) -> int:
    """Last month's CFO report to every subscriber (beat: the 6th of each month); ``on`` (ISO
    date) replays a day. Returns how many e-mails were sent."""
    today = datetime.date.fromisoformat(on) if on else None
    return cfo_subscriptions.send_monthly_reports(today)
