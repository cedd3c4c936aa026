"""Stop-loss rules: which rules apply to a use case, whether a period breaches them, and the one
evaluation that the review save hook (``evaluate_after_review``) and the portfolio sweep
(``reviews.sweep``) both run.

Semantics (DESIGN.md "Stop-loss rules"; decisions where it is silent are marked *):

- Effective rules of a use case: its own *active* rules, plus the default policy's active rules
  on every metric it has no active rule of its own for (an override replaces the default rule(s)
  on the same metric; * an inactive override does not).
- Weekly metrics (``rework_rate``, ``adoption_rate``, ``exception_share``) come from
  ``economics.week_metrics`` of each weekly review, ``quality_score`` from the review itself.
  ``net_value`` is the month's net value (``selectors.monthly_totals`` + ``economics.
  period_figures``) and is judged only for months that have a monthly review (* without the
  month's costs there is no net value to judge).
- "exceeds" is strictly greater, "falls below" strictly less: the threshold itself is no breach.
- Consecutive weeks count submitted weeks only: the last N submitted weekly reviews up to and
  including the evaluated one must all breach (a missing week neither breaks nor extends the
  run). * For ``net_value`` the field counts months: the last N months *with a monthly review*.
- Grace: a week whose Monday (a month whose 1st) falls before ``live_since + 7 × grace_weeks``
  days neither fires nor counts toward a run. * A use case without ``live_since`` has no grace.
- A breach raises one ``stop_loss`` flag per (use case, rule, period) — a database constraint.
  The transaction that creates it (and only that one) applies the rule's action: ``redesign``
  moves a use case in ``rollout`` or ``scaled`` to ``redesign`` with funding ``conditional``
  (the use case row is locked first, so a concurrent sweep cannot apply it twice; the history
  entry's reason names the review), and notifies the value owner and every PMO member.
- * A correction that removes a breach does not delete or resolve its flag: the PMO resolves
  it with a note. A flag that was resolved is never raised again for the same period.
- * Early-warning signals raise flags that change no stage and notify nobody (they are shown
  on the flags page and wherever flags are shown); while a signal's flag is open on a use case,
  the signal raises no further flag for later periods (one open warning per signal).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from usecases import clock, economics
from usecases.models import BusinessCase, Funding, ModelChange, Stage, UseCase
from usecases.notify import notify
from usecases.roles import PMO
from usecases.templatetags.money import money, percent

from . import signals as sig
from .cadence import overdue_reviews
from .flags import flag_raise
from .models import (
    FRACTION_METRICS,
    Comparison,
    Flag,
    FlagKind,
    Metric,
    MonthlyReview,
    RuleAction,
    StopLossRule,
    WeeklyReview,
)
from .selectors import monthly_totals

LATEST = "latest"
WEEKLY_METRICS = (
    Metric.REWORK_RATE,
    Metric.ADOPTION_RATE,
    Metric.EXCEPTION_SHARE,
    Metric.QUALITY_SCORE,
)
#: Stages a ``redesign`` action moves to redesign (any other stage only gets the flag).
ACTIONABLE_STAGES = (Stage.ROLLOUT, Stage.SCALED)
CHANGE_REASON_MAX = 100  # simple-history's history_change_reason is a CharField(100)


# --- the data a rule looks at -----------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    """One submitted weekly review, with the metrics rules and signals look at."""

    review_id: int
    week: str
    week_start: datetime.date
    adoption_rate: Decimal
    rework_rate: Decimal
    exception_share: Decimal
    quality_score: Decimal
    backlog: int = 0
    declared_hours_saved: Decimal = Decimal(0)

    kind = "weekly"

    @property
    def period(self) -> str:
        return self.week

    @property
    def start(self) -> datetime.date:
        return self.week_start

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    def value(self, metric: str) -> Decimal:
        return getattr(self, metric)


@dataclass(frozen=True)
class MonthPoint:
    """One month with a monthly review, with its net value."""

    review_id: int
    month: str
    month_start: datetime.date
    net_value: Decimal

    kind = "monthly"

    @property
    def period(self) -> str:
        return self.month

    @property
    def start(self) -> datetime.date:
        return self.month_start

    def value(self, metric: str) -> Decimal:
        return self.net_value


Point = WeekPoint | MonthPoint


# --- rules -------------------------------------------------------------------------------------


def effective_rules(use_case_id: int, rules: Iterable[StopLossRule]) -> list[StopLossRule]:
    """The rules that apply to a use case: its own active rules, then the active default rules
    on metrics it does not override. ``rules`` may hold other use cases' rules (ignored)."""
    rules = list(rules)
    own = [r for r in rules if r.use_case_id == use_case_id and r.active]
    overridden = {r.metric for r in own}
    defaults = [
        r for r in rules if r.use_case_id is None and r.active and r.metric not in overridden
    ]
    return own + defaults


