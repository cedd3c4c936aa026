"""Telemetry evidence (issue 17): ingest keys, the model price table, and what the OTLP ingest
keeps of the spans it receives — never the spans themselves (``docs/telemetry.md``).

- ``TelemetryDay`` / ``TelemetryTokens``: aggregates per (use case, local day) and per
  (use case, local day, model): AI calls, evaluation scores, tokens.
- ``TelemetryTrace``: one row per (use case, trace id) with the trace's flags (has an AI call,
  an error, negative feedback): tasks with AI, exceptions and rework are exact distinct counts
  however the trace's spans arrive.
- ``TelemetrySpan``: the (trace id, span id) pairs already counted: a retried batch counts once.
- ``TelemetryUser``: salted hashes of the distinct users per (use case, ISO week).
- ``TelemetryWeek``: a week's distinct counts frozen when its trace and user rows are purged.
- ``TelemetryVersion``: each model and prompt version seen per use case, with its first day:
  a new one is proposed as a change-log entry (``usecases.change_proposals``). Never purged.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from usecases.models import UseCase

PRICE_DIGITS = dict(max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])


class IngestKey(models.Model):
    """``Authorization: Bearer <key>`` of the OTLP endpoint. The key is shown once; the database
    keeps its first characters (to find the row) and its SHA-256 digest. A key without a use case
    is the PMO's portfolio key: spans name their use case in ``valuegate.use_case.id``."""

    use_case = models.ForeignKey(
        UseCase, null=True, blank=True, on_delete=models.CASCADE, related_name="ingest_keys"
    )
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.prefix}… ({self.use_case or 'portfolio'})"


class ModelPrice(models.Model):
    """The price of a model's tokens from ``effective_from`` on (until the next row's date)."""

    model = models.CharField(
        max_length=200, help_text="As the spans name it in gen_ai.response.model."
    )
    input_per_million = models.DecimalField("Price per million input tokens", **PRICE_DIGITS)
    output_per_million = models.DecimalField("Price per million output tokens", **PRICE_DIGITS)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, like EUR.")
    effective_from = models.DateField(help_text="The first day this price applies.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "effective_from"], name="unique_model_price_per_day"
            )
        ]

    def __str__(self):
        return f"{self.model} from {self.effective_from}"


class TelemetryDay(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    spans = models.PositiveIntegerField(default=0)
    ai_calls = models.PositiveIntegerField(default=0)
    quality_sum = models.FloatField(default=0)
    quality_count = models.PositiveIntegerField(default=0)
    last_span_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["use_case", "day"], name="unique_telemetry_day")
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.day}"


class TelemetryTokens(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    model = models.CharField(max_length=200)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "day", "model"], name="unique_telemetry_tokens"
            )
        ]
        indexes = [models.Index(fields=["model", "day"])]

    def __str__(self):
        return f"{self.use_case_id} {self.day} {self.model}"


class TelemetryTrace(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    trace_id = models.CharField(max_length=32)
    #: Local day of the earliest span of the trace received.
    day = models.DateField()
    has_ai = models.BooleanField(default=False)
    is_error = models.BooleanField(default=False)
    is_rework = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["use_case", "trace_id"], name="unique_telemetry_trace")
        ]
        indexes = [models.Index(fields=["use_case", "day"])]

    def __str__(self):
        return f"{self.use_case_id} {self.trace_id}"


class TelemetrySpan(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "trace_id", "span_id"], name="unique_telemetry_span"
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.use_case_id} {self.trace_id}/{self.span_id}"


class TelemetryUser(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8)
    user_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "week", "user_hash"], name="unique_telemetry_user"
            )
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.week}"


class TelemetryWeek(models.Model):
    """A week's distinct counts, kept when the purge deletes its traces and user hashes."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8)
    active_users = models.PositiveIntegerField()
    tasks_with_ai = models.PositiveIntegerField()
    exceptions = models.PositiveIntegerField()
    reworked_outputs = models.PositiveIntegerField()
    traces = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["use_case", "week"], name="unique_telemetry_week")
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.week}"


class WorkflowMetrics(models.Model):
    """What only the workflow system knows of a use case's ISO week, pushed by it
    (``PUT use-cases/{id}/workflow-metrics/{week}/``): it fills the weekly draft."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8)
    tasks_total = models.PositiveIntegerField()
    backlog = models.PositiveIntegerField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["use_case", "week"], name="unique_workflow_metrics")
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.week}"


class TelemetryVersion(models.Model):
    """A model (``gen_ai.response.model``, else the request model) or prompt version
    (``valuegate.prompt.version``) seen in a use case's spans, once: the row's insert is what
    tells the ingest it is new (``INSERT … ON CONFLICT DO NOTHING RETURNING``)."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)  # usecases.models.ChangeKind: "model" or "prompt"
    value = models.CharField(max_length=200)
    first_seen = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "kind", "value"], name="unique_telemetry_version"
            )
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.kind} {self.value}"
