"""REST API v1 serializers for weekly and monthly reviews and the economics endpoint.

Same conventions as ``usecases.serializers``: money strings with 2 decimals, fractions 0..1 as
strings with 4 decimals, users as usernames, unknown fields a 400. The figures a review
response adds are computed by the economics engine (``usecases.economics``) and rounded here;
the validation rules are ``reviews.rules``, applied by the services the API calls.
"""

import dataclasses

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from usecases import economics
from usecases.fastpaths import ClassFieldsMixin
from usecases.models import ModelChange, UseCase
from usecases.selectors import business_case_inputs, saved_hourly_costs
from usecases.serializers import (
    FRACTION_SCHEMA,
    MONEY_SCHEMA,
    IdField,
    MoneyField,
    RejectUnknownFieldsMixin,
    fraction,
    is_plain_id,
    money,
)

from . import consequences, rules, selectors
from .models import MonthlyReview, WeeklyReview

MAX_ECONOMICS_MONTHS = 36
FIRST_MONTH = (1, 1)  # the first month ``datetime.date`` knows
#: ``net_value_90_days.status`` values (named ``NinetyDayStatusEnum`` in the OpenAPI schema).
NINETY_DAY_STATUSES = (
    economics.NINETY_DAY_COMPLETE,
    economics.NINETY_DAY_PENDING,
    economics.NINETY_DAY_NOT_SCALED,
)

VERSION_HELP = (
    "Optimistic concurrency: read-only on create; on PATCH send the version you read. A stale "
    "version gets 409 with the current version; nothing is written."
)


class EngineFigure(serializers.Field):
    """A read-only figure the parent serializer computes per instance (``figures_for``)."""

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, instance):
        value = getattr(self.parent.figures_for(instance), self.field_name)
        return money(value) if self.kind == "money" else fraction(value)


@extend_schema_field(MONEY_SCHEMA)
class EngineMoney(EngineFigure):
    def __init__(self, **kwargs):
        super().__init__(kind="money", **kwargs)


@extend_schema_field(FRACTION_SCHEMA)
class EngineFraction(EngineFigure):
    def __init__(self, **kwargs):
        super().__init__(kind="fraction", **kwargs)


class UseCaseField(IdField):
    """A use case by id. The view may hand over the use case it already loaded for the request
    (``context["use_case"]``, permission-checked): an id naming it gives that instance back,
    without reading it again; any other value is looked up as usual."""

    def to_internal_value(self, data):
        known = self.context.get("use_case")
        if known is not None and _as_pk(data) == known.pk:
            return known
        return super().to_internal_value(data)


def _as_pk(data) -> int | None:
    return int(data) if is_plain_id(data) else None