def compares(value: Decimal, comparison: str, threshold: Decimal) -> bool:
    """Does ``value`` breach ``threshold``? Strict: the threshold itself never breaches."""
    if comparison == Comparison.EXCEEDS:
        return value > threshold
    if comparison == Comparison.FALLS_BELOW:
        return value < threshold
    raise ValueError(f"unknown comparison {comparison!r}")


def grace_end(rule: StopLossRule, live_since: datetime.date | None) -> datetime.date | None:
    """The first day a period may start on to fire (None: no grace applies)."""
    if live_since is None:
        return None
    try:
        return live_since + datetime.timedelta(days=7 * rule.grace_weeks)
    except OverflowError:  # grace beyond the calendar: the rule never fires
        return datetime.date.max


def in_grace(rule: StopLossRule, point: Point, live_since: datetime.date | None) -> bool:
    end = grace_end(rule, live_since)
    return end is not None and point.start < end


@dataclass(frozen=True)
class Breach:
    rule: StopLossRule
    run: tuple[Point, ...]  # the breaching periods, oldest first; the last one is evaluated

    @property
    def point(self) -> Point:
        return self.run[-1]

    @property
    def observed(self) -> Decimal:
        return self.point.value(self.rule.metric)

    @property
    def period(self) -> str:
        return self.point.period

    def explanation(self) -> str:
        rule, n = self.rule, len(self.run)
        label = rule.get_metric_display()
        threshold = format_value(rule.metric, rule.threshold, exact=True)
        side = "above" if rule.comparison == Comparison.EXCEEDS else "below"
        unit = "month" if rule.metric == Metric.NET_VALUE else "week"
        if n == 1:
            text = (
                f"{label} was {self._fmt(self.observed)} in {self.period}, {side} the stop-loss "
                f"threshold of {threshold}."
            )
        else:
            which = (
                "months with a monthly review" if unit == "month" else "submitted weekly reviews"
            )
            values = ", ".join(f"{p.period}: {self._fmt(p.value(rule.metric))}" for p in self.run)
            text = f"{label} was {side} {threshold} in each of the last {n} {which} ({values})."
        scope = "default policy" if rule.use_case_id is None else "override for this use case"
        grace = f" after {rule.grace_weeks} grace weeks" if rule.grace_weeks else ""
        return (
            f"{text} Rule ({scope}): {label.lower()} {comparison_verb(rule.comparison)} "
            f"{threshold} for {rule.consecutive_weeks} consecutive {unit}"
            f"{'s' if rule.consecutive_weeks != 1 else ''}{grace} → "
            f"{rule.get_action_display().lower()}."
        )

    def summary(self) -> str:
        """``rework rate 19.0% exceeds 15.0% in 2026-W47`` (for titles and audit reasons)."""
        rule = self.rule
        return (
            f"{rule.get_metric_display().lower()} {self._fmt(self.observed)} "
            f"{comparison_verb(rule.comparison)} "
            f"{format_value(rule.metric, rule.threshold, exact=True)} in {self.period}"
        )

    def _fmt(self, value: Decimal) -> str:
        return format_value(self.rule.metric, value, places=_places(self.rule))


def _places(rule: StopLossRule) -> int:
    """Percent places that show the rule's threshold exactly (1–3)."""
    if rule.metric not in FRACTION_METRICS:
        return 1
    places = 1
    while places < 3 and (rule.threshold * 100) != round(rule.threshold * 100, places):
        places += 1
    return places


def comparison_verb(comparison: str) -> str:
    return "exceeds" if comparison == Comparison.EXCEEDS else "falls below"


