"""The portfolio's evidence pack: who may have it, how large it is, and for large portfolios its
preparation in a Celery task (issue 19; the pattern of ``stagegates.pack_pdf_jobs``).

- The PMO (and admins) only: ``may_download_portfolio``; a use case's own pack is for whoever may
  see the use case (``usecases.permissions.get_use_case_for_user``).
- A portfolio with more use cases than ``VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES`` or more
  agenda items (gate pack PDFs) than ``VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS`` is large
  (``runs_in_background``): the member asks for it (``request_pack``: an ``EvidencePack`` row,
  the task enqueued after commit), the worker builds it as that member (``build_job``: the same
  ``evidence_pack.write_pack`` into a temporary file, then stored in 1 MiB chunks), and the page
  offers it when ready (``chunks``: read back one chunk at a time).
- A pack is its requester's and shows the portfolio as it was when built (the manifest says
  when); the page says when it was prepared and the member may prepare it again. Once a new one
  is ready the member's older packs are deleted. A request still pending after
  ``PENDING_EXPIRES`` (the broker was down, the worker died) no longer holds them back.
- The API offers the ready pack for ``READY_FOR`` after it was prepared; after that it prepares
  a new one.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from stagegates.models import GateItem
from usecases import clock
from usecases.permissions import of_visible_use_cases, visible_use_cases
from usecases.roles import roles

from . import evidence_pack
from .models import EvidencePack, EvidencePackChunk, EvidencePackStatus

logger = logging.getLogger(__name__)

PENDING_EXPIRES = datetime.timedelta(minutes=30)
READY_FOR = datetime.timedelta(hours=1)
CHUNK_BYTES = 1024 * 1024
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def may_download_portfolio(user) -> bool:
    """The whole portfolio's pack: the PMO and admins."""
    return user.is_authenticated and roles(user).is_pmo


def portfolio_use_cases(user):
    return visible_use_cases(user).select_related("value_owner").order_by("name", "pk")


def portfolio_size(user) -> tuple[int, int]:
    """(use cases, gate pack PDFs) the portfolio pack would hold for ``user`` (two queries)."""
    return (
        visible_use_cases(user).count(),
        of_visible_use_cases(user, GateItem.objects.on_agenda()).count(),
    )


def runs_in_background(user, size: tuple[int, int] | None = None) -> bool:
    """Whether the portfolio pack of ``user`` (of ``size``, when already counted) is large."""
    use_cases, pdfs = size if size is not None else portfolio_size(user)
    return (
        use_cases > settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES
        or pdfs > settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS
    )


def current_pack(user) -> EvidencePack | None:
    """``user``'s latest request — ready, failed, or pending and not expired; None otherwise."""
    latest = EvidencePack.objects.filter(requested_by=user).first()
    if latest is None:
        return None
    if latest.is_pending and latest.requested_at < clock.now() - PENDING_EXPIRES:
        return None
    return latest


def ready_pack(user) -> EvidencePack | None:
    return (
        EvidencePack.objects.filter(requested_by=user, status=EvidencePackStatus.READY)
        .order_by("-finished_at", "-pk")
        .first()
    )


def request_pack(user) -> EvidencePack:
    """Ask for the portfolio pack for ``user``: a pending request of theirs that has not expired
    is reused; otherwise a new one, its task enqueued after commit."""
    with transaction.atomic():
        # One request at a time per member: their user row is the lock.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        current = current_pack(user)
        if current is not None and current.is_pending:
            return current
        job = EvidencePack.objects.create(requested_by=user, requested_at=clock.now())
        pk = job.pk
        transaction.on_commit(lambda: _enqueue(pk), robust=True)
    return job


def _enqueue(pk: int) -> None:
    from .tasks import build_evidence_pack  # tasks imports this module

    try:
        build_evidence_pack.apply_async((pk,), retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # the broker is down: the request expires, the member asks again
        logger.warning("Could not enqueue the evidence pack %s", pk)


def build_job(pk: int) -> str:
    """Build the pending ``EvidencePack`` ``pk`` for its requester (the task's body). Idempotent:
    a request already done is left alone; a requester no longer in the PMO fails it."""
    job = EvidencePack.objects.select_related("requested_by").filter(pk=pk).first()
    if job is None or not job.is_pending:
        return "nothing to do"
    user = job.requested_by
    if not may_download_portfolio(user):
        return _finish(job, error="Only the PMO may have the portfolio's evidence pack.")
    try:
        zipped, summary = evidence_pack.build(
            use_cases=portfolio_use_cases(user).iterator(chunk_size=100),
            viewer=user,
            scope="portfolio",
        )
        with zipped:
            return _store(job, zipped, summary)
    except Exception:
        logger.exception("Building the evidence pack %s failed", pk)
        return _finish(job, error="Building the evidence pack failed; try again.")


def _store(job: EvidencePack, zipped, summary: evidence_pack.PackSummary) -> str:
    digest = hashlib.sha256()
    size = 0
    with transaction.atomic():
        if not EvidencePack.objects.filter(pk=job.pk, status=EvidencePackStatus.PENDING).exists():
            return "nothing to do"
        number = 0
        while data := zipped.read(CHUNK_BYTES):
            EvidencePackChunk.objects.create(pack_id=job.pk, number=number, data=data)
            digest.update(data)
            size += len(data)
            number += 1
        EvidencePack.objects.filter(pk=job.pk).update(
            status=EvidencePackStatus.READY,
            size=size,
            sha256=digest.hexdigest(),
            use_cases=summary.use_cases,
            finished_at=clock.now(),
        )
        # The member's older packs go: one ready pack per member is kept.
        stale = Q(requested_at__lt=clock.now() - PENDING_EXPIRES)
        EvidencePack.objects.filter(requested_by_id=job.requested_by_id).exclude(pk=job.pk).filter(
            ~Q(status=EvidencePackStatus.PENDING) | stale
        ).delete()
    return f"ready ({size} bytes)"


def _finish(job: EvidencePack, *, error: str) -> str:
    EvidencePack.objects.filter(pk=job.pk, status=EvidencePackStatus.PENDING).update(
        status=EvidencePackStatus.FAILED, error=error, finished_at=clock.now()
    )
    return f"failed: {error}"


def chunks(pack: EvidencePack):
    """The ready pack's bytes, one chunk (one query) at a time."""
    numbers = list(
        EvidencePackChunk.objects.filter(pack=pack).order_by("number").values_list("pk", flat=True)
    )
    for pk in numbers:
        yield bytes(EvidencePackChunk.objects.values_list("data", flat=True).get(pk=pk))


def is_fresh(pack: EvidencePack | None) -> bool:
    return (
        pack is not None
        and pack.is_ready
        and pack.finished_at is not None
        and pack.finished_at >= clock.now() - READY_FOR
    )
