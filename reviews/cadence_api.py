"""REST API v1 ``overdue-reviews/``: the PMO's overdue tracker as JSON (``reviews.cadence``).

PMO and admins only (403 for every other role; anonymous 401/403). Paginated like every list;
filters ``owner`` (a username, or ``(none)`` for use cases without a value owner),
``business_unit`` and ``kind`` (``weekly`` / ``monthly``); an unknown ``kind`` is a 400.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from usecases import clock
from usecases.permissions import can_see_overdue

from . import cadence
from .overdue_digest import OverdueWindow


class CanSeeOverdue(permissions.BasePermission):
    message = "The overdue tracker is for the PMO."

    def has_permission(self, request, view):
        return bool(
            request.user and request.user.is_authenticated and can_see_overdue(request.user)
        )


class OverdueReviewSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="use_case_id", help_text="The use case's id.")
    use_case_name = serializers.CharField()
    business_unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=cadence.KINDS)
    period = serializers.CharField(help_text="ISO week (2026-W47) or month (2026-11).")
    due_on = serializers.DateField()
    days_overdue = serializers.IntegerField(help_text="Days since the due date (1 = first day).")
    value_owner = serializers.CharField(
        source="owner_username", allow_null=True, help_text="Username; null when none."
    )


@extend_schema(
    parameters=[
        OpenApiParameter(
            "owner",
            OpenApiTypes.STR,
            description=f"Value owner's username, or `{cadence.NO_OWNER}`.",
        ),
        OpenApiParameter("business_unit", OpenApiTypes.STR),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=list(cadence.KINDS)),
    ]
)
class OverdueReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every missing review past its due date, oldest due date first."""

    serializer_class = OverdueReviewSerializer
    permission_classes = [permissions.IsAuthenticated, CanSeeOverdue]
    filter_backends: list = []

    def get_queryset(self):
        flt, errors = cadence.OverdueFilter.from_params(self.request.query_params)
        if errors:
            raise ValidationError(errors)
        return cadence.overdue_reviews(today=clock.today(), **flt.as_kwargs())

    def paginate_queryset(self, queryset):
        """The page and the count in one pass over the portfolio (``OverdueWindow``), not a
        COUNT over the union and then the page."""
        paginator = self.paginator
        window = OverdueWindow(
            queryset,
            page=self.request.query_params.get(paginator.page_query_param),
            per_page=paginator.get_page_size(self.request),
        )
        return super().paginate_queryset(window)