def format_value(metric: str, value: Decimal | None, *, places: int = 1, exact=False) -> str:
    """A metric value in words: rates as percentages, quality as points, net value as money."""
    if value is None:
        return "—"
    if metric in FRACTION_METRICS:
        if exact:
            places = 1
            while places < 3 and (value * 100) != round(value * 100, places):
                places += 1
        return percent(value, places)
    if metric == Metric.QUALITY_SCORE:
        return f"{value:.1f}" if not exact else f"{value.normalize():f}"
    return money(value)


def rule_breach(
    rule: StopLossRule, points: Sequence[Point], *, live_since: datetime.date | None
) -> Breach | None:
    """Whether ``rule`` fires at the last of ``points`` (the submitted periods up to and including
    the evaluated one, oldest first): the last ``consecutive_weeks`` of them are all out of grace
    and all breach."""
    n = rule.consecutive_weeks
    run = tuple(points[-n:]) if n > 0 else ()
    if n < 1 or len(run) < n:
        return None
    for point in run:
        if in_grace(rule, point, live_since):
            return None
        if not compares(point.value(rule.metric), rule.comparison, rule.threshold):
            return None
    return Breach(rule=rule, run=run)


# --- what to evaluate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """The review an evaluation is about: ``weekly:2026-W47 (review #12)``."""

    kind: str  # "weekly" or "monthly"
    period: str
    review_id: int
    via_sweep: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.period} (review #{self.review_id})" + (
            ", sweep" if self.via_sweep else ""
        )

    @property
    def described(self) -> str:
        return f"{self.kind} review #{self.review_id}" + (", sweep" if self.via_sweep else "")

    @classmethod
    def of(cls, point: Point, *, via_sweep: bool) -> Trigger:
        return cls(point.kind, point.period, point.review_id, via_sweep)


@dataclass(frozen=True)
class Target:
    """What to evaluate for one use case.

    ``week``: evaluate the weekly-metric rules at that ISO week (``LATEST``: the latest submitted
    one); ``month``: the net-value rules at that month (``LATEST``: the latest with a monthly
    review) — only if the month has a monthly review. ``signals``: the weekly signals at
    ``week``; ``owner_signal``: ``no_accountable_owner`` for the current month. ``trigger``: the
    review being saved (None: the evaluated review itself, found by the sweep).
    """

    week: str | None = None
    month: str | None = None
    signals: bool = False
    owner_signal: bool = False
    trigger: Trigger | None = None


@dataclass
class Outcome:
    """What an evaluation did."""

    flags: list[Flag] = field(default_factory=list)
    #: (use case id, previous stage) of every use case moved to redesign.
    stage_changes: list[tuple[int, str]] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.flags += other.flags
        self.stage_changes += other.stage_changes


@dataclass
class _Candidate:
    use_case: UseCase
    kind: str
    rule_key: str
    period: str
    explanation: str
    observed: Decimal | None
    threshold: Decimal | None
    triggered_by: str
    breach: Breach | None = None
    trigger: Trigger | None = None


# --- loading (a fixed number of queries for any number of use cases) ---------------------------


def _by_use_case_upto(field_name: str, ids: Iterable[int], cutoffs: dict[int, datetime.date]):
    plain = [i for i in ids if i not in cutoffs]
    condition = Q(use_case_id__in=plain)
    for uc_id, cutoff in cutoffs.items():
        condition |= Q(use_case_id=uc_id, **{f"{field_name}__lte": cutoff})
    return condition


#: The weekly review columns a ``WeekPoint`` is made of.
WEEK_COLUMNS = (
    "id",
    "use_case_id",
    "week",
    "week_start",
    "active_users",
    "target_users",
    "tasks_total",
    "tasks_with_ai",
    "reworked_outputs",
    "exceptions",
    "quality_score",
    "backlog",
    "declared_hours_saved",
)


def _week_point(row: dict) -> WeekPoint:
    """A weekly review's point: its rates are ``economics.week_metrics``' (which do not depend
    on the hourly cost)."""
    return WeekPoint(
        review_id=row["id"],
        week=row["week"],
        week_start=row["week_start"],
        adoption_rate=economics.adoption_rate(row["active_users"], row["target_users"]),
        rework_rate=economics.rework_rate(row["reworked_outputs"], row["tasks_with_ai"]),
        exception_share=economics.exception_share(row["exceptions"], row["tasks_total"]),
        quality_score=row["quality_score"],
        backlog=row["backlog"],
        declared_hours_saved=row["declared_hours_saved"],
    )