class ReviewSerializerBase(ClassFieldsMixin, RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """``use_case`` and the period are set on create and cannot change; PATCH needs ``version``.
    Fields are built once per class (``usecases.fastpaths.ClassFieldsMixin``)."""

    period_field = ""  # "week" or "month"

    use_case = UseCaseField(queryset=UseCase.objects.all())
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    submitted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    def validate(self, attrs):
        if self.instance is None:
            attrs.pop("version", None)
            return attrs
        errors = {}
        if "version" not in attrs:
            errors["version"] = [
                "Send the version you read, so that a correction made meanwhile by someone "
                "else is not overwritten."
            ]
        use_case = attrs.pop("use_case", None)
        if use_case is not None and use_case.pk != self.instance.use_case_id:
            errors["use_case"] = ["The use case of a review cannot be changed."]
        period = attrs.pop(self.period_field, None)
        if period is not None and period != getattr(self.instance, self.period_field):
            errors[self.period_field] = [
                f"The {self.period_field} of a review cannot be changed: submit a review for "
                f"that {self.period_field} instead."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class WeeklyReviewListSerializer(serializers.ListSerializer):
    """Reads the H of every use case of a page at once (one query of two columns): the list's
    reviews come without their use case and business case (``WeeklyReviewViewSet``)."""

    def to_representation(self, data):
        reviews = list(data.all() if hasattr(data, "all") else data)
        use_case_ids = {review.use_case_id for review in reviews}
        saved = saved_hourly_costs(use_case_ids)
        self.child.hourly_costs = {pk: saved.get(pk, economics.ZERO) for pk in use_case_ids}
        return super().to_representation(reviews)


class WeeklyReviewSerializer(ReviewSerializerBase):
    """A weekly operational review, with the engine's figures for it (at the use case's H)."""

    period_field = "week"

    model_version = IdField(
        queryset=ModelChange.objects.all(),
        allow_null=True,
        required=False,
        help_text=(
            "Id of a model/prompt change of the same use case; defaults to the one in effect "
            "at the end of the week."
        ),
    )
    adoption_rate = EngineFraction(help_text="active_users / target_users.")
    rework_rate = EngineFraction(help_text="reworked_outputs / tasks_with_ai (0 if none).")
    exception_share = EngineFraction(help_text="exceptions / tasks_total (0 if none).")
    gross_efficiency = EngineMoney(help_text="tasks_with_ai × minutes_saved_per_task / 60 × H.")
    rework_cost = EngineMoney(help_text="reworked_outputs × rework_minutes_per_output / 60 × H.")
    from_draft = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text=(
            "Saved from a telemetry draft (weekly-reviews/draft/): the review records what was "
            "measured and which fields you changed (`telemetry`). Create only."
        ),
    )
    telemetry = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Saved from a draft: `measured` (field → value the spans measured), `changed` (the "
            "fields whose saved value differs), `traces`, `last_span_at`. Null otherwise."
        ),
    )

    class Meta:
        model = WeeklyReview
        fields = [
            "id",
            "use_case",
            "week",
            *WeeklyReview.INPUT_FIELDS,
            "adoption_rate",
            "rework_rate",
            "exception_share",
            "gross_efficiency",
            "rework_cost",
            "version",
            "submitted_by",
            "updated_at",
            "from_draft",
            "telemetry",
        ]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"target_users": {"required": False}, "week": {"help_text": rules.WEEK_HELP}}
        # (use case, week) is unique in the database; the service names the existing review.
        validators = []
        list_serializer_class = WeeklyReviewListSerializer

    _cached: tuple = (None, None)

    def figures_for(self, review: WeeklyReview) -> economics.WeekMetrics:
        """The engine's figures of one review, computed once per review; its use case's H once
        per use case: for a list, read for the whole page by ``WeeklyReviewListSerializer``;
        for one review, from its use case's business case."""
        instance, metrics = self._cached
        if instance is not review:
            hourly_costs = self.__dict__.setdefault("hourly_costs", {})
            hourly_cost = hourly_costs.get(review.use_case_id)
            if hourly_cost is None:
                hourly_cost = business_case_inputs(review.use_case).hourly_cost
                hourly_costs[review.use_case_id] = hourly_cost
            metrics = economics.week_metrics(review.figures(), hourly_cost)
            self._cached = (review, metrics)
        return metrics


class MonthlyReviewListSerializer(serializers.ListSerializer):
    """Computes the month figures of every review of a page at once (two aggregate queries)."""

    def to_representation(self, data):
        reviews = list(data.all() if hasattr(data, "all") else data)
        self.child.figures_by_month = month_figures(reviews)
        return super().to_representation(reviews)


def month_figures(reviews) -> dict:
    """``{(use_case_id, month_start): PeriodFigures}`` for monthly reviews (``use_case`` and its
    business case loaded): one ``monthly_totals`` call over the reviews' use cases and months."""
    if not reviews:
        return {}
    months = [review.month_start for review in reviews]
    totals = selectors.monthly_totals(
        start=min(months),
        end=max(months),
        use_case_ids=sorted({review.use_case_id for review in reviews}),
    )
    return {
        (review.use_case_id, review.month_start): economics.period_figures(
            _with_costs(
                totals.get(review.use_case_id, {}).get(
                    review.month_start, economics.PeriodTotals()
                ),
                review,
            ),
            business_case_inputs(review.use_case),
        )
        for review in reviews
    }


