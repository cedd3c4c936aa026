"""The economics engine: DESIGN.md "Economics", as pure functions over plain numbers.

Numbers in, ``Decimal`` out. No Django, no ORM, no I/O. Nothing here rounds to cents: every
function works in a local decimal context of ``PRECISION`` significant digits, so a division by 60
(or 52) is exact far beyond the cent and sums of per-week figures add up to the period figure.
Rounding to 2 places happens only at the edge (template filter, serializer field, export).

Symbols, as in DESIGN.md: ``M`` = baseline_minutes_per_task, ``e`` = pilot_effort_reduction,
``H`` = hourly_cost, ``R`` = reclaimable_share, all from the use case's business case.

Inputs may be ``int``, ``Decimal``, ``str`` or ``float`` (a float goes through ``str`` so that
``0.3`` means 3/10, not its binary neighbour). Where a formula both multiplies and divides, the
division is done last so that only one inexact step remains; the result equals the DESIGN.md
formula as written.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal

PRECISION = 50
"""Significant digits used inside this module (results keep them; callers round at display)."""

MINUTES_PER_HOUR = 60
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12

SCENARIOS = ("pessimistic", "base", "optimistic")
LEAKAGE_POINTS = ("translation", "adoption", "execution", "control")

NINETY_DAY_COMPLETE = "complete"
NINETY_DAY_PENDING = "pending"
NINETY_DAY_NOT_SCALED = "not_scaled"
NINETY_DAY_MONTHS = 3

ZERO = Decimal(0)

#: ASCII digits only: ``\d`` would also take fullwidth or Arabic-Indic digits, which ``int()``
#: reads as the same number, so ``２０２６-W45`` would be a second spelling of ``2026-W45``. A
#: period that parses is therefore always written the one (canonical) way it is stored.
_ISO_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def _exact(func):
    """Run ``func`` inside a decimal context of ``PRECISION`` digits."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with decimal.localcontext(prec=PRECISION):
            return func(*args, **kwargs)

    return wrapper


def _d(value) -> Decimal:
    """Convert a number to ``Decimal`` without binary rounding; reject anything else."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TypeError("expected a number, got a bool")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _d_or_zero(value) -> Decimal:
    """Like ``_d``, but ``None`` (what SQL ``SUM`` gives over no rows) counts as 0."""
    return ZERO if value is None else _d(value)


def _convert_fields(obj, names, convert) -> None:
    for name in names:
        object.__setattr__(obj, name, convert(getattr(obj, name)))


def _ratio(numerator, denominator) -> Decimal:
    """numerator / denominator, and 0 when the denominator is 0."""
    numerator, denominator = _d(numerator), _d(denominator)
    if denominator == 0:
        return ZERO
    return numerator / denominator


def _minutes_to_money(minutes: Decimal, hourly_cost: Decimal) -> Decimal:
    """minutes / 60 × H (multiplied first, so the division is the only inexact step)."""
    return minutes * hourly_cost / MINUTES_PER_HOUR


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCaseInputs:
    """The business-case numbers the formulas need (fractions are 0..1)."""

    baseline_tasks_per_week: Decimal
    baseline_minutes_per_task: Decimal  # M
    pilot_effort_reduction: Decimal  # e (fraction)
    hourly_cost: Decimal  # H
    reclaimable_share: Decimal  # R (fraction)
    adoption_pessimistic: Decimal
    adoption_base: Decimal
    adoption_optimistic: Decimal
    planned_monthly_run_cost: Decimal = ZERO
    planned_monthly_support_cost: Decimal = ZERO
    planned_monthly_maintenance_cost: Decimal = ZERO
    one_off_integration_cost: Decimal = ZERO
    one_off_training_cost: Decimal = ZERO

    def __post_init__(self):
        _convert_fields(self, [f.name for f in fields(self)], _d)

    @property
    @_exact
    def pilot_minutes_saved_per_task(self) -> Decimal:
        """M × e: the minutes per task the pilot promised to save."""
        return self.baseline_minutes_per_task * self.pilot_effort_reduction

    def adoption(self, scenario: str) -> Decimal:
        """The adoption fraction of one of ``SCENARIOS``."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
        return getattr(self, f"adoption_{scenario}")


@dataclass(frozen=True)
class WeekFigures:
    """One weekly operational review's raw numbers."""

    active_users: int
    target_users: int
    tasks_total: int
    tasks_with_ai: int
    reworked_outputs: int
    exceptions: int
    minutes_saved_per_task: Decimal
    rework_minutes_per_output: Decimal

    def __post_init__(self):
        _convert_fields(self, ["minutes_saved_per_task", "rework_minutes_per_output"], _d)