def load_weeks(
    use_case_ids: Sequence[int],
    *,
    limit: int,
    cutoffs: dict[int, datetime.date] | None = None,
) -> dict[int, list[WeekPoint]]:
    """The last ``limit`` submitted weeks of each use case (up to its cutoff Monday, if any),
    oldest first. One query (a window function ranks each use case's weeks)."""
    if not use_case_ids or limit < 1:
        return {}
    ranked = (
        WeeklyReview.objects.filter(_by_use_case_upto("week_start", use_case_ids, cutoffs or {}))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("use_case_id")], order_by=F("week_start").desc()
            )
        )
        .filter(rank__lte=limit)
        .order_by("use_case_id", "week_start")
        .values(*WEEK_COLUMNS)
    )
    series: dict[int, list[WeekPoint]] = defaultdict(list)
    for row in ranked:
        series[row["use_case_id"]].append(_week_point(row))
    return series


@dataclass(frozen=True)
class WeeksOf:
    """``load_weeks_of``: one use case's last weeks up to a Monday, oldest first."""

    points: list[WeekPoint]
    has_later: bool  # a week after that Monday was submitted
    live_since: datetime.date | None  # the use case's, read with the weeks (None: no weeks)


def load_weeks_of(use_case_id: int, *, upto: datetime.date, limit: int) -> WeeksOf:
    """One use case: its last ``limit`` submitted weeks up to the Monday ``upto`` (as
    ``load_weeks`` with that cutoff), whether a later week exists, and its ``live_since``.

    One query when ``upto`` is its latest week (the usual case: the week just submitted): the
    latest ``limit`` weeks; a second one, with the cutoff, when a later week came back."""
    columns = (*WEEK_COLUMNS, "use_case__live_since")
    # "-week": the label sorts as the date, and the (use_case, week) index then needs no sort.
    weeks = WeeklyReview.objects.filter(use_case_id=use_case_id).order_by("-week")
    rows = list(weeks.values(*columns)[: max(limit, 1)])
    has_later = bool(rows) and rows[0]["week_start"] > upto
    if has_later:
        rows = list(weeks.filter(week_start__lte=upto).values(*columns)[: max(limit, 1)])
    live_since = rows[0]["use_case__live_since"] if rows else None
    points = [_week_point(row) for row in reversed(rows[:limit] if limit > 0 else [])]
    return WeeksOf(points, has_later, live_since)


def load_months(
    use_case_ids: Sequence[int],
    *,
    limit: int,
    business_cases: dict[int, economics.BusinessCaseInputs],
    cutoffs: dict[int, datetime.date] | None = None,
) -> dict[int, list[MonthPoint]]:
    """The last ``limit`` months with a monthly review of each use case (up to its cutoff month),
    oldest first, with their net value. Three queries."""
    if not use_case_ids or limit < 1:
        return {}
    ranked = list(
        MonthlyReview.objects.filter(_by_use_case_upto("month_start", use_case_ids, cutoffs or {}))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("use_case_id")], order_by=F("month_start").desc()
            )
        )
        .filter(rank__lte=limit)
        .order_by("use_case_id", "month_start")
        .values_list("id", "use_case_id", "month", "month_start")
    )
    if not ranked:
        return {}
    starts = [row[3] for row in ranked]
    totals = monthly_totals(
        start=min(starts), end=max(starts), use_case_ids=sorted({row[1] for row in ranked})
    )
    series: dict[int, list[MonthPoint]] = defaultdict(list)
    for review_id, uc_id, month, start in ranked:
        bc = business_cases.get(uc_id) or BusinessCase(use_case_id=uc_id).inputs()
        period = totals.get(uc_id, {}).get(start, economics.PeriodTotals())
        series[uc_id].append(
            MonthPoint(review_id, month, start, economics.period_figures(period, bc).net_value)
        )
    return series