def _with_costs(totals: economics.PeriodTotals, review) -> economics.PeriodTotals:
    """A review not saved (a preview) counts with its own costs."""
    if review.pk is not None:
        return totals
    return dataclasses.replace(totals, **dataclasses.asdict(review.costs()))


class MonthlyReviewSerializer(ReviewSerializerBase):
    """A monthly financial review, with the month's CFO figures for its use case (the month's
    weekly reviews, by Thursday, and these costs)."""

    period_field = "month"

    gross_efficiency = EngineMoney(help_text="Sum of the month's weekly gross efficiency.")
    translation_gap = EngineMoney(help_text="gross_efficiency × (1 − R).")
    absorption_cost = EngineMoney(help_text="The month's rework cost + the six costs.")
    net_value = EngineMoney(help_text="gross_efficiency × R − absorption_cost.")

    class Meta:
        model = MonthlyReview
        list_serializer_class = MonthlyReviewListSerializer
        fields = [
            "id",
            "use_case",
            "month",
            *MonthlyReview.INPUT_FIELDS,
            "gross_efficiency",
            "translation_gap",
            "absorption_cost",
            "net_value",
            "version",
            "submitted_by",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"month": {"help_text": rules.MONTH_HELP}}
        validators = []

    #: Set by the list serializer for a whole page; computed on demand for a single review.
    figures_by_month: dict | None = None

    def figures_for(self, review: MonthlyReview) -> economics.PeriodFigures:
        key = (review.use_case_id, review.month_start)
        if self.figures_by_month is None or key not in self.figures_by_month:
            self.figures_by_month = month_figures([review])
        return self.figures_by_month[key]


# --- consequences ---------------------------------------------------------------------------


class ConsequenceSerializer(serializers.Serializer):
    """A consequence of a review (``reviews.consequences``), foreseen or done."""

    kind = serializers.ChoiceField(
        choices=consequences.KINDS,
        help_text=(
            "`stop_loss`, an early-warning signal's kind, or `historical_breach`: a breach or "
            "signal at a period older than the stop-loss look-back (recorded, no flag)."
        ),
    )
    rule = serializers.CharField(help_text="The rule (`rule:<id>`) or the signal's kind.")
    metric = serializers.CharField(allow_null=True, help_text="The rule's metric (null: signal).")
    period = serializers.CharField(help_text="The ISO week or month judged.")
    observed = serializers.DecimalField(
        max_digits=24, decimal_places=4, allow_null=True, help_text="Fractions for rates."
    )
    threshold = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)
    effect = serializers.ChoiceField(
        choices=consequences.EFFECTS,
        help_text=(
            "`return_to_redesign`: a stop-loss flag that returns the use case to redesign with "
            "funding conditional; `flag`: a stop-loss flag that moves nothing (flag-only rule, "
            "or a use case not in rollout/scaled); `signal`: an early-warning flag (no stage "
            "change); `none`: historical, no flag and no stage change."
        ),
    )
    message = serializers.CharField(help_text="The consequence in words.")


CONSEQUENCES_HELP = (
    "What the review triggered (create, correction) or would trigger (preview): the stop-loss "
    "flags with their stage/funding move, the early-warning flags and the historical breaches."
)


class WeeklyReviewResultSerializer(WeeklyReviewSerializer):
    """A weekly review as created, corrected or previewed, with its consequences."""

    consequences = ConsequenceSerializer(many=True, read_only=True, help_text=CONSEQUENCES_HELP)

    class Meta(WeeklyReviewSerializer.Meta):
        fields = [*WeeklyReviewSerializer.Meta.fields, "consequences"]


class MonthlyReviewResultSerializer(MonthlyReviewSerializer):
    """A monthly review as created, corrected or previewed, with its consequences."""

    consequences = ConsequenceSerializer(many=True, read_only=True, help_text=CONSEQUENCES_HELP)

    class Meta(MonthlyReviewSerializer.Meta):
        fields = [*MonthlyReviewSerializer.Meta.fields, "consequences"]


