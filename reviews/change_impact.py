"""The impact of every model/prompt change-log entry (issue 17, "Change impact"): the one
selector the use case page, the gate pack and the API read (rules in ``docs/figures.md``,
"Impact of a change").

For a change effective on day D (its **effective week** is the ISO week holding D):

- **before**: the weekly reviews of the 4 ISO weeks before the effective week (up to 4: a week
  without a review is not there);
- **after**: the weekly reviews of the effective week and the 3 weeks after it (up to 4), ending
  before the effective week of the use case's next change, if any (its weeks measure that
  change). A week belongs to the change when its Sunday is on or after D, as the
  ``quality_unstable_after_change`` early warning splits them (``reviews.early_warnings``);
- at least ``MIN_WEEKS_AFTER`` (2) reviewed weeks after, else "not enough weeks yet" (or "not
  enough weeks before the next change"), and at least one before, else nothing to compare with;
- each figure is the **mean of its weekly values** over the weeks that have one; the difference is
  after − before (percentage points for rates).

The weekly values come from the economics engine (``usecases.economics``): adoption, rework and
exception share are ``week_rate``; gross efficiency per task is ``gross_efficiency_per_task``
(the week's gross efficiency ÷ its tasks with AI, at the business case's hourly cost); run cost
per task is ``week_run_cost_per_task`` (the week's month's run cost from its monthly review,
spread over the month's ISO weeks, ÷ the week's tasks with AI; no monthly review → no value).

Queries: ``change_impacts`` reads the weekly reviews (1), the monthly run costs (1) and the
hourly costs (1) of all the changes given, whatever their number.
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from usecases import economics
from usecases.change_proposals import open_proposals
from usecases.models import ModelChange, ProposedChange
from usecases.selectors import saved_hourly_costs
from usecases.templatetags.money import percent

from .models import WEEK_FIGURE_FIELDS, MonthlyReview, WeeklyReview, week_figures

WEEKS_BEFORE = 4
WEEKS_AFTER = 4
MIN_WEEKS_AFTER = 2

READY = "ready"
NOT_ENOUGH_AFTER = "not_enough_weeks"
NOTHING_BEFORE = "no_weeks_before"
STATUSES = (READY, NOT_ENOUGH_AFTER, NOTHING_BEFORE)

#: (key, label, unit, higher is better)
METRICS = (
    ("adoption_rate", "Adoption", "percent", True),
    ("rework_rate", "Rework", "percent", False),
    ("exception_share", "Exception share", "percent", False),
    ("quality_score", "Quality", "points", True),
    ("gross_efficiency_per_task", "Gross efficiency per task", "money", True),
    ("run_cost_per_task", "Run cost per task", "money", False),
)
#: The weekly review columns read: the keys, the engine's inputs, the quality score.
WEEK_FIELDS = (
    "use_case_id",
    "week",
    "week_start",
    "month_start",
    *WEEK_FIGURE_FIELDS,
    "quality_score",
)
ONE_WEEK = datetime.timedelta(days=7)


def _text(unit: str, value: Decimal | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed else ""
    shown = abs(value) if signed else value
    if unit == "percent":
        text = percent(shown, 1)
        return f"{sign}{text[:-1]} pp" if signed else text
    if unit == "points":
        return f"{sign}{shown:.1f}"
    return f"{sign}{settings.VALUEGATE_CURRENCY} {shown:.3f}"


@dataclass(frozen=True)
class MetricImpact:
    key: str
    label: str
    unit: str  # "percent" (a fraction 0..1), "points" (0–100) or "money" (per task)
    higher_is_better: bool
    before: Decimal | None  # None: no week of the window has a value
    after: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> str:
        """ "better", "worse", "same" or "" (no difference to judge)."""
        diff = self.difference
        if diff is None:
            return ""
        if diff == 0:
            return "same"
        return "better" if (diff > 0) == self.higher_is_better else "worse"

    @property
    def before_text(self) -> str:
        return _text(self.unit, self.before)

    @property
    def after_text(self) -> str:
        return _text(self.unit, self.after)

    @property
    def difference_text(self) -> str:
        return _text(self.unit, self.difference, signed=True)


@dataclass(frozen=True)
class ChangeImpact:
    change_id: int
    effective_week: str
    status: str  # READY, NOT_ENOUGH_AFTER or NOTHING_BEFORE
    message: str  # why there are no figures ("" when ready)
    weeks_before: tuple[str, ...]
    weeks_after: tuple[str, ...]
    metrics: tuple[MetricImpact, ...]  # empty unless ready

    @property
    def ready(self) -> bool:
        return self.status == READY

    @property
    def window_text(self) -> str:
        def span(weeks):
            return weeks[0] if len(weeks) == 1 else f"{weeks[0]} to {weeks[-1]}"

        if not self.weeks_before or not self.weeks_after:
            return ""
        return (
            f"{len(self.weeks_before)} week{'s' if len(self.weeks_before) != 1 else ''} before "
            f"({span(self.weeks_before)}) against {len(self.weeks_after)} after "
            f"({span(self.weeks_after)})"
        )


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _week_label(day: datetime.date) -> str:
    return economics.format_iso_week(*economics.iso_week_of(day))


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    with decimal.localcontext(prec=economics.PRECISION):
        return sum(values, Decimal(0)) / len(values)


def week_values(row: dict, *, hourly_cost, month_run_cost) -> dict[str, Decimal | None]:
    """The six weekly values of one weekly review (``row``: ``WEEK_FIELDS``), by the engine's
    formulas. ``month_run_cost``: the run cost of the week's month (None: no monthly review)."""
    week = week_figures(row)
    month = row["month_start"]
    return {
        **{name: economics.week_rate(name, week) for name in economics.RATES},
        "quality_score": Decimal(row["quality_score"]),
        "gross_efficiency_per_task": (
            None
            if hourly_cost is None
            else economics.gross_efficiency_per_task(
                week.tasks_with_ai, week.minutes_saved_per_task, hourly_cost
            )
        ),
        "run_cost_per_task": (
            None
            if month_run_cost is None
            else economics.week_run_cost_per_task(
                month_run_cost,
                len(economics.iso_weeks_of_month(month.year, month.month)),
                week.tasks_with_ai,
            )
        ),
    }