def load_changes(use_case_ids: Sequence[int]) -> dict[int, list[sig.Change]]:
    changes: dict[int, list[sig.Change]] = defaultdict(list)
    rows = ModelChange.objects.filter(use_case_id__in=use_case_ids).values_list(
        "use_case_id", "effective_date", "version_label", "kind"
    )
    for uc_id, effective, label, kind in rows:
        changes[uc_id].append(sig.Change(effective, label, kind))
    return changes


def load_overdue(use_case_ids: Sequence[int], *, today: datetime.date) -> dict[int, list]:
    """Overdue reviews per use case (``reviews.cadence``: its look-back, oldest due first).
    One query."""
    overdue: dict[int, list[sig.Overdue]] = defaultdict(list)
    for row in overdue_reviews(today=today, use_case_ids=list(use_case_ids)):
        overdue[row["use_case_id"]].append(sig.Overdue(row["kind"], row["period"]))
    return overdue


# --- the evaluation ----------------------------------------------------------------------------


@dataclass
class _Loaded:
    """What an evaluation reads, per use case id: the rows ``_candidates`` judges."""

    use_cases: dict[int, UseCase]
    rules: list[StopLossRule]
    weeks: dict[int, list[WeekPoint]]
    months: dict[int, list[MonthPoint]]
    changes: dict[int, list[sig.Change]]
    overdue: dict[int, list]
    thresholds: dict


def evaluate(targets: dict[int, Target], *, today: datetime.date | None = None) -> Outcome:
    """Evaluate the rules and signals for ``targets`` (use case id → what to evaluate) and raise
    what breaches. Must run inside a transaction (the review's, or one per sweep batch).

    Queries: a fixed number for any number of use cases (use cases, rules, business cases,
    weeks, months (3), model changes, overdue, existing flags), plus a few per *new* flag.
    """
    today = today or clock.today()
    if not targets:
        return Outcome()
    return _raise_new(_candidates(targets, _load(targets, today=today), today=today))


def _weekly_limit(rules: Iterable[StopLossRule]) -> int:
    return max([r.consecutive_weeks for r in rules if r.metric in WEEKLY_METRICS] + [0])


def _monthly_limit(rules: Iterable[StopLossRule]) -> int:
    return max([r.consecutive_weeks for r in rules if r.metric == Metric.NET_VALUE] + [0])


def _load(targets: dict[int, Target], *, today: datetime.date) -> _Loaded:
    """The rows for any number of use cases, in a fixed number of queries."""
    ids = sorted(targets)
    use_cases = {
        uc.pk: uc for uc in UseCase.objects.filter(pk__in=ids).select_related("value_owner")
    }
    rules = list(
        StopLossRule.objects.filter(
            Q(use_case__isnull=True) | Q(use_case_id__in=ids), active=True
        ).order_by("use_case_id", "metric", "id")
    )
    business_cases = {
        bc.use_case_id: bc.inputs() for bc in BusinessCase.objects.filter(use_case_id__in=ids)
    }
    t = sig.thresholds()
    weekly_ids = [i for i in ids if targets[i].week]
    monthly_ids = [i for i in ids if targets[i].month]
    week_limit = max(
        [_weekly_limit(rules)]
        + ([sig.weeks_needed(t)] if any(targets[i].signals for i in ids) else [])
    )
    weeks = load_weeks(
        weekly_ids,
        limit=week_limit,
        cutoffs={i: _week_monday(targets[i].week) for i in weekly_ids if targets[i].week != LATEST},
    )
    months = load_months(
        monthly_ids,
        limit=_monthly_limit(rules),
        business_cases=business_cases,
        cutoffs={
            i: _month_first(targets[i].month) for i in monthly_ids if targets[i].month != LATEST
        },
    )
    signal_ids = [i for i in ids if targets[i].signals]
    owner_ids = [i for i in ids if targets[i].owner_signal and i in use_cases]
    return _Loaded(
        use_cases=use_cases,
        rules=rules,
        weeks=weeks,
        months=months,
        changes=load_changes(signal_ids) if signal_ids else {},
        overdue=load_overdue(owner_ids, today=today) if owner_ids else {},
        thresholds=t,
    )