@dataclass(frozen=True)
class MonthCosts:
    """One monthly financial review's costs (``None`` counts as 0)."""

    training_cost: Decimal = ZERO
    support_cost: Decimal = ZERO
    integration_cost: Decimal = ZERO
    run_cost: Decimal = ZERO
    maintenance_cost: Decimal = ZERO
    other_cost: Decimal = ZERO

    def __post_init__(self):
        _convert_fields(self, [f.name for f in fields(self)], _d_or_zero)


# --- per weekly review ------------------------------------------------------------------------


@_exact
def adoption_rate(active_users, target_users) -> Decimal:
    """active_users / target_users (0 when target_users is 0)."""
    return _ratio(active_users, target_users)


@_exact
def rework_rate(reworked_outputs, tasks_with_ai) -> Decimal:
    """reworked_outputs / tasks_with_ai (0 when tasks_with_ai is 0)."""
    return _ratio(reworked_outputs, tasks_with_ai)


@_exact
def exception_share(exceptions, tasks_total) -> Decimal:
    """exceptions / tasks_total (0 when tasks_total is 0)."""
    return _ratio(exceptions, tasks_total)


@_exact
def week_rates(values) -> dict[str, Decimal]:
    """Every one of ``RATES`` of one week, from a mapping of its fields (a ``values()`` row), in
    one decimal context (the stop-loss evaluation makes a point of each of thousands of weeks: a
    third of its rates' time was entering the context, issue 20)."""
    return {name: _ratio(values[top], values[bottom]) for name, (top, bottom) in RATES.items()}


@_exact
def week_gross_efficiency(tasks_with_ai, minutes_saved_per_task, hourly_cost) -> Decimal:
    """gross_efficiency = tasks_with_ai × minutes_saved_per_task / 60 × H."""
    return _minutes_to_money(_d(tasks_with_ai) * _d(minutes_saved_per_task), _d(hourly_cost))


@_exact
def week_rework_cost(reworked_outputs, rework_minutes_per_output, hourly_cost) -> Decimal:
    """rework_cost = reworked_outputs × rework_minutes_per_output / 60 × H."""
    return _minutes_to_money(_d(reworked_outputs) * _d(rework_minutes_per_output), _d(hourly_cost))


@_exact
def gross_efficiency_per_task(tasks_with_ai, minutes_saved_per_task, hourly_cost) -> Decimal | None:
    """gross_efficiency ÷ tasks_with_ai: what one AI-assisted task of the week saved (the change
    log's impact). None when the week had no task with AI."""
    if _d(tasks_with_ai) == 0:
        return None
    gross = week_gross_efficiency(tasks_with_ai, minutes_saved_per_task, hourly_cost)
    return gross / _d(tasks_with_ai)


@_exact
def week_run_cost_per_task(
    month_run_cost, iso_weeks_in_month: int, tasks_with_ai
) -> Decimal | None:
    """The month's run cost spread evenly over its ISO weeks (as the weekly net value spreads
    the month's costs), ÷ the week's tasks with AI. None when the week had no task with AI."""
    tasks = _d(tasks_with_ai)
    if tasks == 0 or not iso_weeks_in_month:
        return None
    return _d(month_run_cost) / (iso_weeks_in_month * tasks)


#: Each per-week rate as (numerator, denominator) ``WeekFigures`` fields: numerator / denominator,
#: 0 when the denominator is 0 (``_ratio``). The dashboard sorts by the same fractions in SQL.
RATES = {
    "adoption_rate": ("active_users", "target_users"),
    "rework_rate": ("reworked_outputs", "tasks_with_ai"),
    "exception_share": ("exceptions", "tasks_total"),
}


@dataclass(frozen=True)
class WeekMetrics:
    """The computed figures of one weekly review (rates are fractions 0..1, money unrounded)."""

    adoption_rate: Decimal
    rework_rate: Decimal
    exception_share: Decimal
    gross_efficiency: Decimal
    rework_cost: Decimal


@_exact
def week_rate(name: str, week) -> Decimal:
    """One of ``RATES`` of a weekly review (``WeekFigures`` or anything with its fields)."""
    numerator, denominator = RATES[name]
    return _ratio(getattr(week, numerator), getattr(week, denominator))