def _windows(change, next_change) -> tuple[datetime.date, datetime.date, datetime.date]:
    """(first Monday before, the effective week's Monday, the last Monday after) of a change."""
    effective_monday = _monday(change.effective_date)
    last_after = effective_monday + (WEEKS_AFTER - 1) * ONE_WEEK
    if next_change is not None:
        last_after = min(last_after, _monday(next_change.effective_date) - ONE_WEEK)
    return effective_monday - WEEKS_BEFORE * ONE_WEEK, effective_monday, last_after


def _next_changes(changes) -> dict[int, object]:
    """Each change's next change of the same use case (by effective date, then id)."""
    by_use_case = defaultdict(list)
    for change in changes:
        by_use_case[change.use_case_id].append(change)
    following = {}
    for entries in by_use_case.values():
        entries.sort(key=lambda c: (c.effective_date, c.pk))
        for earlier, later in zip(entries, [*entries[1:], None], strict=True):
            following[earlier.pk] = later
    return following


def change_impacts(changes: Iterable) -> dict[int, ChangeImpact]:
    """``{change id: ChangeImpact}`` for ``changes`` (``ModelChange`` rows, or anything with
    ``pk``, ``use_case_id``, ``effective_date`` and ``version_label``). Give every change of each
    use case concerned: the next change ends a change's weeks after. Three queries."""
    changes = list(changes)
    if not changes:
        return {}
    following = _next_changes(changes)
    windows = {c.pk: _windows(c, following[c.pk]) for c in changes}
    span: dict[int, list[datetime.date]] = {}
    for c in changes:
        first, _, last = windows[c.pk]
        lo, hi = span.get(c.use_case_id, [first, last])
        span[c.use_case_id] = [min(lo, first), max(hi, last)]
    where = Q()
    for uc_id, (lo, hi) in span.items():
        where |= Q(use_case_id=uc_id, week_start__gte=lo, week_start__lte=hi)
    rows = list(WeeklyReview.objects.filter(where).order_by("week_start").values(*WEEK_FIELDS))
    months = {(r["use_case_id"], r["month_start"]) for r in rows}
    run_costs: dict[tuple[int, datetime.date], Decimal] = {}
    if months:
        month_where = Q()
        for uc_id in {uc for uc, _ in months}:
            month_where |= Q(
                use_case_id=uc_id,
                month_start__in=sorted({m for u, m in months if u == uc_id}),
            )
        run_costs = {
            (uc, m): cost
            for uc, m, cost in MonthlyReview.objects.filter(month_where)
            .order_by()
            .values_list("use_case_id", "month_start", "run_cost")
        }
    hourly = saved_hourly_costs(span)
    weeks: dict[int, list[tuple[datetime.date, str, dict]]] = defaultdict(list)
    for row in rows:
        uc_id = row["use_case_id"]
        weeks[uc_id].append(
            (
                row["week_start"],
                row["week"],
                week_values(
                    row,
                    hourly_cost=hourly.get(uc_id),
                    month_run_cost=run_costs.get((uc_id, row["month_start"])),
                ),
            )
        )
    return {
        c.pk: _impact(c, following[c.pk], windows[c.pk], weeks.get(c.use_case_id, []))
        for c in changes
    }