def _candidates(
    targets: dict[int, Target], loaded: _Loaded, *, today: datetime.date
) -> list[_Candidate]:
    """The flags the loaded rows call for (before looking at the flags already raised)."""
    t = loaded.thresholds
    month_label = economics.format_month(today.year, today.month)
    candidates: list[_Candidate] = []
    for uc_id in sorted(targets):
        use_case = loaded.use_cases.get(uc_id)
        if use_case is None:
            continue
        target = targets[uc_id]
        applicable = effective_rules(uc_id, loaded.rules)
        week_series = _series_at(loaded.weeks.get(uc_id, []), target.week)
        month_series = _series_at(loaded.months.get(uc_id, []), target.month)
        for rule in applicable:
            series = month_series if rule.metric == Metric.NET_VALUE else week_series
            if not series:
                continue
            breach = rule_breach(rule, series, live_since=use_case.live_since)
            if breach is None:
                continue
            trigger = target.trigger or Trigger.of(breach.point, via_sweep=True)
            candidates.append(
                _Candidate(
                    use_case=use_case,
                    kind=FlagKind.STOP_LOSS,
                    rule_key=f"rule:{rule.pk}",
                    period=breach.period,
                    explanation=breach.explanation(),
                    observed=breach.observed,
                    threshold=rule.threshold,
                    triggered_by=trigger.label,
                    breach=breach,
                    trigger=trigger,
                )
            )
        found: list[sig.Signal] = []
        if target.signals and week_series:
            found += sig.weekly_signals(week_series, loaded.changes.get(uc_id, []), t)
        if target.owner_signal:
            owner_signal = sig.no_accountable_owner(
                reviews_due=use_case.reviews_due,
                has_owner=use_case.value_owner_id is not None,
                overdue=loaded.overdue.get(uc_id, []),
                period=month_label,
                min_overdue=t["overdue_reviews"],
                stage_label=use_case.get_stage_display(),
            )
            found += [owner_signal] if owner_signal else []
        for signal in found:
            trigger = target.trigger or (
                Trigger.of(week_series[-1], via_sweep=True)
                if week_series and signal.kind != FlagKind.NO_ACCOUNTABLE_OWNER
                else None
            )
            candidates.append(
                _Candidate(
                    use_case=use_case,
                    kind=signal.kind,
                    rule_key=signal.kind,
                    period=signal.period,
                    explanation=signal.explanation,
                    observed=signal.observed,
                    threshold=signal.threshold,
                    triggered_by=trigger.label if trigger else "sweep",
                )
            )
    return candidates


def _raise_new(candidates: list[_Candidate]) -> Outcome:
    """Raise the candidates not flagged yet (one query to find those, then a few per flag)."""
    outcome = Outcome()
    if not candidates:
        return outcome
    existing, open_signals = _existing_flags(candidates)
    recipients = _PmoRecipients()
    for candidate in candidates:
        key = (candidate.use_case.pk, candidate.rule_key, candidate.period)
        if key in existing:
            continue
        if candidate.kind != FlagKind.STOP_LOSS and (
            (candidate.use_case.pk, candidate.kind) in open_signals
        ):
            continue
        outcome.extend(_raise(candidate, recipients))
        existing.add(key)
    return outcome


def _week_monday(week: str) -> datetime.date:
    return economics.iso_week_bounds(*economics.parse_iso_week(week))[0]


def _month_first(month: str) -> datetime.date:
    return datetime.date(*economics.parse_month(month), 1)


def _series_at(series: list, period: str | None) -> list:
    """``series`` ending at ``period`` (``LATEST``: as it is); empty if ``period`` is not in it
    (no review for that period: nothing to evaluate)."""
    if not period or not series:
        return []
    if period == LATEST or series[-1].period == period:
        return series
    return []


def _existing_flags(candidates: list[_Candidate]):
    """One query: the keys already flagged among the candidates, and the open signal flags."""
    ids = {c.use_case.pk for c in candidates}
    periods = {c.period for c in candidates}
    rows = Flag.objects.filter(use_case_id__in=ids).filter(
        Q(period__in=periods) | Q(resolved_at__isnull=True, kind__in=sig.SIGNAL_KINDS)
    )
    existing, open_signals = set(), set()
    for uc_id, rule_key, period, kind, resolved_at in rows.values_list(
        "use_case_id", "rule_key", "period", "kind", "resolved_at"
    ):
        existing.add((uc_id, rule_key, period))
        if kind != FlagKind.STOP_LOSS and resolved_at is None:
            open_signals.add((uc_id, kind))
    return existing, open_signals


