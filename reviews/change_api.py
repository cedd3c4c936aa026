"""``GET use-cases/{id}/changes/``: the use case's change log, newest first, each entry with its
``impact`` (``reviews.change_impact``: the means of up to 4 weeks before against up to 4 after),
and the proposals from telemetry still waiting for a decision. Whoever sees the use case.
A fixed number of queries whatever the number of entries."""

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response

from usecases.models import UseCase
from usecases.permissions import get_use_case_for_user
from usecases.proposal_api import ProposedChangeSerializer
from usecases.serializers import ModelChangeSerializer

from .change_impact import STATUSES, use_case_changes

#: Places of the API's impact figures: fractions as elsewhere in the API (4), quality points (2),
#: money per task (4: a run cost per task is often a fraction of a cent).
PLACES = {"percent": Decimal("0.0001"), "points": Decimal("0.01"), "money": Decimal("0.0001")}


@extend_schema_field({"type": "string", "nullable": True, "example": "0.6500"})
class ImpactNumber(serializers.Field):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return (getattr(instance, self.field_name), instance.unit)

    def to_representation(self, value):
        number, unit = value
        if number is None:
            return None
        return f"{number.quantize(PLACES[unit], rounding=ROUND_HALF_UP)}"


class MetricImpactSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.ChoiceField(
        choices=["percent", "points", "money"],
        help_text="percent: a fraction 0..1 (difference in fraction points); points: 0–100; "
        "money: per task, in the installation's currency.",
    )
    before = ImpactNumber()
    after = ImpactNumber()
    difference = ImpactNumber(help_text="after − before")
    direction = serializers.CharField(help_text="better, worse, same, or empty.")


class ChangeImpactSerializer(serializers.Serializer):
    effective_week = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    message = serializers.CharField(help_text="Why there are no figures (empty when ready).")
    weeks_before = serializers.ListField(child=serializers.CharField())
    weeks_after = serializers.ListField(child=serializers.CharField())
    metrics = MetricImpactSerializer(many=True)


class ChangeWithImpactSerializer(ModelChangeSerializer):
    proposed_from_telemetry = serializers.SerializerMethodField()
    impact = serializers.SerializerMethodField()

    class Meta(ModelChangeSerializer.Meta):
        fields = [*ModelChangeSerializer.Meta.fields, "proposed_from_telemetry", "impact"]

    def get_proposed_from_telemetry(self, change) -> bool:
        return hasattr(change, "proposal")

    @extend_schema_field(ChangeImpactSerializer)
    def get_impact(self, change):
        return ChangeImpactSerializer(self.context["impacts"][change.pk]).data


class UseCaseChangesSerializer(serializers.Serializer):
    changes = ChangeWithImpactSerializer(many=True)
    proposed = ProposedChangeSerializer(many=True)


class UseCaseChangesView(generics.GenericAPIView):
    queryset = UseCase.objects.none()
    serializer_class = UseCaseChangesSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(summary="The change log with each entry's impact, and open proposals")
    def get(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        changes = use_case_changes(use_case.pk)
        data = UseCaseChangesSerializer(
            {"changes": changes.entries, "proposed": changes.proposed},
            context={"impacts": changes.impacts, "request": request},
        ).data
        return Response(data)