def _impact(change, next_change, window, weeks) -> ChangeImpact:
    first, effective_monday, last_after = window
    before = [(w, v) for start, w, v in weeks if first <= start < effective_monday]
    after = [(w, v) for start, w, v in weeks if effective_monday <= start <= last_after]
    label = _week_label(change.effective_date)
    status, message, metrics = READY, "", ()
    if len(after) < MIN_WEEKS_AFTER:
        status = NOT_ENOUGH_AFTER
        reviewed = f"{len(after)} reviewed week{'s' if len(after) != 1 else ''} since {label}"
        cut = next_change is not None and last_after < effective_monday + ONE_WEEK * (
            WEEKS_AFTER - 1
        )
        if cut:
            message = (
                f"Not enough weeks before the next change “{next_change.version_label}” "
                f"({reviewed}, {MIN_WEEKS_AFTER} needed)."
            )
        else:
            message = f"Not enough weeks yet: {reviewed}, {MIN_WEEKS_AFTER} needed."
    elif not before:
        status = NOTHING_BEFORE
        message = (
            f"No weekly review in the {WEEKS_BEFORE} weeks before {label}: nothing to compare with."
        )
    else:
        metrics = tuple(
            MetricImpact(
                key=key,
                label=name,
                unit=unit,
                higher_is_better=higher,
                before=_mean([v[key] for _, v in before if v[key] is not None]),
                after=_mean([v[key] for _, v in after if v[key] is not None]),
            )
            for key, name, unit, higher in METRICS
        )
    return ChangeImpact(
        change_id=change.pk,
        effective_week=label,
        status=status,
        message=message,
        weeks_before=tuple(w for w, _ in before),
        weeks_after=tuple(w for w, _ in after),
        metrics=metrics,
    )


@dataclass(frozen=True)
class UseCaseChanges:
    """A use case's change log as the page, the gate pack and the API show it."""

    entries: list[ModelChange]  # newest first; ``entry.proposal`` when it came from telemetry
    impacts: dict[int, ChangeImpact]
    proposed: list[ProposedChange]  # waiting for a decision, newest first

    def rows(self) -> list[tuple[ModelChange, ChangeImpact]]:
        return [(entry, self.impacts[entry.pk]) for entry in self.entries]


def use_case_changes(use_case_id: int) -> UseCaseChanges:
    """The change log with each entry's impact and the open proposals: five queries whatever
    the number of entries (log, weekly reviews, run costs, hourly cost, proposals)."""
    entries = list(
        ModelChange.objects.filter(use_case_id=use_case_id)
        .select_related("created_by", "proposal")
        .order_by("-effective_date", "-id")
    )
    return UseCaseChanges(
        entries=entries,
        impacts=change_impacts(entries),
        proposed=open_proposals(use_case_id),
    )