class _PmoRecipients:
    """The PMO members, read once per evaluation and only if someone is to be notified."""

    _users = None

    def __call__(self):
        if self._users is None:
            self._users = list(
                get_user_model().objects.filter(groups__name=PMO, is_active=True).distinct()
            )
        return self._users


def _raise(candidate: _Candidate, pmo_members) -> Outcome:
    """Raise one candidate flag in a savepoint. For a ``redesign`` rule the use case row is
    locked *before* the flag is inserted: a concurrent evaluation of the same breach waits for
    this transaction, then finds the stage already changed and the flag already there."""
    outcome = Outcome()
    breach = candidate.breach
    explanation = candidate.explanation
    with transaction.atomic():
        locked = None
        if breach is not None and breach.rule.action == RuleAction.REDESIGN:
            locked = UseCase.objects.select_for_update().get(pk=candidate.use_case.pk)
            if locked.stage in ACTIONABLE_STAGES:
                explanation += (
                    f" The use case moved from {locked.get_stage_display()} to Redesign; "
                    "funding is now conditional."
                )
            else:
                locked = None
        flag, created = flag_raise(
            use_case_id=candidate.use_case.pk,
            kind=candidate.kind,
            rule_key=candidate.rule_key,
            period=candidate.period,
            rule=breach.rule if breach else None,
            observed=candidate.observed,
            threshold=candidate.threshold,
            explanation=explanation,
            triggered_by=candidate.triggered_by,
        )
        if not created:
            return outcome
        outcome.flags.append(flag)
        if breach is None:
            return outcome
        if locked is not None:
            reason = f"stop-loss: {breach.summary()} ({candidate.trigger.described})"
            outcome.stage_changes.append((locked.pk, return_to_redesign(locked, reason=reason)))
        _notify_stop_loss(flag, candidate, breach, pmo_members())
    return outcome


def return_to_redesign(use_case: UseCase, *, reason: str) -> str:
    """Move a use case (locked by the caller with ``select_for_update`` inside the transaction,
    and in rollout or scaled) to redesign with funding conditional, its history entry carrying
    ``reason``; return the stage it left."""
    if use_case.stage not in ACTIONABLE_STAGES:
        raise ValueError(f"{use_case} is in {use_case.stage}: nothing to return to redesign")
    previous = use_case.stage
    use_case.stage = Stage.REDESIGN
    use_case.funding_status = Funding.CONDITIONAL
    use_case._change_reason = _truncate(reason, CHANGE_REASON_MAX)
    use_case.save(update_fields=["stage", "funding_status", "updated_at"])
    return previous


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _notify_stop_loss(flag: Flag, candidate: _Candidate, breach: Breach, pmo_members) -> None:
    use_case = candidate.use_case
    recipients = {u.pk: u for u in pmo_members}
    if use_case.value_owner_id:
        recipients.setdefault(use_case.value_owner_id, use_case.value_owner)
    url = f"{reverse('reviews:flags')}?use_case={use_case.pk}"
    title = _truncate(f"Stop-loss on {use_case.name}: {breach.summary()}", 200)
    body = f"{flag.explanation}\n\nTriggered by {candidate.trigger.label}."
    for recipient in recipients.values():
        notify(
            recipient=recipient,
            kind="stop_loss",
            subject=flag,
            period=flag.period,
            title=title,
            body=body,
            url=url,
        )


# --- the save hook -----------------------------------------------------------------------------


#: ``evaluate_after_review(change_in_effect=...)`` not given: the model changes are read.
NOT_LOADED = object()


