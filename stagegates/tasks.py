"""Periodic work of the stage gates (Celery beat, ``CELERY_BEAT_SCHEDULE`` in settings).

Tasks are thin and idempotent: running one twice, or two at once, does the work once.
- ``ensure_current_gate``: the gate of the current quarter exists (created at quarter start if
  the PMO did not); unique quarter constraint.
- ``refresh_agendas``: the agenda rules run again on draft gates (a use case flagged meanwhile
  joins the open gate); unique (gate, use case).
- ``remind_voters``: from 3 days before ``closes_on`` until the gate closes, every Leadership
  member who has not voted on every item gets one reminder per gate (unique notification).
- ``render_pack_pdf``: a large gate's pack PDF for the reader who asked (``pack_pdf_jobs``); a
  request already done is left alone.
"""

from celery import shared_task

from . import pack_pdf_jobs, reminders, services
from .agenda import autofill_agenda
from .models import Gate, GateStatus


@shared_task
def ensure_current_gate() -> str:
    gate, created = services.gate_ensure_for_quarter()
    return f"{gate.quarter} {'created' if created else 'exists'}"


@shared_task
def refresh_agendas() -> int:
    added = 0
    for gate in Gate.objects.filter(status=GateStatus.DRAFT):
        added += len(autofill_agenda(gate))
    return added


@shared_task
def remind_voters() -> int:
    return reminders.remind_voters()


@shared_task
def render_pack_pdf(pk: int) -> str:
    """Render a large gate's pack PDF for the reader who asked (``pack_pdf_jobs``)."""
    return pack_pdf_jobs.render_job(pk)