def week_metrics(week: WeekFigures, hourly_cost) -> WeekMetrics:
    """All per-week formulas for one weekly review at hourly cost H."""
    return WeekMetrics(
        **{name: week_rate(name, week) for name in RATES},
        gross_efficiency=week_gross_efficiency(
            week.tasks_with_ai, week.minutes_saved_per_task, hourly_cost
        ),
        rework_cost=week_rework_cost(
            week.reworked_outputs, week.rework_minutes_per_output, hourly_cost
        ),
    )


# --- ISO weeks and months ---------------------------------------------------------------------


def _iso_weeks_in_year(iso_year: int) -> int:
    """52 or 53: 28 December always lies in the year's last ISO week."""
    return datetime.date(iso_year, 12, 28).isocalendar().week


def _iso_date(iso_year: int, iso_week: int, iso_weekday: int) -> datetime.date:
    """The date of a weekday of an ISO week; ValueError naming the week if it does not exist."""
    label = f"{iso_year:04d}-W{iso_week:02d}" if iso_year >= 0 and iso_week >= 0 else "week"
    if not 1 <= iso_year <= 9999:
        raise ValueError(f"{label} is not an ISO week: year must be 0001-9999")
    last = _iso_weeks_in_year(iso_year)
    if not 1 <= iso_week <= last:
        raise ValueError(f"{label} is not an ISO week: year {iso_year} has weeks 01-{last}")
    try:
        return datetime.date.fromisocalendar(iso_year, iso_week, iso_weekday)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{label} is outside the supported calendar: {exc}") from None


def month_of_iso_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    """The (year, month) a week belongs to: the calendar month that holds its Thursday."""
    thursday = _iso_date(iso_year, iso_week, 4)
    return thursday.year, thursday.month


def parse_iso_week(text: str) -> tuple[int, int]:
    """``"2026-W47"`` -> ``(2026, 47)``.

    ValueError if the text is not ``YYYY-Www`` in ASCII digits (two-digit week), or names a week
    that does not exist (week 00, week 53 of a year with 52 ISO weeks) or does not lie wholly in
    the calendar (9999-W52 ends in the year 10000). What parses is ``format_iso_week`` of the
    result: the canonical spelling.
    """
    match = _ISO_WEEK_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not an ISO week; expected YYYY-Www with the digits 0-9, e.g. 2026-W07"
        )
    iso_year, iso_week = int(match[1]), int(match[2])
    iso_week_bounds(iso_year, iso_week)
    return iso_year, iso_week


def format_iso_week(iso_year: int, iso_week: int) -> str:
    """``(2026, 7)`` -> ``"2026-W07"``; ValueError if the week does not exist."""
    _iso_date(iso_year, iso_week, 1)
    return f"{iso_year:04d}-W{iso_week:02d}"


def iso_week_bounds(iso_year: int, iso_week: int) -> tuple[datetime.date, datetime.date]:
    """The Monday and the Sunday of an ISO week."""
    return _iso_date(iso_year, iso_week, 1), _iso_date(iso_year, iso_week, 7)


def iso_week_of(day: datetime.date) -> tuple[int, int]:
    """The (iso_year, iso_week) that holds a date."""
    iso = day.isocalendar()
    return iso.year, iso.week


def iso_weeks_of_month(year: int, month: int) -> list[tuple[int, int]]:
    """The ISO weeks that belong to a calendar month (those whose Thursday falls in it)."""
    _check_month(year, month)
    first = datetime.date(year, month, 1)
    first_thursday = 1 + (3 - first.weekday()) % 7
    last_day = calendar.monthrange(year, month)[1]
    return [
        iso_week_of(datetime.date(year, month, day))
        for day in range(first_thursday, last_day + 1, 7)
    ]