def evaluate_after_review(review, *, change_in_effect=NOT_LOADED) -> Outcome:
    """Evaluate the rules for a weekly or monthly review just saved (inside its transaction).

    A weekly review: the weekly-metric rules at its week, the net-value rules at its month (its
    figures change the month's net value; only if the month has a monthly review), and — when it
    is the latest submitted week — the weekly signals. A monthly review: the net-value rules at
    its month.

    The same evaluation as ``evaluate({review.use_case_id: target})``, read for one use case: its
    rules with the default policy (one query); for a weekly review its recent weeks, whether a
    later week exists and its ``live_since`` (one query, two for an earlier week); with net-value
    rules the use case, its business case and its months (four). The flags already raised and the
    use case row (name, value owner) are read only when something breaches.
    ``change_in_effect``: the caller's ``services.model_version_in_effect`` of a weekly review's
    week (a ``ModelChange`` or None), all the weekly signals need to know of the model/prompt
    log (the latest change effective by the end of the week evaluated); not given: read here.
    """
    uc_id = review.use_case_id
    rules = list(
        StopLossRule.objects.filter(
            Q(use_case__isnull=True) | Q(use_case_id=uc_id), active=True
        ).order_by("use_case_id", "metric", "id")
    )
    t = sig.thresholds()
    if isinstance(review, WeeklyReview):
        target = Target(
            week=review.week,
            month=economics.format_month(review.month_start.year, review.month_start.month),
            trigger=Trigger("weekly", review.week, review.pk),
        )
    elif isinstance(review, MonthlyReview):
        target = Target(month=review.month, trigger=Trigger("monthly", review.month, review.pk))
    else:  # pragma: no cover - a programming error
        raise TypeError(f"not a review: {review!r}")
    use_case = None  # the row, read afresh inside the transaction (as ``evaluate`` does)
    months: dict[int, list[MonthPoint]] = {}
    month_limit = _monthly_limit(rules)
    if month_limit:
        use_case = _use_case_row(uc_id, "business_case")
        if use_case is None:  # pragma: no cover - deleted meanwhile
            return Outcome()
        business_case = _business_case_inputs(use_case)
        months = load_months(
            [uc_id],
            limit=month_limit,
            business_cases={uc_id: business_case} if business_case else {},
            cutoffs={uc_id: _month_first(target.month)},
        )
    weeks: dict[int, list[WeekPoint]] = {}
    changes: dict[int, list[sig.Change]] = {}
    live_since = use_case.live_since if use_case else None
    if target.week:
        # As many weeks as ``evaluate`` reads when this is the latest week (the signals' window
        # or a longer rule run). An earlier week is judged by the rules alone, which look at
        # their last ``consecutive_weeks`` points only: the weeks read beyond change nothing.
        found = load_weeks_of(
            uc_id, upto=review.week_start, limit=max(_weekly_limit(rules), sig.weeks_needed(t))
        )
        if not found.has_later:
            target = replace(target, signals=True)
            if found.points:
                changes = _changes_at(uc_id, change_in_effect)
        weeks[uc_id] = found.points
        if use_case is None:
            live_since = found.live_since
    # Judging needs only the use case's ``live_since``; raising a flag needs its row.
    judged = use_case or UseCase(pk=uc_id, live_since=live_since)
    loaded = _Loaded(
        use_cases={uc_id: judged},
        rules=rules,
        weeks=weeks,
        months=months,
        changes=changes,
        overdue={},
        thresholds=t,
    )
    candidates = _candidates({uc_id: target}, loaded, today=clock.today())
    if candidates and use_case is None:
        use_case = _use_case_row(uc_id)
        if use_case is None:  # pragma: no cover - deleted meanwhile
            return Outcome()
        for candidate in candidates:
            candidate.use_case = use_case
    return _raise_new(candidates)


def _use_case_row(use_case_id: int, *related: str) -> UseCase | None:
    return UseCase.objects.select_related("value_owner", *related).filter(pk=use_case_id).first()


def _business_case_inputs(use_case: UseCase) -> economics.BusinessCaseInputs | None:
    try:
        return use_case.business_case.inputs()
    except BusinessCase.DoesNotExist:
        return None


def _changes_at(use_case_id: int, change_in_effect) -> dict[int, list[sig.Change]]:
    """The model/prompt log the weekly signals look at: the weekly signals use only the latest
    change effective by the end of the evaluated week, so the one the caller found is enough."""
    if change_in_effect is NOT_LOADED:
        return load_changes([use_case_id])
    if change_in_effect is None:
        return {}
    return {
        use_case_id: [
            sig.Change(
                change_in_effect.effective_date,
                change_in_effect.version_label,
                change_in_effect.kind,
            )
        ]
    }
