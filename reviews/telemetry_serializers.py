"""Serializers of the telemetry API: ingest keys, model prices, a week's measured figures."""

import re

from django.conf import settings
from rest_framework import serializers

from usecases import clock, economics
from usecases.fastpaths import ClassFieldsMixin

from .telemetry_models import IngestKey, ModelPrice


class IngestKeySerializer(ClassFieldsMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    revoked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        model = IngestKey
        fields = [
            "id",
            "use_case",
            "label",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = [f for f in fields if f != "label"]


class NewIngestKeySerializer(IngestKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key, shown this once: only its digest is stored."
    )

    class Meta(IngestKeySerializer.Meta):
        fields = [*IngestKeySerializer.Meta.fields, "key"]


CURRENCY = re.compile(r"^[A-Z]{3}$")


class ModelPriceSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    currency = serializers.CharField(
        max_length=3,
        required=False,
        help_text="ISO 4217 code, like EUR (default: the installation's currency).",
    )

    class Meta:
        model = ModelPrice
        fields = [
            "id",
            "model",
            "input_per_million",
            "output_per_million",
            "currency",
            "effective_from",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]

    def validate_model(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Name the model as the spans do.")
        return value

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not CURRENCY.match(value):
            raise serializers.ValidationError("Three letters, like EUR (ISO 4217).")
        return value

    def validate(self, attrs):
        if self.instance is None and "currency" not in attrs:
            attrs["currency"] = settings.VALUEGATE_CURRENCY
        return attrs


class UnpricedModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    first_seen = serializers.DateField()
    last_seen = serializers.DateField()
    input_tokens = serializers.IntegerField(help_text="Tokens on days no price covers.")
    output_tokens = serializers.IntegerField()
    use_cases = serializers.IntegerField(help_text="Use cases that used it unpriced.")


class WeekQuerySerializer(serializers.Serializer):
    week = serializers.CharField(
        required=False, help_text="ISO week like 2026-W48 (default: the current week)."
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or clock.today()

    def validate_week(self, value: str) -> str:
        try:
            year, week = economics.parse_iso_week(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        monday, _ = economics.iso_week_bounds(year, week)
        if monday > self.today:
            raise serializers.ValidationError(f"{value} has not started yet.")
        return value

    def validate(self, attrs):
        if "week" not in attrs:
            iso = self.today.isocalendar()
            attrs["week"] = economics.format_iso_week(iso.year, iso.week)
        return attrs


class ModelTokensSerializer(serializers.Serializer):
    model = serializers.CharField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    priced = serializers.BooleanField(
        help_text="False: no price covered these tokens' days; cost is null, never zero."
    )
    currency = serializers.CharField(allow_null=True)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class MoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class WeekTelemetrySerializer(serializers.Serializer):
    use_case = serializers.IntegerField()
    week = serializers.CharField()
    traces = serializers.IntegerField(help_text="Traces with an AI call, an error or feedback.")
    spans = serializers.IntegerField()
    ai_calls = serializers.IntegerField()
    last_span_at = serializers.DateTimeField(allow_null=True)
    active_users = serializers.IntegerField()
    tasks_with_ai = serializers.IntegerField()
    exceptions = serializers.IntegerField()
    reworked_outputs = serializers.IntegerField()
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    quality_evaluations = serializers.IntegerField()
    tokens = ModelTokensSerializer(many=True)
    token_cost = MoneySerializer(many=True, help_text="Priced tokens' cost per currency.")
    unpriced_models = serializers.ListField(child=serializers.CharField())


class DraftQuerySerializer(WeekQuerySerializer):
    use_case = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    week = serializers.CharField(help_text="ISO week like 2026-W48.")


class MeasuredFieldSerializer(serializers.Serializer):
    value = serializers.CharField()
    note = serializers.CharField(help_text='Like "measured: 42 traces, last at Sun 29 Nov 18:05".')


class WeeklyDraftSerializer(serializers.Serializer):
    use_case = serializers.IntegerField()
    week = serializers.CharField()
    body = serializers.DictField(
        help_text=(
            "A create body for POST weekly-reviews/ (or its preview/) pre-filled with what "
            "telemetry measured and `from_draft: true`; add what telemetry cannot know "
            "(tasks_total, minutes saved, backlog, declared hours) and send it."
        )
    )
    measured = serializers.DictField(
        child=MeasuredFieldSerializer(), help_text="The measured fields, each with its evidence."
    )
    pushed = serializers.DictField(
        child=MeasuredFieldSerializer(),
        help_text="The fields the workflow system pushed (workflow-metrics/), with when.",
    )
    carried = serializers.DictField(
        child=MeasuredFieldSerializer(),
        help_text="Rates carried from the latest earlier review (minutes saved, rework minutes).",
    )
    traces = serializers.IntegerField()
    last_span_at = serializers.DateTimeField(allow_null=True)


class WorkflowMetricsSerializer(serializers.Serializer):
    tasks_total = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    backlog = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    week = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MonthlyDraftQuerySerializer(serializers.Serializer):
    use_case = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    month = serializers.CharField(help_text="Month like 2026-11.")

    def validate_month(self, value: str) -> str:
        try:
            economics.parse_month(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class RunCostSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="The run cost pre-filled; null without tokens or when a model is unpriced.",
    )
    note = serializers.CharField(help_text='Like "measured: priced tokens, 2 models".')
    models = serializers.IntegerField(help_text="Models with tokens that month.")
    priced = serializers.ListField(
        child=serializers.DictField(), help_text="The priced tokens' cost per currency."
    )
    unpriced_models = serializers.ListField(child=serializers.CharField())


class MonthlyDraftSerializer(serializers.Serializer):
    use_case = serializers.IntegerField()
    month = serializers.CharField()
    body = serializers.DictField(
        help_text=(
            "A create body for POST monthly-reviews/ with the run cost measured from priced "
            "tokens (absent when it would not be complete); add the other costs and send it."
        )
    )
    run_cost = RunCostSerializer()