def _check_month(year: int, month: int) -> None:
    if not 1 <= year <= 9999 or not 1 <= month <= 12:
        raise ValueError(f"{year}-{month} is not a month; expected year 0001-9999, month 01-12")


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` -> ``(2026, 11)``; ValueError unless the text is ``YYYY-MM`` in ASCII digits
    with MM 01-12 (what parses is ``format_month`` of the result: the canonical spelling)."""
    match = _MONTH_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a month; expected YYYY-MM with the digits 0-9, e.g. 2026-11"
        )
    year, month = int(match[1]), int(match[2])
    if year == 0 or not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a month; expected year 0001-9999, month 01-12")
    return year, month


def format_month(year: int, month: int) -> str:
    """``(2026, 11)`` -> ``"2026-11"``."""
    _check_month(year, month)
    return f"{year:04d}-{month:02d}"


def months_between(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """Every (year, month) from ``start`` to ``end``, both included; empty if end < start."""
    _check_month(*start)
    _check_month(*end)
    months = []
    current = tuple(start)
    while current <= tuple(end):
        months.append(current)
        current = add_months(current, 1)
    return months


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of a calendar month."""
    _check_month(year, month)
    return (
        datetime.date(year, month, 1),
        datetime.date(year, month, calendar.monthrange(year, month)[1]),
    )


# --- month arithmetic (the one place: a month is a (year, month) pair or its first day) ----------


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def add_months(month, n: int):
    """The month ``n`` calendar months after ``month`` (before it when ``n`` < 0). ``month`` is a
    ``(year, month)`` pair, answered with a pair, or a date, answered with the first day of the
    month: ``add_months((2026, 1), -1)`` is ``(2025, 12)``, ``add_months(date(2026, 3, 31), -1)``
    is ``date(2026, 2, 1)``."""
    if isinstance(month, datetime.date):
        return month_start(add_months((month.year, month.month), n))
    index = _month_index(*month) + n
    return index // 12, index % 12 + 1


def month_start(month: tuple[int, int]) -> datetime.date:
    """The first day of a ``(year, month)``."""
    return datetime.date(month[0], month[1], 1)


def month_span(start: tuple[int, int], end: tuple[int, int]) -> int:
    """How many months from ``start`` to ``end``, both included (0 when end < start): the length
    of ``months_between(start, end)`` without listing them."""
    return max(_month_index(*end) - _month_index(*start) + 1, 0)


# --- a month or a run of months ---------------------------------------------------------------


class _Sums:
    """What the sum dataclasses share: fields are Decimal sums (``None``, SQL ``SUM`` over no
    rows, counts as 0), they add up with ``+`` and ``sum(...)``, and the six monthly costs add up
    to ``costs``."""

    def __post_init__(self):
        _convert_fields(self, [f.name for f in fields(self)], _d_or_zero)

    @_exact
    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def __radd__(self, other):
        if other == 0:  # lets the builtin sum() start from 0
            return self
        return NotImplemented

    @property
    @_exact
    def costs(self) -> Decimal:
        """training + support + integration + run + maintenance + other."""
        return (
            self.training_cost
            + self.support_cost
            + self.integration_cost
            + self.run_cost
            + self.maintenance_cost
            + self.other_cost
        )


#: What one weekly review adds to each weekly ``PeriodTotals`` field: the product of these
#: ``WeekFigures`` fields. SQL adds up the same products (``reviews.selectors``).
WEEKLY_QUANTITIES = {
    "tasks_total": ("tasks_total",),
    "tasks_with_ai": ("tasks_with_ai",),
    "ai_minutes_saved": ("tasks_with_ai", "minutes_saved_per_task"),
    "rework_minutes": ("reworked_outputs", "rework_minutes_per_output"),
}
#: The six costs of a monthly review (``PeriodTotals`` sums them as they are).
COST_FIELDS = tuple(f.name for f in fields(MonthCosts))


def _product(obj, names) -> Decimal:
    """The product of ``obj``'s fields ``names``, left to right."""
    value = _d(getattr(obj, names[0]))
    for name in names[1:]:
        value *= _d(getattr(obj, name))
    return value


@dataclass(frozen=True)
class PeriodTotals(_Sums):
    """Sums over the weekly reviews and monthly reviews of a run of months (or one month).

    Everything here is a plain SUM that SQL can compute in one aggregate query; ``None`` (SQL
    ``SUM`` over no rows) counts as 0. Months combine with ``+`` (and ``sum(...)``).
    """

    tasks_total: Decimal = ZERO  # Σ tasks_total
    tasks_with_ai: Decimal = ZERO  # Σ tasks_with_ai
    ai_minutes_saved: Decimal = ZERO  # Σ tasks_with_ai × minutes_saved_per_task
    rework_minutes: Decimal = ZERO  # Σ reworked_outputs × rework_minutes_per_output
    training_cost: Decimal = ZERO
    support_cost: Decimal = ZERO
    integration_cost: Decimal = ZERO
    run_cost: Decimal = ZERO
    maintenance_cost: Decimal = ZERO
    other_cost: Decimal = ZERO

    @classmethod
    @_exact
    def from_weeks_and_costs(
        cls, weeks: Iterable[WeekFigures], costs: Iterable[MonthCosts] = ()
    ) -> PeriodTotals:
        """Sum weekly reviews and monthly costs in Python (the caller picks the right months)."""
        sums = dict.fromkeys((f.name for f in fields(cls)), ZERO)
        for week in weeks:
            for name, factors in WEEKLY_QUANTITIES.items():
                sums[name] += _product(week, factors)
        for month in costs:
            for f in fields(MonthCosts):
                sums[f.name] += getattr(month, f.name)
        return cls(**sums)


@dataclass(frozen=True)
class PeriodFigures:
    """The CFO figures of a month or a run of months (money unrounded)."""

    gross_efficiency: Decimal
    translation_gap: Decimal
    absorption_cost: Decimal
    net_value: Decimal
    rework_cost: Decimal


@_exact
def period_figures(totals: PeriodTotals, bc: BusinessCaseInputs) -> PeriodFigures:
    """The figures of a period from its totals.

    - gross_efficiency = Σ weeks' gross_efficiency = ai_minutes_saved / 60 × H
    - translation_gap = gross_efficiency × (1 − R)
    - rework_cost = Σ weeks' rework_cost = rework_minutes / 60 × H
    - absorption_cost = rework_cost + training + support + integration + run + maintenance + other
    - net_value = gross_efficiency × R − absorption_cost
    """
    hourly_cost, reclaimable = bc.hourly_cost, bc.reclaimable_share
    gross = _minutes_to_money(totals.ai_minutes_saved, hourly_cost)
    rework = _minutes_to_money(totals.rework_minutes, hourly_cost)
    absorption = rework + totals.costs
    return PeriodFigures(
        gross_efficiency=gross,
        translation_gap=gross * (1 - reclaimable),
        absorption_cost=absorption,
        net_value=gross * reclaimable - absorption,
        rework_cost=rework,
    )


@dataclass(frozen=True)
class WaterfallStep:
    """One bar of the value-leakage waterfall.

    ``leakage_point`` is None for the three totals (pilot_promise, gross_efficiency, net_value),
    whose ``amount`` is the running value; for every other step it is the leak, and ``amount`` is
    what the step takes away from the running value (positive = value lost).
    """

    step: str
    leakage_point: str | None
    amount: Decimal

    @property
    def is_total(self) -> bool:
        return self.leakage_point is None

    @property
    def label(self) -> str:
        return STEP_LABELS[self.step]

    @property
    def explained_label(self) -> str:
        """The label with what the gap means, where it needs saying (the gate pack's table)."""
        explanation = STEP_EXPLANATIONS.get(self.step)
        return f"{self.label} ({explanation})" if explanation else self.label


#: The words for each waterfall step (charts, tables, exports).
STEP_LABELS = {
    "pilot_promise": "Pilot promise",
    "adoption_gap": "Adoption gap",
    "effort_gap": "Effort gap",
    "gross_efficiency": "Gross efficiency",
    "translation_gap": "Translation gap",
    "rework": "Rework",
    "integration": "Integration",
    "support": "Support",
    "training": "Training",
    "run": "Run (tokens, hosting)",
    "maintenance": "Maintenance",
    "other": "Other costs",
    "net_value": "Net value",
}
#: What the three gaps mean, in a few words.
STEP_EXPLANATIONS = {
    "adoption_gap": "tasks done without AI",
    "effort_gap": "fewer minutes saved than the pilot",
    "translation_gap": "time saved that is not reclaimed",
}


@_exact
def waterfall(totals: PeriodTotals, bc: BusinessCaseInputs) -> list[WaterfallStep]:
    """The value-leakage waterfall of a period, from the pilot's promise to net value.

    Deductions are POSITIVE amounts that are SUBTRACTED from the running value; a negative
    deduction adds to it (``effort_gap`` is negative when production saves more minutes per task
    than the pilot promised). The totals carry the running value:

        pilot_promise    = Σ tasks_total × M × e / 60 × H
      − adoption_gap     = Σ (tasks_total − tasks_with_ai) × M × e / 60 × H        (adoption)
      − effort_gap       = Σ tasks_with_ai × (M × e − minutes_saved_per_task) / 60 × H (execution)
      = gross_efficiency
      − translation_gap  = gross_efficiency × (1 − R)                            (translation)
      − rework (execution), − integration (execution), − support (execution),
      − training (adoption), − run (control), − maintenance (control), − other (control)
      = net_value

    The totals are taken from ``period_figures`` so they match the CFO figures exactly; the
    running arithmetic equals them (the formulas are algebraically identical).
    """
    hourly_cost = bc.hourly_cost
    promised_per_task = bc.pilot_minutes_saved_per_task
    figures = period_figures(totals, bc)
    promise = _minutes_to_money(totals.tasks_total * promised_per_task, hourly_cost)
    adoption_gap = _minutes_to_money(
        (totals.tasks_total - totals.tasks_with_ai) * promised_per_task, hourly_cost
    )
    effort_gap = _minutes_to_money(
        totals.tasks_with_ai * promised_per_task - totals.ai_minutes_saved, hourly_cost
    )
    return _waterfall_steps(promise, adoption_gap, effort_gap, figures, totals)


def _waterfall_steps(
    promise, adoption_gap, effort_gap, figures: PeriodFigures, costs: _Sums
) -> list[WaterfallStep]:
    """The 13 steps in order, from the three pre-gross amounts, the period figures and the
    monthly costs (of ``PeriodTotals`` or ``WeightedTotals``)."""
    return [
        WaterfallStep("pilot_promise", None, promise),
        WaterfallStep("adoption_gap", "adoption", adoption_gap),
        WaterfallStep("effort_gap", "execution", effort_gap),
        WaterfallStep("gross_efficiency", None, figures.gross_efficiency),
        WaterfallStep("translation_gap", "translation", figures.translation_gap),
        WaterfallStep("rework", "execution", figures.rework_cost),
        WaterfallStep("integration", "execution", costs.integration_cost),
        WaterfallStep("support", "execution", costs.support_cost),
        WaterfallStep("training", "adoption", costs.training_cost),
        WaterfallStep("run", "control", costs.run_cost),
        WaterfallStep("maintenance", "control", costs.maintenance_cost),
        WaterfallStep("other", "control", costs.other_cost),
        WaterfallStep("net_value", None, figures.net_value),
    ]


# --- net value after 90 days at scale ---------------------------------------------------------


@dataclass(frozen=True)
class NinetyDayValue:
    """Net value over the three full calendar months after ``scaled_on``.

    status is ``"complete"`` (value = the sum), ``"pending"`` (value None; ``months_available``
    of the three months have a monthly review) or ``"not_scaled"`` (no ``scaled_on``).
    """

    status: str
    value: Decimal | None
    months_available: int
    months: tuple[tuple[int, int], ...]


def ninety_day_months(scaled_on: datetime.date) -> list[tuple[int, int]]:
    """The three full calendar months after ``scaled_on``; its own month counts if it is the 1st."""
    month = (scaled_on.year, scaled_on.month)
    if scaled_on.day != 1:
        month = add_months(month, 1)
    months = [month]
    while len(months) < NINETY_DAY_MONTHS:
        months.append(add_months(months[-1], 1))
    return months


@_exact
def net_value_90_days(
    scaled_on: datetime.date | None, monthly_net_values: Mapping[tuple[int, int], Decimal]
) -> NinetyDayValue:
    """Σ net_value over ``ninety_day_months(scaled_on)``, once all three have a monthly review.

    ``monthly_net_values`` maps (year, month) -> net_value for the months that have a monthly
    review (a ``None`` value counts as missing); months outside the window are ignored.
    """
    if scaled_on is None:
        return NinetyDayValue(NINETY_DAY_NOT_SCALED, None, 0, ())
    months = tuple(ninety_day_months(scaled_on))
    present = [m for m in months if monthly_net_values.get(m) is not None]
    if len(present) < len(months):
        return NinetyDayValue(NINETY_DAY_PENDING, None, len(present), months)
    value = sum((_d(monthly_net_values[m]) for m in months), ZERO)
    return NinetyDayValue(NINETY_DAY_COMPLETE, value, len(months), months)


# --- scenario forecast ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioForecast:
    """Weekly run-rate at full scale for one adoption scenario, and its first-year net."""

    scenario: str
    adoption: Decimal
    weekly_gross: Decimal
    weekly_net: Decimal
    first_year_net: Decimal


@_exact
def scenario_forecast(bc: BusinessCaseInputs, scenario: str) -> ScenarioForecast:
    """One scenario with adoption ``a``:

    - weekly_gross = baseline_tasks_per_week × a × M × e / 60 × H
    - weekly_net = weekly_gross × R − (planned monthly run + support + maintenance) × 12 / 52
    - first_year_net = weekly_net × 52 − one-off integration − one-off training
      (computed as weekly_gross × R × 52 − monthly × 12 − one-offs, the same value without
      dividing by 52 and multiplying back)
    """
    adoption = bc.adoption(scenario)
    gross = _minutes_to_money(
        bc.baseline_tasks_per_week * adoption * bc.pilot_minutes_saved_per_task, bc.hourly_cost
    )
    monthly = (
        bc.planned_monthly_run_cost
        + bc.planned_monthly_support_cost
        + bc.planned_monthly_maintenance_cost
    )
    one_offs = bc.one_off_integration_cost + bc.one_off_training_cost
    return ScenarioForecast(
        scenario=scenario,
        adoption=adoption,
        weekly_gross=gross,
        weekly_net=gross * bc.reclaimable_share - monthly * MONTHS_PER_YEAR / WEEKS_PER_YEAR,
        first_year_net=(
            gross * bc.reclaimable_share * WEEKS_PER_YEAR - monthly * MONTHS_PER_YEAR - one_offs
        ),
    )


def scenario_forecasts(bc: BusinessCaseInputs) -> list[ScenarioForecast]:
    """The forecasts for the pessimistic, base and optimistic scenarios, in that order."""
    return [scenario_forecast(bc, scenario) for scenario in SCENARIOS]


# --- sums over use cases with different business cases ------------------------------------------


@dataclass(frozen=True)
class WeightedTotals(_Sums):
    """Sums over the reviews of SEVERAL use cases, each review weighted by its own use case's
    business case, so portfolio figures can be added up in SQL in one pass.

    ``period_figures`` and ``waterfall`` need one business case; a portfolio has one per use case,
    and every figure is linear in the period totals with that use case's H, R and M × e as
    coefficients. Multiplying each weekly review by them before summing gives the portfolio sums
    directly (money × 60: the division by 60 minutes is done once, here):

    - ``promise`` = Σ tasks_total × M × e × H
    - ``promise_with_ai`` = Σ tasks_with_ai × M × e × H
    - ``saved`` = Σ tasks_with_ai × minutes_saved_per_task × H
    - ``reclaimed`` = Σ tasks_with_ai × minutes_saved_per_task × H × R
    - ``rework`` = Σ reworked_outputs × rework_minutes_per_output × H
    - the six cost fields: plain sums of the monthly reviews.

    ``weighted(totals, bc)`` weighs one use case's ``PeriodTotals``; ``weighted_figures`` and
    ``weighted_waterfall`` of a sum of them equal the sums of the per-use-case ``period_figures``
    and ``waterfall`` (up to the 50th digit: the division by 60 happens once instead of per use
    case).
    """

    promise: Decimal = ZERO
    promise_with_ai: Decimal = ZERO
    saved: Decimal = ZERO
    reclaimed: Decimal = ZERO
    rework: Decimal = ZERO
    training_cost: Decimal = ZERO
    support_cost: Decimal = ZERO
    integration_cost: Decimal = ZERO
    run_cost: Decimal = ZERO
    maintenance_cost: Decimal = ZERO
    other_cost: Decimal = ZERO


# --- linear forms: what SQL may add up ----------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """``coefficient`` × a period total × business case numbers: one term of a figure that is
    linear in the period totals. ``quantity`` is a ``PeriodTotals`` field or ``"costs"`` (the six
    costs' sum); ``factors`` are ``BusinessCaseInputs`` fields. SQL evaluates a term by summing
    the quantity's columns (``WEEKLY_QUANTITIES``, the costs) times the use case's business case
    columns named by ``factors``: the coefficients come from here, never from a second formula."""

    quantity: str
    factors: tuple[str, ...] = ()
    coefficient: int = 1

    @property
    def is_weekly(self) -> bool:
        """Whether the quantity comes from the weekly reviews (else from the monthly ones)."""
        return self.quantity in WEEKLY_QUANTITIES


_PROMISED = ("baseline_minutes_per_task", "pilot_effort_reduction", "hourly_cost")  # M × e × H

#: Each ``WeightedTotals`` field as one term over a use case's period totals and business case.
WEIGHTS = {
    "promise": Term("tasks_total", _PROMISED),
    "promise_with_ai": Term("tasks_with_ai", _PROMISED),
    "saved": Term("ai_minutes_saved", ("hourly_cost",)),
    "reclaimed": Term("ai_minutes_saved", ("hourly_cost", "reclaimable_share")),
    "rework": Term("rework_minutes", ("hourly_cost",)),
    **{name: Term(name) for name in COST_FIELDS},
}

#: 60 × a use case's net value over a period (``period_figures``' net value, without its only
#: division, so SQL sums it exactly): Σ ai minutes × H × R − Σ rework minutes × H − 60 × costs.
NET_VALUE_X60 = (
    Term("ai_minutes_saved", ("hourly_cost", "reclaimable_share")),
    Term("rework_minutes", ("hourly_cost",), -1),
    Term("costs", (), -MINUTES_PER_HOUR),
)


@_exact
def linear_value(terms: Iterable[Term], totals: PeriodTotals, bc: BusinessCaseInputs) -> Decimal:
    """Σ coefficient × quantity × factors over ``terms`` (exact: products and sums only)."""
    total = ZERO
    for term in terms:
        value = getattr(totals, term.quantity) * term.coefficient
        for factor in term.factors:
            value *= getattr(bc, factor)
        total += value
    return total


def weighted(totals: PeriodTotals, bc: BusinessCaseInputs) -> WeightedTotals:
    """One use case's period totals weighted by its business case (``WEIGHTS``)."""
    return WeightedTotals(
        **{name: linear_value((term,), totals, bc) for name, term in WEIGHTS.items()}
    )


@_exact
def weighted_figures(totals: WeightedTotals) -> PeriodFigures:
    """The CFO figures of weighted sums (see ``period_figures`` for the formulas)."""
    gross = totals.saved / MINUTES_PER_HOUR
    rework = totals.rework / MINUTES_PER_HOUR
    absorption = rework + totals.costs
    return PeriodFigures(
        gross_efficiency=gross,
        translation_gap=(totals.saved - totals.reclaimed) / MINUTES_PER_HOUR,
        absorption_cost=absorption,
        net_value=totals.reclaimed / MINUTES_PER_HOUR - absorption,
        rework_cost=rework,
    )


#: The six cost steps of the waterfall, in its order, and the cost field each one shows.
COST_STEPS = ("integration", "support", "training", "run", "maintenance", "other")
COST_FIELDS_BY_STEP = tuple(f"{step}_cost" for step in COST_STEPS)

#: The weekly waterfall steps that are not differences of others, as linear forms over the
#: weekly weighted sums (``WeightedTotals`` field → coefficient), each divided by
#: ``WEEKLY_AMOUNT_DIVISOR``: what ``weighted_weekly_amounts`` computes and what SQL rounds per
#: use case and month (``reviews.selectors.rounded_figures``). The cost steps are their cost
#: fields as they are.
WEEKLY_AMOUNTS = {
    "pilot_promise": {"promise": 1},
    "adoption_gap": {"promise": 1, "promise_with_ai": -1},
    "gross_efficiency": {"saved": 1},
    "translation_gap": {"saved": 1, "reclaimed": -1},
    "rework": {"rework": 1},
}
#: What each ``WEEKLY_AMOUNTS`` form is divided by (money × 60: see ``WeightedTotals``).
WEEKLY_AMOUNT_DIVISOR = MINUTES_PER_HOUR


#: The steps ``weighted_amounts`` gives: every waterfall step that is not a difference of two
#: others (the effort gap and net value are).
WEIGHTED_AMOUNT_STEPS = (*WEEKLY_AMOUNTS, *COST_STEPS)


@_exact
def weighted_weekly_amounts(promise, promise_with_ai, saved, reclaimed, rework) -> tuple:
    """Pilot promise, adoption gap, gross efficiency, translation gap and rework of the weekly
    weighted sums (``WeightedTotals`` fields; None counts as 0), unrounded: ``WEEKLY_AMOUNTS``,
    the arithmetic of ``weighted_waterfall`` without building its steps."""
    sums = {
        "promise": promise,
        "promise_with_ai": promise_with_ai,
        "saved": saved,
        "reclaimed": reclaimed,
        "rework": rework,
    }
    return tuple(
        sum(
            (coefficient * _d_or_zero(sums[name]) for name, coefficient in form.items()),
            ZERO,
        )
        / WEEKLY_AMOUNT_DIVISOR
        for form in WEEKLY_AMOUNTS.values()
    )


def weighted_amounts(totals: WeightedTotals) -> tuple[Decimal, ...]:
    """The amounts of ``WEIGHTED_AMOUNT_STEPS`` of weighted sums, in that order (unrounded)."""
    return (
        *weighted_weekly_amounts(
            totals.promise, totals.promise_with_ai, totals.saved, totals.reclaimed, totals.rework
        ),
        *(getattr(totals, name) for name in COST_FIELDS_BY_STEP),
    )


@_exact
def weighted_waterfall(totals: WeightedTotals) -> list[WaterfallStep]:
    """The value-leakage waterfall of weighted sums: the same steps, leakage points and
    arithmetic as ``waterfall``."""
    figures = weighted_figures(totals)
    return _waterfall_steps(
        totals.promise / MINUTES_PER_HOUR,
        (totals.promise - totals.promise_with_ai) / MINUTES_PER_HOUR,
        (totals.promise_with_ai - totals.saved) / MINUTES_PER_HOUR,
        figures,
        totals,
    )
