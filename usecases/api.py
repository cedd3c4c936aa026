"""REST API v1: use cases, their business case and scenario forecasts, and the model/prompt log.

Every object check goes through ``usecases.permissions``: a use case the user may not see is a
404, one they see but may not change is a 403. Writes go through ``usecases.services``; their
``django.core.exceptions.ValidationError`` becomes a 400 with field messages (``service_errors``).
"""

from contextlib import contextmanager

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import economics, selectors, services
from .models import ModelChange, UseCase
from .permissions import (
    can_create_use_case,
    can_edit_business_case,
    can_edit_use_case,
    can_log_model_change,
    get_use_case_for_user,
    of_visible_use_cases,
    visible_use_cases,
    visible_use_cases_of_request,
)
from .serializers import (
    BusinessCaseSerializer,
    ModelChangeSerializer,
    ScenarioForecastSerializer,
    UseCaseSerializer,
    is_plain_id,
)


def validation_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ``ValidationError`` as DRF error detail: field keys kept, ``__all__`` renamed."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


@contextmanager
def service_errors():
    """Turn a service's Django ``ValidationError`` into a DRF one (400 with field messages)."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError(validation_detail(exc)) from exc


def use_case_pk_from(data) -> int | None:
    """The ``use_case`` id of a request body when it looks like one (else the serializer says
    what is wrong with it)."""
    raw = data.get("use_case") if hasattr(data, "get") else None
    return int(raw) if is_plain_id(raw) else None


class UseCaseFilter(django_filters.FilterSet):
    value_owner = django_filters.CharFilter(
        field_name="value_owner__username", help_text="Username of the value owner."
    )

    class Meta:
        model = UseCase
        fields = ["stage", "business_unit", "funding_status", "value_owner"]


@extend_schema_view(
    list=extend_schema(summary="Use cases the user may see"),
    create=extend_schema(summary="Create a use case (PMO); its business case starts empty"),
    retrieve=extend_schema(summary="One use case"),
    partial_update=extend_schema(
        summary="Change a use case's core fields (PMO)",
        description=(
            "A change of `stage` or `funding_status` outside a gate decision needs "
            "`change_reason` (else 400 at `change_reason`); it is audited and the value owner "
            "is notified. Leaving `redesign` while a stop-loss flag is open is refused (400 at "
            "`stage`, naming the flag): resolve it, or decide at a gate."
        ),
    ),
)
class UseCaseViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Use cases: list, create (PMO), retrieve, partial update (PMO). No PUT, no DELETE."""

    serializer_class = UseCaseSerializer
    filterset_class = UseCaseFilter
    # "put" only for the business-case action: the viewset has no ``update``, so the router
    # maps no PUT on the use case itself.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return (
            visible_use_cases(self.request.user)
            .select_related("value_owner")
            .prefetch_related("contributors")
            .order_by("name", "pk")
        )

    def create(self, request, *args, **kwargs):
        if not can_create_use_case(request.user):
            raise PermissionDenied("Only the PMO creates use cases.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("change_reason", "") or "Created"
        with service_errors():
            use_case = services.use_case_create(user=request.user, data=data, reason=reason)
        return Response(self.get_serializer(use_case).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        use_case = self.get_object()
        if not can_edit_use_case(request.user, use_case):
            raise PermissionDenied("Only the PMO edits use cases.")
        serializer = self.get_serializer(use_case, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("change_reason", "")
        with service_errors():
            use_case = services.use_case_update(
                user=request.user, use_case=use_case, data=data, reason=reason, via="API"
            )
        return Response(self.get_serializer(use_case).data)

    @extend_schema(
        methods=["GET"],
        summary="The use case's business case",
        responses=BusinessCaseSerializer,
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace the business case (PMO or the value owner); every field is required",
        request=BusinessCaseSerializer,
        responses=BusinessCaseSerializer,
    )
    @action(
        detail=True,
        methods=["get", "put"],
        url_path="business-case",
        serializer_class=BusinessCaseSerializer,
        filterset_class=None,
    )
    def business_case(self, request, pk=None):
        if request.method == "PUT":
            use_case = get_use_case_for_user(request.user, pk, check=can_edit_business_case)
            serializer = BusinessCaseSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            with service_errors():
                business_case = services.business_case_update(
                    user=request.user, use_case=use_case, data=serializer.validated_data
                )
            return Response(BusinessCaseSerializer(business_case).data)
        use_case = get_use_case_for_user(request.user, pk)
        return Response(BusinessCaseSerializer(selectors.business_case_of(use_case)).data)

    @extend_schema(
        summary="The three scenario forecasts (pessimistic, base, optimistic)",
        description=(
            "Weekly run-rate at full scale for each adoption scenario of the business case: "
            "`weekly_gross = baseline_tasks_per_week × a × M × e / 60 × H`, "
            "`weekly_net = weekly_gross × R − (planned monthly run + support + maintenance) "
            "× 12 / 52`, `first_year_net = weekly_net × 52 − one-off integration − one-off "
            "training`."
        ),
        responses=ScenarioForecastSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def scenarios(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        forecasts = economics.scenario_forecasts(selectors.business_case_inputs(use_case))
        return Response(ScenarioForecastSerializer(forecasts, many=True).data)


class ModelChangeFilter(django_filters.FilterSet):
    use_case = django_filters.ModelChoiceFilter(
        queryset=visible_use_cases_of_request, help_text="Id of a use case you may see."
    )

    class Meta:
        model = ModelChange
        fields = ["use_case"]


@extend_schema_view(
    list=extend_schema(
        summary="Model/prompt changes of the use cases the user may see",
        description="The log as entered. Each change's impact (the weeks before against the "
        "weeks after) is in `GET /api/v1/use-cases/{id}/changes/`, by the selector the use "
        "case page and the gate pack read.",
    ),
    create=extend_schema(
        summary="Log a model, prompt or configuration change (the value owner)",
        responses={201: ModelChangeSerializer, 400: OpenApiResponse(description="Field errors")},
    ),
    retrieve=extend_schema(summary="One model/prompt change"),
)
class ModelChangeViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The model/prompt change log: list, create (value owner), retrieve."""

    serializer_class = ModelChangeSerializer
    filterset_class = ModelChangeFilter

    def get_queryset(self):
        return (
            of_visible_use_cases(self.request.user, ModelChange.objects.all())
            .select_related("created_by")
            .order_by("-effective_date", "-id")
        )

    def create(self, request, *args, **kwargs):
        pk = use_case_pk_from(request.data)
        if pk is not None:
            get_use_case_for_user(request.user, pk, check=can_log_model_change)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        use_case = data.pop("use_case")
        with service_errors():
            change = services.model_change_create(user=request.user, use_case=use_case, data=data)
        return Response(self.get_serializer(change).data, status=status.HTTP_201_CREATED)
