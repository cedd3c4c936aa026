"""REST API v1 (namespace ``api``): one router; each app contributes its viewsets from its own
``api`` module. Route names are DRF's (``api:weekly-review-detail``, ``api:api-root``)."""

from django.conf import settings
from django.urls import path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter
from rest_framework.urlpatterns import format_suffix_patterns

from reviews import api as reviews_api
from reviews import cadence_api, change_api, flag_api, telemetry_api
from stagegates import api as stagegates_api
from stagegates import pdf_api
from usecases import api as usecases_api
from usecases import channel_api, inbox_api, proposal_api

from . import evidence_api
from .token_api import TokenView

router = DefaultRouter()
router.register("use-cases", usecases_api.UseCaseViewSet, basename="use-case")
router.register("model-changes", usecases_api.ModelChangeViewSet, basename="model-change")
router.register("weekly-reviews", reviews_api.WeeklyReviewViewSet, basename="weekly-review")
router.register("monthly-reviews", reviews_api.MonthlyReviewViewSet, basename="monthly-review")
router.register("overdue-reviews", cadence_api.OverdueReviewViewSet, basename="overdue-review")
router.register("flags", flag_api.FlagViewSet, basename="flag")
router.register("stop-loss-rules", flag_api.StopLossRuleViewSet, basename="stop-loss-rule")
router.register("gates", stagegates_api.GateViewSet, basename="gate")
router.register("gate-items", stagegates_api.GateItemViewSet, basename="gate-item")
router.register("notifications", inbox_api.NotificationViewSet, basename="notification")
router.register("model-prices", telemetry_api.ModelPriceViewSet, basename="model-price")
router.register(
    "notification-channels",
    channel_api.NotificationChannelViewSet,
    basename="notification-channel",
)

# Swagger UI comes from our own static files (drf-spectacular-sidecar) and its init script from
# the split view's URL; it sets inline style attributes, so only the docs page allows those.
DOCS_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}


app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    *router.urls,
    # A use case's economics reads reviews, which usecases.api may not import: a sub-resource
    # of use-cases/{id}/ with its own route (the router's pk pattern, trailing slash and
    # format suffix), not a second viewset on the "use-cases" prefix.
    # The gate pack PDFs: a file name, no trailing slash, no format suffix.
    re_path(
        r"^gates/(?P<pk>[^/.]+)/pack\.pdf$", pdf_api.GatePackPdfView.as_view(), name="gate-pack-pdf"
    ),
    re_path(
        r"^gate-items/(?P<pk>[^/.]+)/pack\.pdf$",
        pdf_api.GateItemPackPdfView.as_view(),
        name="gate-item-pack-pdf",
    ),
    # The evidence packs (portfolio/evidence_api.py): a file name, as the PDFs.
    re_path(
        r"^use-cases/(?P<pk>[^/.]+)/evidence-pack\.zip$",
        evidence_api.UseCaseEvidencePackView.as_view(),
        name="use-case-evidence-pack",
    ),
    re_path(
        r"^portfolio/evidence-pack\.zip$",
        evidence_api.PortfolioEvidencePackView.as_view(),
        name="portfolio-evidence-pack",
    ),
    *format_suffix_patterns(
        [
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/economics/$",
                reviews_api.UseCaseEconomicsView.as_view(),
                name="use-case-economics",
            ),
            # Telemetry evidence (reviews/telemetry_api.py)
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/telemetry/$",
                telemetry_api.UseCaseTelemetryView.as_view(),
                name="use-case-telemetry",
            ),
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/ingest-keys/$",
                telemetry_api.UseCaseIngestKeysView.as_view(),
                name="use-case-ingest-keys",
            ),
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/ingest-keys/(?P<key_id>[0-9]+)/$",
                telemetry_api.UseCaseIngestKeyView.as_view(),
                name="use-case-ingest-key",
            ),
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/workflow-metrics/(?P<week>[^/]+)/$",
                telemetry_api.UseCaseWorkflowMetricsView.as_view(),
                name="use-case-workflow-metrics",
            ),
            # The change log with its impact; proposals from telemetry (issue 17)
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/changes/$",
                change_api.UseCaseChangesView.as_view(),
                name="use-case-changes",
            ),
            re_path(
                r"^use-cases/(?P<pk>[^/.]+)/proposed-changes/$",
                proposal_api.UseCaseProposedChangesView.as_view(),
                name="use-case-proposed-changes",
            ),
            re_path(
                r"^proposed-changes/(?P<pk>[^/.]+)/confirm/$",
                proposal_api.ProposedChangeConfirmView.as_view(),
                name="proposed-change-confirm",
            ),
            re_path(
                r"^proposed-changes/(?P<pk>[^/.]+)/dismiss/$",
                proposal_api.ProposedChangeDismissView.as_view(),
                name="proposed-change-dismiss",
            ),
            re_path(
                r"^ingest-keys/$",
                telemetry_api.PortfolioIngestKeysView.as_view(),
                name="ingest-keys",
            ),
            re_path(
                r"^ingest-keys/(?P<key_id>[0-9]+)/$",
                telemetry_api.PortfolioIngestKeyView.as_view(),
                name="ingest-key",
            ),
        ]
    ),
]
