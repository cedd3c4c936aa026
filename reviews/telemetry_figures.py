"""The measured figures of a use case's ISO week (read side of the telemetry evidence) and the
cost of its tokens at the PMO's model prices (``ModelPrice``, the price effective each day).

A model with tokens on a day no price covers is *unpriced*: listed, its tokens shown, its cost
never taken as zero."""

import dataclasses
import datetime
import functools
import operator
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum

from usecases import economics
from usecases.money import cents

from .early_warnings import Measured
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


def _in_weeks(by_week: dict[str, list[int]], *, by_day: bool) -> Q:
    """Rows of the use cases in each week's list, in that week (by ``day`` or by ``week``)."""
    conditions = []
    for week, ids in by_week.items():
        if by_day:
            conditions.append(_days_in(ids, *week_days(week)))
        else:
            conditions.append(Q(use_case_id__in=ids, week=week))
    return functools.reduce(operator.or_, conditions)


def _days_in(ids: list[int], monday: datetime.date, sunday: datetime.date) -> Q:
    return Q(use_case_id__in=ids, day__gte=monday, day__lte=sunday)


def days_with_spans_between(use_case_id: int, monday: datetime.date, sunday: datetime.date):
    """``days_with_spans`` of one use case's week given by its days (what a prepared read
    passes: ``series.load_weeks_of``)."""
    return TelemetryDay.objects.filter(_days_in([use_case_id], monday, sunday), spans__gt=0)


def days_with_spans(by_week: dict[str, list[int]]) -> QuerySet:
    """The telemetry days with spans counted of the use cases in each week's list (ISO week →
    use case ids), in that week: ``measured_weeks``' first question, which
    ``series.load_weeks_of`` asks in the statement reading the weeks."""
    return TelemetryDay.objects.filter(_in_weeks(by_week, by_day=True), spans__gt=0)


def measured_weeks(weeks: dict[int, str]) -> dict[int, Measured]:
    """What telemetry measured of each use case's week (use case id → ISO week), for the use
    cases with spans counted that week (the others: absent). One query when none has any; at
    most four whatever the number of use cases: the days (which have telemetry), the frozen
    weeks, the traces and the users."""
    if not weeks:
        return {}
    by_week: dict[str, list[int]] = defaultdict(list)
    for uc_id, week in sorted(weeks.items()):
        by_week[week].append(uc_id)
    with_spans = set(days_with_spans(by_week).values_list("use_case_id", flat=True).distinct())
    if not with_spans:
        return {}
    by_week = {w: [i for i in ids if i in with_spans] for w, ids in by_week.items()}
    by_week = {w: ids for w, ids in by_week.items() if ids}
    found = {
        uc_id: Measured(week, active_users, tasks_with_ai, traces)
        for uc_id, week, active_users, tasks_with_ai, traces in TelemetryWeek.objects.filter(
            _in_weeks(by_week, by_day=False)
        ).values_list("use_case_id", "week", "active_users", "tasks_with_ai", "traces")
    }
    live = {w: [i for i in ids if i not in found] for w, ids in by_week.items()}
    live = {w: ids for w, ids in live.items() if ids}
    if not live:
        return found
    traces = {
        row["use_case_id"]: row
        for row in TelemetryTrace.objects.filter(_in_weeks(live, by_day=True))
        .values("use_case_id")
        .annotate(traces=Count("pk"), tasks_with_ai=Count("pk", filter=Q(has_ai=True)))
        .order_by()
    }
    users = dict(
        TelemetryUser.objects.filter(_in_weeks(live, by_day=False))
        .values("use_case_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("use_case_id", "n")
    )
    for week, ids in live.items():
        for uc_id in ids:
            counted = traces.get(uc_id, {})
            found[uc_id] = Measured(
                week,
                active_users=users.get(uc_id, 0),
                tasks_with_ai=counted.get("tasks_with_ai", 0),
                traces=counted.get("traces", 0),
            )
    return found


# --- the current week so far, on the use case page ---------------------------------------------


@dataclasses.dataclass(frozen=True)
class WeekSoFar:
    """What telemetry measured of the running week so far (``week_so_far_of``)."""

    week: str
    monday: datetime.date
    sunday: datetime.date
    today: datetime.date
    active_users: int
    traces: int
    spans: int
    last_span_at: datetime.datetime | None

    @property
    def day_of_week(self) -> int:
        return (self.today - self.monday).days + 1


def so_far_columns(monday: datetime.date, sunday: datetime.date, week: str) -> list:
    """Columns of a ``UseCase`` read (``OuterRef("pk")``): whether the use case ever had spans,
    and the running week's spans, last span, traces and distinct users (``week_so_far_of``)."""

    def one(queryset, value):
        return Subquery(
            queryset.filter(use_case_id=OuterRef("pk"))
            .order_by()
            .values("use_case_id")
            .annotate(v=value)
            .values("v")[:1]
        )

    in_week = Q(day__gte=monday, day__lte=sunday)
    days = TelemetryDay.objects.filter(in_week)
    return [
        Exists(TelemetryDay.objects.filter(use_case_id=OuterRef("pk"))),
        one(days, Sum("spans")),
        one(days, Max("last_span_at")),
        one(TelemetryTrace.objects.filter(in_week), Count("pk")),
        one(TelemetryUser.objects.filter(week=week), Count("pk")),
    ]


def running_week(today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """The ISO week of ``today``, its Monday and its Sunday."""
    week = economics.format_iso_week(*economics.iso_week_of(today))
    return (week, *week_days(week))


def week_so_far_of(values, today: datetime.date) -> WeekSoFar | None:
    """The running week so far from the ``so_far_columns`` of a use case read on ``today``;
    None when the use case never had telemetry."""
    ever, spans, last_span_at, traces, users = values
    if not ever:
        return None
    week, monday, sunday = running_week(today)
    return WeekSoFar(
        week=week,
        monday=monday,
        sunday=sunday,
        today=today,
        active_users=users or 0,
        traces=traces or 0,
        spans=spans or 0,
        last_span_at=last_span_at,
    )
