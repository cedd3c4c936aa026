"""REST API v1: ``flags/`` and the stop-loss policy ``stop-loss-rules/``.

- ``flags/``: list and retrieve the flags of the use cases the user may see; filters
  ``use_case``, ``kind``, ``open=true|false`` (the same filterset as the flags page).
  ``POST flags/{id}/resolve/ {"note", "restore"}``: PMO only (403 for everyone else who sees the
  flag, 404 for who does not), 400 without a note or when the flag is already resolved.
  ``restore: true`` (a flag whose breach a correction withdrew, ``withdrawn_by_correction``):
  resolve and put back the stage and funding the flag changed, in one action; 400 at ``restore``
  when that would be wrong now (``reviews.withdrawals``). As everywhere
  in the API, a body key that is not a field is a 400 (``RejectUnknownFieldsMixin``).
- ``stop-loss-rules/``: everyone logged in reads the default policy and the overrides of the use
  cases they may see; only the PMO creates and changes rules (403 otherwise). Rules are not
  deleted: set ``active`` to false (flags keep pointing at the rule that raised them).
  A rule's ``use_case`` (null: the default policy) is set on creation and cannot change.
"""

import django_filters
from django.db.models import F, Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from usecases.api import service_errors
from usecases.fastpaths import ClassFieldsMixin
from usecases.models import UseCase
from usecases.permissions import (
    can_manage_policy,
    visible_use_case_ids,
    visible_use_cases_of_request,
)
from usecases.serializers import IdField, RejectUnknownFieldsMixin

from .flag_forms import FlagFilter
from .flags import flag_resolve, stop_loss_rule_errors, stop_loss_rule_save, visible_flags
from .models import Flag, FlagResolution, StopLossRule
from .withdrawals import flag_resolve_and_restore


class FlagSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    use_case_name = serializers.CharField(source="use_case.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    is_open = serializers.BooleanField(read_only=True)
    resolution_kind = serializers.ChoiceField(
        choices=[("", "Open"), *FlagResolution.choices],
        read_only=True,
        help_text="How the flag was closed: resolved (by the PMO with a note), withdrawn (a "
        "review correction removed the breach), restored (the PMO resolved it and put the stage "
        "back); empty while open.",
    )
    withdrawn_by_correction = serializers.BooleanField(
        read_only=True,
        help_text="A review correction removed the breach; the flag is open until the PMO "
        "resolves it (``restore``: true puts the stage back).",
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "use_case",
            "use_case_name",
            "kind",
            "kind_label",
            "rule",
            "rule_key",
            "period",
            "observed_value",
            "threshold",
            "explanation",
            "triggered_by",
            "raised_at",
            "is_open",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "resolution_kind",
            "withdrawn_by_correction",
            "withdrawn_at",
            "withdrawal_note",
            "historical",
        ]
        read_only_fields = fields


class FlagResolveSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why the flag is resolved (required, unless ``restore``: then the withdrawal "
        "note is used when empty).",
    )
    restore = serializers.BooleanField(
        required=False,
        default=False,
        help_text="For a flag whose breach a correction withdrew: also put the stage and funding "
        "back to what they were before the flag (400 at ``restore`` when that would be wrong).",
    )


@extend_schema_view(
    list=extend_schema(summary="Flags of the use cases the user may see"),
    retrieve=extend_schema(summary="One flag"),
)
class FlagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FlagSerializer
    filterset_class = FlagFilter

    def get_queryset(self):
        return visible_flags(self.request.user)

    @extend_schema(
        summary="Resolve a flag with a note (PMO)",
        request=FlagResolveSerializer,
        responses={
            200: FlagSerializer,
            400: OpenApiResponse(
                description="No note, the flag is already resolved, or the restore is refused."
            ),
            403: OpenApiResponse(description="Not PMO."),
        },
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = self.get_object()
        body = FlagResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = body.validated_data.get("note", "")
        resolve = flag_resolve_and_restore if body.validated_data["restore"] else flag_resolve
        with service_errors():
            resolved = resolve(user=request.user, flag=flag, note=note)
        resolved = self.get_queryset().get(pk=resolved.pk)
        return Response(FlagSerializer(resolved, context=self.get_serializer_context()).data)


class IsPmoOrReadOnly(permissions.BasePermission):
    message = "Only the PMO sets the stop-loss policy."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or can_manage_policy(request.user)


class StopLossRuleSerializer(
    ClassFieldsMixin, RejectUnknownFieldsMixin, serializers.ModelSerializer
):
    use_case = IdField(
        queryset=UseCase.objects.all(),
        allow_null=True,
        required=False,
        help_text="The use case this override applies to; null: the portfolio-wide default.",
    )
    use_case_name = serializers.CharField(source="use_case.name", read_only=True, allow_null=True)

    class Meta:
        model = StopLossRule
        fields = [
            "id",
            "use_case",
            "use_case_name",
            "metric",
            "comparison",
            "threshold",
            "consecutive_weeks",
            "grace_weeks",
            "action",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "threshold": {
                "help_text": (
                    "In the metric's stored unit: rates (rework_rate, adoption_rate, "
                    "exception_share) as fractions from 0 to 1 (0.15 = 15 %; the web policy "
                    "pages type and show them as percentages), quality_score in points from 0 "
                    "to 100, net_value in money."
                )
            }
        }

    def validate(self, attrs):
        instance = self.instance
        new_use_case = attrs.get("use_case")
        if (
            instance is not None
            and "use_case" in attrs
            and (new_use_case.pk if new_use_case else None) != instance.use_case_id
        ):
            raise serializers.ValidationError(
                {"use_case": ["A rule's use case cannot change: add a new rule instead."]}
            )
        merged = {
            field: attrs.get(field, getattr(instance, field, None))
            for field in ("metric", "threshold", "consecutive_weeks", "grace_weeks")
        }
        errors = stop_loss_rule_errors(merged)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        use_case = validated_data.pop("use_case", None)
        with service_errors():
            return stop_loss_rule_save(
                user=self.context["request"].user, data=validated_data, use_case=use_case
            )

    def update(self, instance, validated_data):
        validated_data.pop("use_case", None)
        with service_errors():
            return stop_loss_rule_save(
                user=self.context["request"].user, data=validated_data, rule=instance
            )


class StopLossRuleFilter(django_filters.FilterSet):
    use_case = django_filters.ModelChoiceFilter(
        queryset=visible_use_cases_of_request, help_text="Id of a use case you may see."
    )

    class Meta:
        model = StopLossRule
        fields = ["use_case", "metric", "active"]


@extend_schema_view(
    list=extend_schema(summary="Stop-loss rules: the default policy and visible overrides"),
    retrieve=extend_schema(summary="One stop-loss rule"),
    create=extend_schema(summary="Add a default rule or a use case override (PMO)"),
    update=extend_schema(summary="Replace a stop-loss rule (PMO)"),
    partial_update=extend_schema(summary="Change a stop-loss rule (PMO)"),
)
class StopLossRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = StopLossRuleSerializer
    permission_classes = [permissions.IsAuthenticated, IsPmoOrReadOnly]
    filterset_class = StopLossRuleFilter

    def get_queryset(self):
        rules = StopLossRule.objects.all()
        visible = visible_use_case_ids(self.request.user)
        if visible is not None:  # a portfolio-wide rule is read by anyone who reads a use case
            rules = rules.filter(Q(use_case__isnull=True) | Q(use_case_id__in=visible))
        return rules.select_related("use_case").order_by(
            F("use_case_id").asc(nulls_first=True), "metric", "id"
        )
