"""REST API of the telemetry evidence (docs/telemetry.md):

- ``use-cases/{id}/ingest-keys/`` (GET list, POST → the key shown once) and
  ``use-cases/{id}/ingest-keys/{key_id}/`` (DELETE: revoke): the use case's value owner and the
  PMO; anyone else who sees the use case gets 403, who does not 404.
- ``ingest-keys/`` and ``ingest-keys/{key_id}/``: the PMO's portfolio keys (spans name their use
  case in the resource attribute ``valuegate.use_case.id``).
- ``model-prices/``: the price table (PMO writes, whoever reads a use case reads);
  ``model-prices/unpriced/``: models whose tokens no price covers.
- ``use-cases/{id}/telemetry/?week=2026-W48``: the week's measured figures and token cost.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from usecases import clock
from usecases.api import service_errors
from usecases.models import UseCase
from usecases.permissions import (
    can_manage_ingest_keys,
    can_manage_model_prices,
    can_manage_portfolio_ingest_keys,
    can_push_workflow_metrics,
    can_read_model_prices,
    get_use_case_for_user,
)

from . import ingest_keys, model_prices, telemetry_figures, workflow_metrics
from .telemetry_models import IngestKey, ModelPrice
from .telemetry_serializers import (
    IngestKeySerializer,
    ModelPriceSerializer,
    NewIngestKeySerializer,
    UnpricedModelSerializer,
    WeekQuerySerializer,
    WeekTelemetrySerializer,
    WorkflowMetricsSerializer,
)


class _IngestKeysBase(generics.GenericAPIView):
    queryset = IngestKey.objects.none()
    serializer_class = IngestKeySerializer
    pagination_class = None
    filter_backends = []

    def use_case(self):
        """The use case of the URL (None: the portfolio), permission checked."""
        raise NotImplementedError

    def keys(self, use_case):
        return IngestKey.objects.filter(use_case=use_case).select_related(
            "created_by", "revoked_by"
        )


class _KeyList(_IngestKeysBase):
    @extend_schema(responses=IngestKeySerializer(many=True))
    def get(self, request, **kwargs):
        keys = self.keys(self.use_case())
        return Response(IngestKeySerializer(keys, many=True).data)

    @extend_schema(request=IngestKeySerializer, responses={201: NewIngestKeySerializer})
    def post(self, request, **kwargs):
        use_case = self.use_case()
        serializer = IngestKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, row = ingest_keys.ingest_key_create(
            user=request.user, use_case=use_case, label=serializer.validated_data["label"]
        )
        row.key = key
        return Response(NewIngestKeySerializer(row).data, status=status.HTTP_201_CREATED)


class _KeyDetail(_IngestKeysBase):
    @extend_schema(responses={204: None})
    def delete(self, request, key_id=None, **kwargs):
        row = get_object_or_404(self.keys(self.use_case()), pk=key_id)
        ingest_keys.ingest_key_revoke(user=request.user, key=row)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _OfUseCase:
    def use_case(self):
        return get_use_case_for_user(
            self.request.user, self.kwargs["pk"], check=can_manage_ingest_keys
        )


class _OfPortfolio:
    def use_case(self):
        if not can_manage_portfolio_ingest_keys(self.request.user):
            raise PermissionDenied("Only the PMO manages portfolio ingest keys.")
        return None


@extend_schema_view(
    get=extend_schema(summary="A use case's ingest keys (value owner, PMO)"),
    post=extend_schema(summary="A new ingest key for the use case, shown once"),
)
class UseCaseIngestKeysView(_OfUseCase, _KeyList):
    pass


@extend_schema_view(delete=extend_schema(summary="Revoke one of a use case's ingest keys"))
class UseCaseIngestKeyView(_OfUseCase, _KeyDetail):
    pass


@extend_schema_view(
    get=extend_schema(summary="The portfolio ingest keys (PMO)"),
    post=extend_schema(summary="A new portfolio ingest key (PMO), shown once"),
)
class PortfolioIngestKeysView(_OfPortfolio, _KeyList):
    pass


@extend_schema_view(delete=extend_schema(summary="Revoke a portfolio ingest key (PMO)"))
class PortfolioIngestKeyView(_OfPortfolio, _KeyDetail):
    pass


class ModelPricePermission(permissions.BasePermission):
    message = "Only the PMO changes model prices."

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            if not can_read_model_prices(request.user):
                raise PermissionDenied("You do not read any use case.")
            return True
        return can_manage_model_prices(request.user)


@extend_schema_view(
    list=extend_schema(summary="The model price table"),
    create=extend_schema(summary="Add a model price (PMO)"),
    retrieve=extend_schema(summary="One model price"),
    partial_update=extend_schema(summary="Change a model price (PMO)"),
    update=extend_schema(summary="Replace a model price (PMO)"),
    destroy=extend_schema(summary="Delete a model price (PMO)"),
)
class ModelPriceViewSet(viewsets.ModelViewSet):
    """Price per million input and output tokens of a model, from a day on."""

    queryset = ModelPrice.objects.order_by("model", "-effective_from", "-id")
    serializer_class = ModelPriceSerializer
    permission_classes = [ModelPricePermission]
    filter_backends = []

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = model_prices.model_price_save(
                user=self.request.user, data=serializer.validated_data
            )

    def perform_update(self, serializer):
        with service_errors():
            serializer.instance = model_prices.model_price_save(
                user=self.request.user, data=serializer.validated_data, price=serializer.instance
            )

    def perform_destroy(self, instance):
        model_prices.model_price_delete(user=self.request.user, price=instance)

    @extend_schema(
        summary="Models with tokens no price covers (listed, never costed at zero)",
        responses=UnpricedModelSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def unpriced(self, request):
        rows = telemetry_figures.unpriced_models()
        return Response(UnpricedModelSerializer(rows, many=True).data)


class UseCaseTelemetryView(generics.GenericAPIView):
    queryset = UseCase.objects.none()
    serializer_class = WeekTelemetrySerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="A week's measured figures and token cost, from the use case's spans",
        parameters=[WeekQuerySerializer],
    )
    def get(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        query = WeekQuerySerializer(data=request.query_params, today=clock.today())
        if not query.is_valid():
            raise ValidationError(query.errors)
        figures = telemetry_figures.week_telemetry(use_case.pk, query.validated_data["week"])
        data = {"use_case": use_case.pk, **figures.__dict__}
        return Response(WeekTelemetrySerializer(data).data)


class UseCaseWorkflowMetricsView(generics.GenericAPIView):
    """``use-cases/{id}/workflow-metrics/{week}/``: what only the workflow system knows of the
    week (tasks in total, backlog at week end), pushed with the token of the use case's value
    owner or the PMO; the weekly draft then carries it."""

    queryset = UseCase.objects.none()
    serializer_class = WorkflowMetricsSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Push a week's tasks in total and backlog from the workflow system",
        responses={200: WorkflowMetricsSerializer, 201: WorkflowMetricsSerializer},
    )
    def put(self, request, pk=None, week=None):
        use_case = get_use_case_for_user(request.user, pk, check=can_push_workflow_metrics)
        period = WeekQuerySerializer(data={"week": week}, today=clock.today())
        if not period.is_valid():
            raise ValidationError(period.errors)
        body = WorkflowMetricsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row, created = workflow_metrics.workflow_metrics_put(
            user=request.user,
            use_case=use_case,
            week=period.validated_data["week"],
            data=body.validated_data,
        )
        return Response(
            WorkflowMetricsSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