# --- economics ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.CharField):
    """``YYYY-MM`` → ``(year, month)``."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return economics.parse_month(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class EconomicsQuerySerializer(serializers.Serializer):
    """The range of ``use-cases/{id}/economics/``: by default the last 3 complete months."""

    start = MonthField(
        required=False,
        help_text=(
            "First month, YYYY-MM. Default: two months before `end` (so the default range is "
            "the last 3 complete months)."
        ),
    )
    end = MonthField(
        required=False,
        help_text="Last month, YYYY-MM (included). Default: the last complete month.",
    )

    def __init__(self, *args, today=None, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def validate(self, attrs):
        end = attrs.get("end") or economics.add_months((self.today.year, self.today.month), -1)
        start = attrs.get("start") or economics.add_months(end, -2)
        if start < FIRST_MONTH:
            # Only the default start (two months before ``end``) can fall before the calendar.
            message = (
                f"Give a start too: the default range would begin before {_label(FIRST_MONTH)}."
            )
            raise serializers.ValidationError({"end": [message]})
        if start > end:
            raise serializers.ValidationError(
                {"start": [f"The range starts after it ends ({_label(start)} > {_label(end)})."]}
            )
        months = economics.month_span(start, end)
        if months > MAX_ECONOMICS_MONTHS:
            raise serializers.ValidationError(
                {
                    "end": [
                        f"The range covers {months} months; at most {MAX_ECONOMICS_MONTHS} "
                        "are allowed."
                    ]
                }
            )
        return {"start": economics.month_start(start), "end": economics.month_start(end)}


def _label(year_month: tuple[int, int]) -> str:
    return economics.format_month(*year_month)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthLabelField(serializers.Field):
    """A month (its first day) as ``YYYY-MM`` (read-only)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return economics.format_month(value.year, value.month)


class MonthFiguresSerializer(serializers.Serializer):
    """One month's CFO figures (instance: ``{"month": first day, "figures": PeriodFigures}``)."""

    month = MonthLabelField()
    gross_efficiency = MoneyField(source="figures.gross_efficiency")
    translation_gap = MoneyField(source="figures.translation_gap")
    absorption_cost = MoneyField(source="figures.absorption_cost")
    net_value = MoneyField(source="figures.net_value")


class WaterfallStepSerializer(serializers.Serializer):
    step = serializers.CharField(read_only=True)
    leakage_point = serializers.ChoiceField(
        choices=list(economics.LEAKAGE_POINTS),
        allow_null=True,
        read_only=True,
        help_text="The leak this step measures; null for the totals.",
    )
    amount = MoneyField(
        help_text="For a total, the running value; for a deduction, what it takes away."
    )


class NinetyDaySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=NINETY_DAY_STATUSES, read_only=True)
    value = MoneyField(allow_null=True, help_text="Null unless the status is complete.")
    months_available = serializers.IntegerField(
        read_only=True, help_text="How many of the three months have a monthly review."
    )


class EconomicsSerializer(serializers.Serializer):
    """The engine's figures of a use case over a run of months (``selectors.UseCaseEconomics``)."""

    start = MonthLabelField()
    end = MonthLabelField()
    gross_efficiency = MoneyField(source="figures.gross_efficiency")
    translation_gap = MoneyField(source="figures.translation_gap")
    absorption_cost = MoneyField(source="figures.absorption_cost")
    net_value = MoneyField(source="figures.net_value")
    waterfall = WaterfallStepSerializer(many=True, read_only=True)
    net_value_90_days = NinetyDaySerializer(read_only=True)
    by_month = serializers.SerializerMethodField()

    @extend_schema_field(MonthFiguresSerializer(many=True))
    def get_by_month(self, result: selectors.UseCaseEconomics):
        """Every month of the range, in order (zeros for a month without any review)."""
        given = dict(result.by_month)
        no_reviews = economics.PeriodFigures(*[economics.ZERO] * 5)
        rows = [
            {"month": first, "figures": given.get(first, no_reviews)}
            for first in map(
                economics.month_start,
                economics.months_between(
                    (result.start.year, result.start.month), (result.end.year, result.end.month)
                ),
            )
        ]
        return MonthFiguresSerializer(rows, many=True).data
