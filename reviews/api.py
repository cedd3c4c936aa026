"""REST API v1: weekly and monthly reviews, and a use case's economics over a run of months.

Reviews are listed for the use cases the user may see (``visible_use_cases``); creating and
correcting them needs ``can_submit_review`` (a use case the user cannot see is a 404, one they
see but may not submit for a 403). Writes go through ``reviews.services`` — the same functions
and validation rules (``reviews.rules`` via the models' ``clean()``) as the web forms:

- a duplicate period is a 400 naming the existing review: ``{"week": [...], "existing": {"id",
  "url"}}`` (``month`` for monthly reviews);
- PATCH must carry the ``version`` the client read; a stale one is a 409
  ``{"detail", "current_version"}`` and nothing is written;
- ``use_case`` and the period cannot change; unknown fields are a 400.

``POST .../preview/`` takes a create body, validates it as create does (same permission, same
400s) and saves nothing: the figures and the ``consequences`` saving it would have
(``reviews.consequences``). ``POST .../{id}/preview/`` does the same for a correction: the PATCH
body (with the ``version`` read: a stale one is the PATCH's 409), the review as corrected and
the ``consequences`` — the withdrawals too (kind ``withdrawal``,
``reviews.withdrawals.foresee``). Create (201) and correct (200) answer with the
``consequences`` the save had.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from usecases import clock
from usecases.api import service_errors, use_case_pk_from, validation_detail
from usecases.models import UseCase
from usecases.permissions import (
    can_submit_review,
    get_prepared_use_case_for_user,
    get_use_case_for_user,
    of_visible_use_cases,
)

from . import consequences, run_cost_drafts, selectors, services, telemetry_drafts
from .duplicates import DuplicateReview
from .filters import MonthlyReviewFilter, WeeklyReviewFilter
from .models import MonthlyReview, WeeklyReview
from .serializers import (
    EconomicsQuerySerializer,
    EconomicsSerializer,
    MonthlyReviewResultSerializer,
    MonthlyReviewSerializer,
    WeeklyReviewResultSerializer,
    WeeklyReviewSerializer,
)
from .telemetry_serializers import (
    DraftQuerySerializer,
    MonthlyDraftQuerySerializer,
    MonthlyDraftSerializer,
    WeeklyDraftSerializer,
)

CONFLICT = inline_serializer(
    "StaleVersion",
    fields={
        "detail": serializers.CharField(),
        "current_version": serializers.IntegerField(),
    },
)
DUPLICATE_NOTE = (
    "400 with field messages; a duplicate period adds "
    '`"existing": {"id": <review id>, "url": <its API URL>}`.'
)


PREVIEW_NOTE = (
    "Takes the body of a create, validates it exactly as create does (same permission: 404 for "
    "a use case you cannot see, 403 for one you may not submit for; same 400s) and saves "
    "nothing. Answers with the figures and `consequences`: the stop-loss flags (`effect` "
    "`return_to_redesign` or `flag`), early-warning signals (`signal`) and historical breaches "
    "(kind `historical_breach`, effect `none`: older than the stop-loss look-back) that "
    "submitting it would trigger, evaluated by the same code as the save."
)


CORRECTION_PREVIEW_NOTE = (
    "Takes the body of a correction (PATCH), validates it exactly as the correction does (same "
    "permission: 404 for a review you cannot see, 403 for one you may not correct; same 400s; "
    "`version` required, a stale one is a 409) and saves nothing. Answers with the review as "
    "corrected, its figures and `consequences`: the flags and signals saving it would raise "
    "(as the create preview) and the stop-loss flags whose breach it would withdraw (kind "
    "`withdrawal`, effect `restored`: the flag is resolved and stage and funding return to "
    "before it; `pmo_to_resolve`: something else changed the use case since, the flag stays "
    "open, marked, for the PMO; `withdrawn`: the flag moved no stage), evaluated by the same "
    'code as the save. Messages are in the future tense ("Saving the correction withdraws '
    "…\"); a correction's response says what happened, in the past tense."
)


class ReviewViewSetBase(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, create, retrieve and correct (PATCH) reviews. No PUT, no DELETE."""

    model: type[WeeklyReview] | type[MonthlyReview]
    result_serializer_class: type
    period_field = ""
    detail_route = ""
    ordering: tuple[str, ...] = ()
    #: What a review is loaded with: one review (read, corrected) with its use case and business
    #: case, which the permission checks and the figures need; a page of the list may need less.
    related = ("use_case__business_case", "submitted_by")
    list_related: tuple[str, ...] = related
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        related = self.list_related if self.action == "list" else self.related
        return (
            of_visible_use_cases(self.request.user, self.model.objects.all())
            .select_related(*related)
            .order_by(*self.ordering)
        )

    # --- the service calls (``weekly_review_submit`` etc.) ----------------------------------
    def use_case_of(self, request, pk: int) -> UseCase:
        """The use case a create or preview body names, for a user who may submit for it."""
        return get_prepared_use_case_for_user(request.user, pk, check=can_submit_review)

    def submit(self, *, use_case, period, data):
        raise NotImplementedError

    def correct(self, *, review, data, expected_version):
        raise NotImplementedError

    def preview_of(self, *, use_case, period, data):
        raise NotImplementedError

    def _result(self, review, found) -> dict:
        """The review's representation with its consequences."""
        review.consequences = found
        return self.result_serializer_class(review, context=self.get_serializer_context()).data

    # --- endpoints ---------------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        return self._create_or_preview(request, preview=False)

    @action(detail=False, methods=["post"])
    def preview(self, request, *args, **kwargs):
        return self._create_or_preview(request, preview=True)

    def _create_or_preview(self, request, *, preview: bool):
        # The use case is read once (with its value owner, business case and whether the user
        # contributes to it): the permission check, the serializer's ``use_case`` field, the
        # service and the response's figures all use that instance.
        pk = use_case_pk_from(request.data)
        use_case = None if pk is None else self.use_case_of(request, pk)
        serializer = self.get_serializer(
            data=request.data, context={**self.get_serializer_context(), "use_case": use_case}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        use_case = data.pop("use_case")
        period = data.pop(self.period_field)
        try:
            if preview:
                review, found = self.preview_of(use_case=use_case, period=period, data=data)
            else:
                review = self.submit(use_case=use_case, period=period, data=data)
                found = consequences.of_outcome(review.outcome, use_case)
        except DjangoValidationError as exc:
            return Response(self._error_body(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            self._result(review, found),
            status=status.HTTP_200_OK if preview else status.HTTP_201_CREATED,
        )

    def _correction_body(self, request):
        """(the review, the validated correction body, the version it was read at): as PATCH
        reads them (404 for a review the user cannot see, 403 for one they may not correct,
        400 for a bad body)."""
        review = self.get_object()
        if not can_submit_review(request.user, review.use_case):
            raise PermissionDenied("You may not correct reviews of this use case.")
        serializer = self.get_serializer(review, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        return review, data, data.pop("version")

    @staticmethod
    def _stale(current_version: int, exc_text: str) -> Response:
        return Response(
            {"detail": exc_text, "current_version": current_version},
            status=status.HTTP_409_CONFLICT,
        )

    @action(detail=True, methods=["post"], url_path="preview", url_name="correction-preview")
    def correction_preview(self, request, *args, **kwargs):
        review, data, expected_version = self._correction_body(request)
        if expected_version != review.version:
            return self._stale(review.version, str(services.StaleVersionError(review)))
        with service_errors():
            corrected, found = services.correction_preview(
                user=request.user, review=review, data=data
            )
        return Response(self._result(corrected, found))

    def partial_update(self, request, *args, **kwargs):
        review, data, expected_version = self._correction_body(request)
        try:
            with service_errors():
                review = self.correct(review=review, data=data, expected_version=expected_version)
        except services.StaleVersionError as exc:
            return self._stale(exc.current_version, str(exc))
        return Response(
            self._result(review, consequences.of_outcome(review.outcome, review.use_case))
        )

    def _error_body(self, exc: DjangoValidationError):
        """The service's field messages; for a ``DuplicateReview``, the existing review too."""
        detail = validation_detail(exc)
        if isinstance(exc, DuplicateReview):
            detail["existing"] = {
                "id": exc.existing.pk,
                "url": reverse(self.detail_route, args=[exc.existing.pk], request=self.request),
            }
        return detail


@extend_schema_view(
    list=extend_schema(summary="Weekly reviews of the use cases the user may see"),
    retrieve=extend_schema(summary="One weekly review"),
    create=extend_schema(
        summary="Submit a weekly review (value owner or contributor)",
        responses={
            201: WeeklyReviewResultSerializer,
            400: OpenApiResponse(description=DUPLICATE_NOTE),
        },
    ),
    preview=extend_schema(
        summary="Preview a weekly review: its figures and the consequences it would have",
        description=PREVIEW_NOTE,
        request=WeeklyReviewSerializer,
        responses={
            200: WeeklyReviewResultSerializer,
            400: OpenApiResponse(description=DUPLICATE_NOTE),
        },
    ),
    correction_preview=extend_schema(
        summary="Preview a correction of a weekly review: the consequences saving it would have",
        operation_id="weekly_reviews_correction_preview",
        description=CORRECTION_PREVIEW_NOTE,
        request=WeeklyReviewSerializer,
        responses={
            200: WeeklyReviewResultSerializer,
            400: OpenApiResponse(description="Field messages; `version` is required."),
            409: OpenApiResponse(CONFLICT, description="The review changed meanwhile."),
        },
    ),
    partial_update=extend_schema(
        summary="Correct a weekly review; send the version you read",
        responses={
            200: WeeklyReviewResultSerializer,
            400: OpenApiResponse(description="Field messages; `version` is required."),
            409: OpenApiResponse(CONFLICT, description="The review changed meanwhile."),
        },
    ),
)
class WeeklyReviewViewSet(ReviewViewSetBase):
    """Weekly operational reviews. Fractions are strings with 4 decimals, money with 2."""

    serializer_class = WeeklyReviewSerializer
    result_serializer_class = WeeklyReviewResultSerializer
    filterset_class = WeeklyReviewFilter
    model = WeeklyReview
    period_field = "week"
    detail_route = "api:weekly-review-detail"
    ordering = ("-week_start", "use_case_id", "-id")
    # A weekly review's figures need only its use case's H, which the list serializer reads for
    # the whole page: no use case and business case per row (half the model instances).
    list_related = ("submitted_by",)

    def use_case_of(self, request, pk: int) -> UseCase:
        # With the change in effect in the body's week, read in the same statement.
        return services.use_case_for_week(
            request.user, pk, request.data.get("week"), check=can_submit_review
        )

    def submit(self, *, use_case, period, data):
        return services.weekly_review_submit(
            user=self.request.user, use_case=use_case, week=period, data=data
        )

    def correct(self, *, review, data, expected_version):
        return services.weekly_review_correct(
            user=self.request.user, review=review, data=data, expected_version=expected_version
        )

    @extend_schema(
        summary="A weekly review drafted from telemetry, for the owner to complete and confirm",
        parameters=[DraftQuerySerializer],
        responses={200: WeeklyDraftSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def draft(self, request):
        query = DraftQuerySerializer(data=request.query_params, today=clock.today())
        if not query.is_valid():
            raise ValidationError(query.errors)
        use_case = get_use_case_for_user(
            request.user, query.validated_data["use_case"], check=can_submit_review
        )
        week = query.validated_data["week"]
        draft = telemetry_drafts.weekly_draft(use_case, week)
        values = {k: v if isinstance(v, int) else str(v) for k, v in draft.values.items()}
        body = {"use_case": use_case.pk, "week": week, "target_users": use_case.target_users}
        body.update(values, from_draft=True)
        data = {
            "use_case": use_case.pk,
            "week": week,
            "body": body,
            "measured": {
                k: {"value": str(v), "note": draft.note_of(k)}
                for k, v in values.items()
                if k in draft.measured
            },
            "pushed": {
                k: {"value": str(v), "note": draft.note_of(k)}
                for k, v in values.items()
                if k in draft.pushed
            },
            "carried": {
                k: {"value": str(v), "note": draft.note_of(k)}
                for k, v in values.items()
                if k in draft.carried
            },
            "traces": draft.traces,
            "last_span_at": draft.last_span_at,
        }
        return Response(WeeklyDraftSerializer(data).data)

    def preview_of(self, *, use_case, period, data):
        return services.weekly_review_preview(
            user=self.request.user, use_case=use_case, week=period, data=data
        )


@extend_schema_view(
    list=extend_schema(summary="Monthly reviews of the use cases the user may see"),
    retrieve=extend_schema(summary="One monthly review"),
    create=extend_schema(
        summary="Submit a monthly financial review (value owner or contributor)",
        responses={
            201: MonthlyReviewResultSerializer,
            400: OpenApiResponse(description=DUPLICATE_NOTE),
        },
    ),
    preview=extend_schema(
        summary="Preview a monthly review: its figures and the consequences it would have",
        description=PREVIEW_NOTE,
        request=MonthlyReviewSerializer,
        responses={
            200: MonthlyReviewResultSerializer,
            400: OpenApiResponse(description=DUPLICATE_NOTE),
        },
    ),
    correction_preview=extend_schema(
        summary="Preview a correction of a monthly review: the consequences saving it would have",
        operation_id="monthly_reviews_correction_preview",
        description=CORRECTION_PREVIEW_NOTE,
        request=MonthlyReviewSerializer,
        responses={
            200: MonthlyReviewResultSerializer,
            400: OpenApiResponse(description="Field messages; `version` is required."),
            409: OpenApiResponse(CONFLICT, description="The review changed meanwhile."),
        },
    ),
    partial_update=extend_schema(
        summary="Correct a monthly review; send the version you read",
        responses={
            200: MonthlyReviewResultSerializer,
            400: OpenApiResponse(description="Field messages; `version` is required."),
            409: OpenApiResponse(CONFLICT, description="The review changed meanwhile."),
        },
    ),
)
class MonthlyReviewViewSet(ReviewViewSetBase):
    """Monthly financial reviews, each with its month's CFO figures for the use case."""

    serializer_class = MonthlyReviewSerializer
    result_serializer_class = MonthlyReviewResultSerializer
    filterset_class = MonthlyReviewFilter
    model = MonthlyReview
    period_field = "month"
    detail_route = "api:monthly-review-detail"
    ordering = ("-month_start", "use_case_id", "-id")

    def submit(self, *, use_case, period, data):
        return services.monthly_review_submit(
            user=self.request.user, use_case=use_case, month=period, data=data
        )

    def correct(self, *, review, data, expected_version):
        return services.monthly_review_correct(
            user=self.request.user, review=review, data=data, expected_version=expected_version
        )

    @extend_schema(
        summary="A monthly review with its run cost measured from the month's priced tokens",
        parameters=[MonthlyDraftQuerySerializer],
        responses={200: MonthlyDraftSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def draft(self, request):
        query = MonthlyDraftQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        use_case = get_use_case_for_user(
            request.user, query.validated_data["use_case"], check=can_submit_review
        )
        month = query.validated_data["month"]
        run_cost = run_cost_drafts.monthly_run_cost(use_case, month)
        body = {"use_case": use_case.pk, "month": month}
        if run_cost.value is not None:
            body["run_cost"] = str(run_cost.value)
        data = {
            "use_case": use_case.pk,
            "month": month,
            "body": body,
            "run_cost": {
                "value": run_cost.value,
                "note": run_cost.note,
                "models": run_cost.models,
                "priced": [
                    {"currency": p["currency"], "amount": str(p["amount"])} for p in run_cost.priced
                ],
                "unpriced_models": run_cost.unpriced_models,
            },
        }
        return Response(MonthlyDraftSerializer(data).data)

    def preview_of(self, *, use_case, period, data):
        return services.monthly_review_preview(
            user=self.request.user, use_case=use_case, month=period, data=data
        )


class UseCaseEconomicsView(generics.GenericAPIView):
    """``use-cases/{id}/economics/``: a sub-resource of a use case, routed by its own path in
    ``portfolio/api_urls.py`` (it reads reviews, which ``usecases.api`` may not import)."""

    queryset = UseCase.objects.none()
    serializer_class = EconomicsSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="The use case's CFO figures, waterfall and 90-day net value for a run of months",
        description=(
            "Aggregated in SQL over the weekly reviews (by the month holding each week's "
            "Thursday) and monthly reviews of the months `start`..`end` (both included, at "
            "most 36). Without parameters: the last 3 complete months. Money is a string with "
            "2 decimals. `net_value_90_days` covers the three full calendar months after "
            "`scaled_on`, whatever the range."
        ),
        parameters=[EconomicsQuerySerializer],
        responses={
            200: EconomicsSerializer,
            400: OpenApiResponse(description="A malformed month or a bad range (field message)."),
        },
    )
    def get(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        query = EconomicsQuerySerializer(data=request.query_params, today=clock.today())
        if not query.is_valid():
            raise ValidationError(query.errors)
        result = selectors.use_case_economics(use_case, **query.validated_data)
        return Response(EconomicsSerializer(result).data)
