"""The measured figures of a use case's ISO week (read side of the telemetry evidence) and the
cost of its tokens at the PMO's model prices (``ModelPrice``, the price effective each day).

A model with tokens on a day no price covers is *unpriced*: listed, its tokens shown, its cost
never taken as zero."""

import dataclasses
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum

from usecases import economics
from usecases.money import cents

from .telemetry_models import (
    ModelPrice,
    TelemetryDay,
    TelemetryTokens,
    TelemetryTrace,
    TelemetryUser,
    TelemetryWeek,
)

MILLION = Decimal(1_000_000)


@dataclasses.dataclass
class ModelTokens:
    model: str
    input_tokens: int
    output_tokens: int
    priced: bool
    currency: str | None
    cost: Decimal | None


@dataclasses.dataclass
class WeekTelemetry:
    week: str
    traces: int
    spans: int
    ai_calls: int
    last_span_at: datetime.datetime | None
    active_users: int
    tasks_with_ai: int
    exceptions: int
    reworked_outputs: int
    quality_score: Decimal | None
    quality_evaluations: int
    tokens: list[ModelTokens]
    token_cost: list[dict]
    unpriced_models: list[str]


def price_on(prices: list[ModelPrice], day: datetime.date) -> ModelPrice | None:
    """The price effective on ``day`` among one model's ``prices`` (newest first)."""
    return next((p for p in prices if p.effective_from <= day), None)


def prices_of(models) -> dict[str, list[ModelPrice]]:
    found = defaultdict(list)
    for price in ModelPrice.objects.filter(model__in=set(models)).order_by("-effective_from"):
        found[price.model].append(price)
    return found


def token_costs(rows) -> tuple[list[ModelTokens], list[dict], list[str]]:
    """``rows`` of (day, model, input, output) → per (model, currency) entries (an unpriced part:
    currency and cost None), the total per currency, the unpriced models."""
    rows = list(rows)
    prices = prices_of(model for _day, model, _i, _o in rows)
    parts: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for day, model, inp, out in rows:
        price = price_on(prices.get(model, []), day)
        part = parts[(model, price.currency if price else None)]
        part[0] += inp
        part[1] += out
        if price:
            part[2] += (inp * price.input_per_million + out * price.output_per_million) / MILLION
    tokens, totals = [], defaultdict(Decimal)
    for (model, currency), (inp, out, cost) in sorted(
        parts.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1] or "")
    ):
        tokens.append(
            ModelTokens(
                model=model,
                input_tokens=inp,
                output_tokens=out,
                priced=currency is not None,
                currency=currency,
                cost=cents(cost) if currency else None,
            )
        )
        if currency:
            totals[currency] += cost
    total = [{"currency": c, "amount": cents(a)} for c, a in sorted(totals.items())]
    unpriced = sorted({t.model for t in tokens if not t.priced})
    return tokens, total, unpriced


def week_days(week: str) -> tuple[datetime.date, datetime.date]:
    return economics.iso_week_bounds(*economics.parse_iso_week(week))


def week_telemetry(use_case_id: int, week: str) -> WeekTelemetry:
    """What the spans of ``week`` measured for the use case (nothing received: zeros, no
    quality)."""
    monday, sunday = week_days(week)
    in_week = Q(use_case_id=use_case_id, day__gte=monday, day__lte=sunday)
    days = TelemetryDay.objects.filter(in_week).aggregate(
        spans=Sum("spans"),
        ai_calls=Sum("ai_calls"),
        quality_sum=Sum("quality_sum"),
        quality_count=Sum("quality_count"),
        last=Max("last_span_at"),
    )
    frozen = TelemetryWeek.objects.filter(use_case_id=use_case_id, week=week).first()
    if frozen:
        distinct = {
            "traces": frozen.traces,
            "tasks_with_ai": frozen.tasks_with_ai,
            "exceptions": frozen.exceptions,
            "reworked_outputs": frozen.reworked_outputs,
            "active_users": frozen.active_users,
        }
    else:
        distinct = week_distinct_counts(use_case_id, week)
    quality_count = days["quality_count"] or 0
    tokens, total, unpriced = token_costs(
        TelemetryTokens.objects.filter(in_week)
        .order_by("day", "model")
        .values_list("day", "model", "input_tokens", "output_tokens")
    )
    return WeekTelemetry(
        week=week,
        spans=days["spans"] or 0,
        ai_calls=days["ai_calls"] or 0,
        last_span_at=days["last"],
        quality_score=(
            Decimal(days["quality_sum"] / quality_count).quantize(Decimal("0.01"))
            if quality_count
            else None
        ),
        quality_evaluations=quality_count,
        tokens=tokens,
        token_cost=total,
        unpriced_models=unpriced,
        **distinct,
    )


def week_distinct_counts(use_case_id: int, week: str) -> dict:
    monday, sunday = week_days(week)
    counts = TelemetryTrace.objects.filter(
        use_case_id=use_case_id, day__gte=monday, day__lte=sunday
    ).aggregate(
        traces=Count("pk"),
        tasks_with_ai=Count("pk", filter=Q(has_ai=True)),
        exceptions=Count("pk", filter=Q(is_error=True)),
        reworked_outputs=Count("pk", filter=Q(is_rework=True)),
    )
    counts["active_users"] = TelemetryUser.objects.filter(
        use_case_id=use_case_id, week=week
    ).count()
    return counts


def unpriced_models() -> list[dict]:
    """Every model with tokens on days before its first price (or with no price at all): the
    PMO's list of prices to add."""
    first_price = (
        ModelPrice.objects.filter(model=OuterRef("model"))
        .order_by("effective_from")
        .values("effective_from")[:1]
    )
    return list(
        TelemetryTokens.objects.annotate(first_price=Subquery(first_price))
        .filter(Q(first_price__isnull=True) | Q(day__lt=F("first_price")))
        .values("model")
        .annotate(
            first_seen=Min("day"),
            last_seen=Max("day"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            use_cases=Count("use_case", distinct=True),
        )
        .order_by("model")
    )
