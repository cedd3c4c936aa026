"""Gate pack PDFs of large gates, rendered in a Celery task (issue 19).

A gate whose agenda (as the reader sees it) holds more than ``pack_pdf.background_above()`` items
(``VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS``, default 10) is not rendered inside the request: the
reader asks for it (``request_pdf``: a ``PackPdf`` row, the task enqueued after commit), the
worker renders it for that reader (``render_job``, the same ``pack_pdf.render_gate_pdf``) and
stores the file in the row; the gate page offers it when ready.

- A file is its reader's: blind voting makes the votes in it depend on who reads it. Only that
  reader downloads it, and only while they may still see the gate.
- A file is current while the gate keeps the status it had when requested (a pack rendered
  while voting is never offered once the gate is closed: the closed pack is the frozen one). The
  page shows when it was prepared, and the reader may prepare it again.
- A request still pending after ``PENDING_EXPIRES`` (the broker was down, the worker died) no
  longer holds the reader back: asking again makes a new one.
"""

import datetime
import logging

from django.db import transaction

from usecases import clock

from . import pack_pdf
from . import permissions as perms
from .models import Gate, GateItem, PackPdf, PackPdfStatus

logger = logging.getLogger(__name__)

PENDING_EXPIRES = datetime.timedelta(minutes=15)
#: Publishing the task retries once at once, no more (as ``usecases.notify``).
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def agenda_size(gate: Gate, *, viewer) -> int:
    """How many agenda items of ``gate`` ``viewer`` sees (what their PDF would hold)."""
    return perms.visible_items(viewer, GateItem.objects.on_agenda().filter(gate=gate)).count()


def runs_in_background(gate: Gate, *, viewer) -> bool:
    return agenda_size(gate, viewer=viewer) > pack_pdf.background_above()


def current_pdf(gate: Gate, *, viewer) -> PackPdf | None:
    """``viewer``'s latest request for ``gate`` at its present status — ready, failed, or pending
    and not expired — without the file's bytes; None when there is none."""
    latest = (
        PackPdf.objects.filter(gate=gate, viewer=viewer, gate_status=gate.status)
        .defer("pdf")
        .first()
    )
    if latest is None:
        return None
    if latest.is_pending and latest.requested_at < clock.now() - PENDING_EXPIRES:
        return None
    return latest


def ready_pdf(gate: Gate, *, viewer) -> PackPdf | None:
    """``viewer``'s latest ready file of ``gate`` at its present status (with its bytes)."""
    return (
        PackPdf.objects.filter(
            gate=gate, viewer=viewer, gate_status=gate.status, status=PackPdfStatus.READY
        )
        .order_by("-finished_at", "-pk")
        .first()
    )


def request_pdf(gate: Gate, *, viewer) -> PackPdf:
    """Ask for ``gate``'s pack PDF for ``viewer``: a pending request of theirs that has not
    expired is reused; otherwise a new one, its task enqueued after commit."""
    with transaction.atomic():
        Gate.objects.select_for_update().filter(pk=gate.pk).first()  # one request at a time
        current = current_pdf(gate, viewer=viewer)
        if current is not None and current.is_pending:
            return current
        job = PackPdf.objects.create(
            gate=gate, viewer=viewer, gate_status=gate.status, requested_at=clock.now()
        )
        pk = job.pk
        transaction.on_commit(lambda: _enqueue(pk), robust=True)
    return job


def _enqueue(pk: int) -> None:
    from .tasks import render_pack_pdf  # tasks imports this module

    try:
        render_pack_pdf.apply_async((pk,), retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # the broker is down: the request expires, the reader asks again
        logger.warning("Could not enqueue the pack PDF %s", pk)


def render_job(pk: int) -> str:
    """Render the pending ``PackPdf`` ``pk`` for its reader (the task's body). Idempotent: a
    request already done is left alone; a gate whose status moved on, or a reader who may no
    longer see it, fails the request instead of rendering."""
    job = PackPdf.objects.defer("pdf").select_related("gate", "viewer").filter(pk=pk).first()
    if job is None or not job.is_pending:
        return "nothing to do"
    gate, viewer = job.gate, job.viewer
    if gate.status != job.gate_status:
        return _finish(job, error="The gate's status changed meanwhile: prepare the PDF again.")
    if not perms.visible_gates(viewer).filter(pk=gate.pk).exists():
        return _finish(job, error="You may no longer see this gate.")
    try:
        data = pack_pdf.render_gate_pdf(gate, viewer=viewer)
    except Exception:
        logger.exception("Rendering the pack PDF %s failed", pk)
        return _finish(job, error="Rendering the PDF failed; try again.")
    return _finish(job, data=data)


def _finish(job: PackPdf, *, data: bytes = b"", error: str = "") -> str:
    status = PackPdfStatus.READY if data else PackPdfStatus.FAILED
    PackPdf.objects.filter(pk=job.pk, status=PackPdfStatus.PENDING).update(
        status=status, pdf=data, size=len(data), error=error, finished_at=clock.now()
    )
    return f"{status} ({len(data)} bytes)" if data else f"{status}: {error}"
