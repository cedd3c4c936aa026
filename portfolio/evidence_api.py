"""REST API v1 of the evidence pack (issue 19; routed in ``portfolio/api_urls.py``):

- ``GET use-cases/{id}/evidence-pack.zip``: whoever may see the use case (404 for anyone else,
  as ``GET use-cases/{id}/``); built within the request.
- ``GET portfolio/evidence-pack.zip``: the PMO (403 for anyone else). A large portfolio
  (``evidence_jobs.runs_in_background``) is built by a Celery task: ``202`` with the request's
  status and ``Retry-After`` until the caller's pack is ready, then ``200`` with it for
  ``evidence_jobs.READY_FOR``; after that, asking again prepares a new one.
"""

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from usecases.models import UseCase
from usecases.permissions import get_use_case_for_user

from . import evidence_jobs, evidence_pack
from .evidence_responses import stored_pack_response, zip_file_response

RETRY_AFTER_SECONDS = 10


class ZipRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/zip``; the ZIP itself is a plain response."""

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class _ZipView(generics.GenericAPIView):
    queryset = UseCase.objects.none()
    pagination_class = None
    filter_backends = []
    renderer_classes = [JSONRenderer, ZipRenderer]

    def handle_exception(self, exc):
        # Errors are JSON whatever the client accepted (a ZIP renderer cannot write them).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


ZIP = OpenApiResponse(
    response=OpenApiTypes.BINARY,
    description="The ZIP (application/zip): manifest.json, controls.csv, a folder per use case.",
)
PENDING = inline_serializer(
    "EvidencePackPending",
    fields={
        "status": serializers.ChoiceField(choices=["pending"]),
        "requested_at": serializers.DateTimeField(),
        "detail": serializers.CharField(),
    },
)


class UseCaseEvidencePackView(_ZipView):
    @extend_schema(
        summary="A use case's evidence pack (ZIP)",
        description=(
            "Its business case with history, weekly and monthly reviews (CSV), stop-loss rules "
            "and flags with their resolutions, the change log, the checklist with evidence, gate "
            "votes (as the caller may see them) and decisions, the gate pack PDFs, the audit "
            "history, `controls.csv` and `manifest.json` (SHA-256 of every file). See "
            "docs/evidence.md."
        ),
        responses={
            (200, "application/zip"): ZIP,
            (404, "application/json"): OpenApiResponse(description="No such use case (for you)."),
        },
    )
    def get(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        zipped, _summary = evidence_pack.build(
            use_cases=[use_case], viewer=request.user, scope="use_case"
        )
        return zip_file_response(zipped, evidence_pack.use_case_filename(use_case))


class PortfolioEvidencePackView(_ZipView):
    @extend_schema(
        summary="The whole portfolio's evidence pack (ZIP), for the PMO",
        description=(
            "One folder per use case, `controls.csv` and `manifest.json`. A portfolio with more "
            "use cases than `VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES` or more gate pack PDFs "
            "than `VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS` is built by a background task: `202` "
            "with the request's status and `Retry-After` until the caller's pack is ready, then "
            "`200` with it (for an hour after it was prepared)."
        ),
        responses={
            (200, "application/zip"): ZIP,
            (202, "application/json"): PENDING,
            (403, "application/json"): OpenApiResponse(description="Not in the PMO."),
            (404, "application/json"): OpenApiResponse(
                description="An unknown `format` (`json` and `zip` are known)."
            ),
        },
    )
    def get(self, request):
        user = request.user
        if not evidence_jobs.may_download_portfolio(user):
            raise PermissionDenied("The portfolio's evidence pack is for the PMO.")
        if not evidence_jobs.runs_in_background(user):
            zipped, _summary = evidence_pack.build(
                use_cases=evidence_jobs.portfolio_use_cases(user), viewer=user, scope="portfolio"
            )
            return zip_file_response(zipped, evidence_pack.portfolio_filename())
        ready = evidence_jobs.ready_pack(user)
        if evidence_jobs.is_fresh(ready):
            return stored_pack_response(ready)
        job = evidence_jobs.request_pack(user)
        response = Response(
            {
                "status": "pending",
                "requested_at": job.requested_at,
                "detail": "The evidence pack is being prepared; ask again in a few seconds.",
            },
            status=status.HTTP_202_ACCEPTED,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
