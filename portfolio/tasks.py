"""Celery tasks of the portfolio app: the monthly CFO report by e-mail
(``portfolio.cfo_subscriptions``; safe to run twice or concurrently) and the portfolio evidence
pack of a large portfolio (``portfolio.evidence_jobs``)."""

import datetime

from celery import shared_task

from . import cfo_subscriptions, evidence_jobs


@shared_task(acks_late=True)
def send_monthly_cfo_reports(on: str | None = None) -> int:
    """Last month's CFO report to every subscriber (beat: the 6th of each month); ``on`` (ISO
    date) replays a day. Returns how many e-mails were sent."""
    today = datetime.date.fromisoformat(on) if on else None
    return cfo_subscriptions.send_monthly_reports(today)


@shared_task
def build_evidence_pack(pk: int) -> str:
    """Build a large portfolio's evidence pack for the PMO member who asked
    (``portfolio.evidence_jobs``); a request already done is left alone."""
    return evidence_jobs.build_job(pk)
