"""REST API v1 of the gate pack PDF: ``GET gates/{id}/pack.pdf`` and
``GET gate-items/{id}/pack.pdf`` (routed in ``portfolio/api_urls.py``). Object permissions as the
pack (404 for who may not see it). A gate larger than ``VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS`` items
is rendered by a Celery task: the answer is the reader's current file when one is ready, else
``202`` with the request's status (the task is enqueued, or the pending one reused) and
``Retry-After``."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from . import pack_pdf, pack_pdf_jobs
from . import permissions as perms
from .models import GateItem

RETRY_AFTER_SECONDS = 5


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the PDF itself is a plain response."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class _PdfView(generics.GenericAPIView):
    queryset = GateItem.objects.none()
    pagination_class = None
    filter_backends = []
    renderer_classes = [JSONRenderer, PdfRenderer]

    def handle_exception(self, exc):
        # Errors are JSON whatever the client accepted (a PDF renderer cannot write them).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


PENDING = inline_serializer(
    "PackPdfPending",
    fields={
        "status": serializers.ChoiceField(choices=["pending", "failed"]),
        "requested_at": serializers.DateTimeField(),
        "detail": serializers.CharField(),
    },
)
PDF = OpenApiResponse(response=OpenApiTypes.BINARY, description="The PDF (application/pdf).")


class GatePackPdfView(_PdfView):
    @extend_schema(
        summary="The gate pack as a PDF: a cover page, then one section per agenda item",
        description=(
            "As the caller may see it: only the items they may see, and the votes under the "
            "blind-voting rule. A closed gate's packs are those frozen at closing. A gate with "
            "more agenda items than `VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS` (default 10) is "
            "prepared by a background task: `202` with the request's status and `Retry-After` "
            "until the caller's file is ready, then `200` with it."
        ),
        responses={
            (200, "application/pdf"): PDF,
            (202, "application/json"): PENDING,
            (404, "application/json"): OpenApiResponse(description="No such gate (for you)."),
        },
    )
    def get(self, request, pk=None):
        gate = perms.get_gate_for_user(request.user, pk)
        filename = pack_pdf.gate_filename(gate)
        if not pack_pdf_jobs.runs_in_background(gate, viewer=request.user):
            return _pdf(pack_pdf.render_gate_pdf(gate, viewer=request.user), filename)
        ready = pack_pdf_jobs.ready_pdf(gate, viewer=request.user)
        if ready is not None:
            return _pdf(bytes(ready.pdf), filename)
        job = pack_pdf_jobs.current_pdf(gate, viewer=request.user)
        if job is None or not job.is_pending:
            failed = job
            job = pack_pdf_jobs.request_pdf(gate, viewer=request.user)
        else:
            failed = None
        detail = "The PDF is being prepared; ask again in a few seconds."
        if failed is not None:
            detail = f"The last attempt failed ({failed.error}); prepared again."
        response = Response(
            {"status": "pending", "requested_at": job.requested_at, "detail": detail},
            status=status.HTTP_202_ACCEPTED,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class GateItemPackPdfView(_PdfView):
    @extend_schema(
        summary="One agenda item's gate pack as a PDF",
        description=(
            "The item's pack as the caller may see it (blind voting holds); on a closed gate, "
            "as frozen at closing."
        ),
        responses={
            (200, "application/pdf"): PDF,
            (404, "application/json"): OpenApiResponse(description="No such item (for you)."),
        },
    )
    def get(self, request, pk=None):
        item = perms.get_item_for_user(request.user, pk)
        data = pack_pdf.render_item_pdf(item, viewer=request.user)
        return _pdf(data, pack_pdf.item_filename(item))
