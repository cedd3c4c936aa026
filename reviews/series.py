"""The one loader of a stop-loss evaluation: the rows ``reviews.stoploss.evaluate`` judges, for
the review save hook (one use case, one review) and the sweep (a batch of use cases) alike.

Queries, in this order: the rules of the use cases with the default policy (1); the use case rows
(1, with their business cases when net-value rules apply) — read first when the judging needs them
(the owner signal, net-value rules, or the latest weeks of a batch), else only once something
breaches (``use_case_rows``); the weeks: the newest of each use case of the batch for ``LATEST``
(1), one use case's weeks up to an explicit week with its ``live_since`` and whether telemetry
counted spans in that week (1, 2 for an earlier week); the months (3); the model/prompt changes
(1, none when the caller hands the one in effect over); what telemetry measured of the
evaluated weeks (``telemetry_figures.measured_weeks``: 1 when none of them has spans, none when
the weeks' own statement said so, at most 4); the overdue reviews of the owner signal (1). So
the save hook of a weekly review that breaches nothing and has no spans costs two queries, and a
sweep batch a fixed number whatever its size.

``Overlay``: an unsaved review laid over the rows read (``reviews.consequences`` previews what a
review would trigger with the very same evaluation): its week replaces (or joins) the weeks
loaded, and the month it belongs to is judged with its figures. No query more, nothing written.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields

from django.db import connection
from django.db.models import Exists, F, Q, Window
from django.db.models.functions import RowNumber

from usecases import economics
from usecases.models import BusinessCase, ModelChange, UseCase
from usecases.prepared_sql import PreparedQuery
from usecases.selectors import business_case_inputs

from . import early_warnings as ew
from .breaches import monthly_limit, weekly_limit
from .cadence import overdue_reviews
from .models import MonthlyReview, StopLossRule, WeeklyReview
from .points import WEEK_COLUMNS, MonthPoint, WeekPoint, week_point
from .selectors import monthly_totals
from .targets import LATEST, Target
from .telemetry_figures import days_with_spans_between, measured_weeks

#: ``load(change_in_effect=...)`` not given: the model changes are read.
NOT_LOADED = object()


@dataclass(frozen=True)
class Overlay:
    """An unsaved review of one use case, as the evaluation should see it."""

    use_case_id: int
    live_since: datetime.date | None
    #: A weekly review: its point, in place of the saved review of its week (if any).
    week: WeekPoint | None = None
    #: The month whose net value the review changes, and how: its totals with the review.
    month_start: datetime.date | None = None
    month_totals: Callable[[economics.PeriodTotals], economics.PeriodTotals] | None = None
    #: A monthly review: the month has a monthly review (even if not saved yet).
    month_label: str = ""

    def weeks(self, points: list[WeekPoint], limit: int) -> list[WeekPoint]:
        """``points`` (oldest first) with this review's week in place, the last ``limit``."""
        merged = [p for p in points if p.week != self.week.week] + [self.week]
        merged.sort(key=lambda p: p.week_start)
        return merged[-limit:] if limit > 0 else []


def replace_week(
    totals: economics.PeriodTotals,
    *,
    old: economics.WeekFigures | None,
    new: economics.WeekFigures,
) -> economics.PeriodTotals:
    """A month's ``totals`` with the week ``old`` (None: none saved) replaced by ``new``."""
    minus = economics.PeriodTotals.from_weeks_and_costs([old] if old else [])
    plus = economics.PeriodTotals.from_weeks_and_costs([new])
    return economics.PeriodTotals(
        **{
            f.name: getattr(totals, f.name) - getattr(minus, f.name) + getattr(plus, f.name)
            for f in fields(economics.PeriodTotals)
        }
    )


@dataclass
class Loaded:
    """What an evaluation reads, per use case id."""

    #: The use case rows read so far (``rows_read``: all of them; else none yet).
    use_cases: dict[int, UseCase]
    rows_read: bool
    #: Each use case's ``live_since`` (from its row, or read with its weeks).
    live_since: dict[int, datetime.date | None]
    rules: list[StopLossRule]
    weeks: dict[int, list[WeekPoint]]
    months: dict[int, list[MonthPoint]]
    #: The use cases whose weekly signals are judged (their evaluated week is the latest).
    signal_ids: set[int]
    changes: dict[int, list[ew.Change]]
    overdue: dict[int, list[ew.Overdue]]
    thresholds: dict
    #: What telemetry measured of the evaluated week (use cases with spans that week only).
    measured: dict[int, ew.Measured] = field(default_factory=dict)

    def judged(self, use_case_id: int) -> UseCase | None:
        """The use case to judge: its row, or (rows not read yet) one carrying its
        ``live_since``; None if its row is gone."""
        if self.rows_read:
            return self.use_cases.get(use_case_id)
        return UseCase(pk=use_case_id, live_since=self.live_since.get(use_case_id))


def load(
    targets: dict[int, Target],
    *,
    today: datetime.date,
    change_in_effect=NOT_LOADED,
    overlay: Overlay | None = None,
) -> Loaded:
    """The rows to evaluate ``targets`` (use case id → what to evaluate).

    ``change_in_effect`` (one target only): the caller's ``services.model_version_in_effect`` of
    the evaluated week (a ``ModelChange`` or None) — all the weekly signals need to know of the
    model/prompt log is the latest change effective by the end of that week. ``overlay``: an
    unsaved review laid over the rows read (its use case's target must name its period)."""
    ids = sorted(targets)
    rules = RULES_OF_ONE(use_case_id=ids[0]) if len(ids) == 1 else list(rules_of(ids))
    t = ew.thresholds()
    month_limit = monthly_limit(rules)
    month_ids = [i for i in ids if targets[i].month] if month_limit else []
    latest_week_ids = [i for i in ids if targets[i].week == LATEST]
    explicit_week_ids = [i for i in ids if targets[i].week and targets[i].week != LATEST]
    owner_ids = [i for i in ids if targets[i].owner_signal]

    rows_read = bool(month_ids or latest_week_ids or owner_ids)
    use_cases = {}
    if rows_read:
        related = ("value_owner", "business_case") if month_ids else ("value_owner",)
        use_cases = {
            uc.pk: uc for uc in UseCase.objects.filter(pk__in=ids).select_related(*related)
        }
    live_since = {pk: uc.live_since for pk, uc in use_cases.items()}
    if overlay is not None:
        live_since.setdefault(overlay.use_case_id, overlay.live_since)

    week_limit = max(
        [weekly_limit(rules)]
        + ([ew.weeks_needed(t)] if any(targets[i].signals for i in ids if targets[i].week) else [])
    )
    weeks = load_weeks(latest_week_ids, limit=week_limit)
    signal_ids = {i for i in latest_week_ids if targets[i].signals}
    # Use cases whose evaluated week is known to have no spans (read with their weeks).
    without_spans: set[int] = set()
    for i in explicit_week_ids:
        monday = week_monday(targets[i].week)
        found = load_weeks_of(i, upto=monday, limit=week_limit)
        if found.spans_that_week is False and weeks_end_at(found, overlay, i, monday):
            without_spans.add(i)
        weeks[i] = found.points
        if overlay is not None and overlay.week is not None and overlay.use_case_id == i:
            weeks[i] = overlay.weeks(found.points, week_limit)
        live_since.setdefault(i, found.live_since)
        if targets[i].signals and not found.has_later:
            signal_ids.add(i)

    months = load_months(
        month_ids,
        limit=month_limit,
        business_cases={
            pk: business_case_inputs(use_case)
            for pk in month_ids
            if (use_case := use_cases.get(pk)) is not None
        },
        cutoffs={i: month_first(targets[i].month) for i in month_ids if targets[i].month != LATEST},
        overlay=overlay,
    )
    change_ids = [i for i in sorted(signal_ids) if weeks.get(i)]
    if change_in_effect is not NOT_LOADED and len(ids) == 1:
        changes = _changes_given(change_ids, change_in_effect)
    else:
        changes = load_changes(change_ids) if change_ids else {}
    owner_ids = [i for i in owner_ids if i in use_cases]
    measured = measured_weeks({i: weeks[i][-1].week for i in change_ids if i not in without_spans})
    return Loaded(
        use_cases=use_cases,
        rows_read=rows_read,
        live_since=live_since,
        rules=rules,
        weeks=weeks,
        months=months,
        signal_ids=signal_ids,
        changes=changes,
        overdue=load_overdue(owner_ids, today=today) if owner_ids else {},
        thresholds=t,
        measured=measured,
    )


def weeks_end_at(found: WeeksOf, overlay: Overlay | None, use_case_id: int, monday) -> bool:
    """Whether the weeks loaded for ``use_case_id`` end with the week of ``monday`` (their last
    week is the one ``measured_weeks`` is asked about): the saved week, or the overlay's."""
    if overlay is not None and overlay.week is not None and overlay.use_case_id == use_case_id:
        return overlay.week.week_start == monday
    return bool(found.points) and found.points[-1].week_start == monday


def use_case_rows(loaded: Loaded, use_case_ids: Iterable[int]) -> dict[int, UseCase]:
    """The rows (with the value owner) of ``use_case_ids``, read now if not read with the rest."""
    if loaded.rows_read:
        return loaded.use_cases
    wanted = sorted(set(use_case_ids))
    loaded.use_cases = {
        uc.pk: uc for uc in UseCase.objects.filter(pk__in=wanted).select_related("value_owner")
    }
    loaded.rows_read = True
    return loaded.use_cases


def week_monday(week: str) -> datetime.date:
    return economics.iso_week_bounds(*economics.parse_iso_week(week))[0]


def month_first(month: str) -> datetime.date:
    return datetime.date(*economics.parse_month(month), 1)


def _changes_given(use_case_ids: list[int], change_in_effect) -> dict[int, list[ew.Change]]:
    """The model/prompt log the weekly signals look at, from the change the caller found: they
    use only the latest change effective by the end of the evaluated week."""
    if not use_case_ids or change_in_effect is None:
        return {}
    change = ew.Change(
        change_in_effect.effective_date, change_in_effect.version_label, change_in_effect.kind
    )
    return {use_case_ids[0]: [change]}


# --- the queries -------------------------------------------------------------------------------


def rules_of(use_case_ids: Sequence[int]):
    """The active rules of the use cases and the default policy (``use_case`` null)."""
    return StopLossRule.objects.filter(
        Q(use_case__isnull=True) | Q(use_case_id__in=use_case_ids), active=True
    ).order_by("use_case_id", "metric", "id")


#: ``rules_of`` one use case (the save hook's), compiled once per connection.
RULES_OF_ONE = PreparedQuery(lambda use_case_id: rules_of([use_case_id]), use_case_id=int)


def _by_use_case_upto(field_name: str, ids: Iterable[int], cutoffs: dict[int, datetime.date]):
    plain = [i for i in ids if i not in cutoffs]
    condition = Q(use_case_id__in=plain)
    for uc_id, cutoff in cutoffs.items():
        condition |= Q(use_case_id=uc_id, **{f"{field_name}__lte": cutoff})
    return condition


def load_weeks(use_case_ids: Sequence[int], *, limit: int) -> dict[int, list[WeekPoint]]:
    """The last ``limit`` submitted weeks of each use case, oldest first. One query: on
    PostgreSQL each use case's newest weeks read down its ``(use case, week)`` index and no
    further (``LATERAL … LIMIT``); elsewhere a window ranks each use case's weeks
    (``ranked_weeks``, the same rows: ``tests/reviews/test_series_weeks.py``)."""
    if not use_case_ids or limit < 1:
        return {}
    rows = (
        _newest_weeks(use_case_ids, limit)
        if connection.vendor == "postgresql"
        else ranked_weeks(use_case_ids, limit)
    )
    series: dict[int, list[WeekPoint]] = defaultdict(list)
    for row in rows:
        series[row["use_case_id"]].append(week_point(row))
    return series


def ranked_weeks(use_case_ids: Sequence[int], limit: int):
    """The last ``limit`` weeks of each use case (``WEEK_COLUMNS``), by use case and week: a
    window over all their weeks (which reads every week of every use case)."""
    return (
        WeeklyReview.objects.filter(use_case_id__in=use_case_ids)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("use_case_id")], order_by=F("week_start").desc()
            )
        )
        .filter(rank__lte=limit)
        .order_by("use_case_id", "week_start")
        .values(*WEEK_COLUMNS)
    )


def _newest_weeks(use_case_ids: Sequence[int], limit: int) -> list[dict]:
    """``ranked_weeks`` on PostgreSQL, reading only the rows it returns (issue 20: the sweep at
    20,000 use cases read all 104 weeks of each use case judged, 8× what it kept, and sorted
    them on disk). The week label sorts as its Monday, so the ``(use case, week)`` unique index
    gives each use case's newest weeks in order. PostgreSQL returns what ``values()`` would
    (no converter applies to these columns there)."""
    meta = WeeklyReview._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in WEEK_COLUMNS]
    use_case = quote(meta.get_field("use_case").column)
    week, week_start = (quote(meta.get_field(name).column) for name in ("week", "week_start"))
    sql = (
        f"SELECT {', '.join(f'n.{c}' for c in columns)} "
        f"FROM unnest(%s::bigint[]) AS u(id) CROSS JOIN LATERAL ("
        f"SELECT {', '.join(f'w.{c}' for c in columns)} FROM {quote(meta.db_table)} w "
        f"WHERE w.{use_case} = u.id ORDER BY w.{week} DESC LIMIT %s) AS n "
        f"ORDER BY n.{use_case}, n.{week_start}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(set(use_case_ids)), limit])
        return [dict(zip(WEEK_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


LATEST_WEEKS_COLUMNS = (*WEEK_COLUMNS, "use_case__live_since", "spans_that_week")


def latest_weeks(use_case_id: int, monday: datetime.date, sunday: datetime.date):
    """One use case's weekly reviews, latest first, with its ``live_since`` and whether telemetry
    counted spans in the week ``monday``..``sunday`` (``load_weeks_of``)."""
    # "-week": the label sorts as the date, and the (use_case, week) index then needs no sort.
    return (
        WeeklyReview.objects.filter(use_case_id=use_case_id)
        .annotate(spans_that_week=Exists(days_with_spans_between(use_case_id, monday, sunday)))
        .order_by("-week")
    )


_LATEST_WEEKS: dict[int, PreparedQuery] = {}


def latest_weeks_query(limit: int) -> PreparedQuery:
    """``latest_weeks``' first ``limit`` rows (``LATEST_WEEKS_COLUMNS``), compiled once per
    connection and limit (a few limits: the rules' and the signals' look-backs)."""
    prepared = _LATEST_WEEKS.get(limit)
    if prepared is None:
        prepared = _LATEST_WEEKS[limit] = PreparedQuery(
            lambda use_case_id, monday, sunday: latest_weeks(
                use_case_id, monday, sunday
            ).values_list(*LATEST_WEEKS_COLUMNS)[:limit],
            use_case_id=int,
            monday=datetime.date,
            sunday=datetime.date,
        )
    return prepared


@dataclass(frozen=True)
class WeeksOf:
    """``load_weeks_of``: one use case's last weeks up to a Monday, oldest first."""

    points: list[WeekPoint]
    has_later: bool  # a week after that Monday was submitted
    live_since: datetime.date | None  # the use case's, read with the weeks (None: no weeks)
    #: Whether telemetry counted spans in the week of that Monday (None: no weeks read).
    spans_that_week: bool | None = None


def load_weeks_of(use_case_id: int, *, upto: datetime.date, limit: int) -> WeeksOf:
    """One use case: its last ``limit`` submitted weeks up to the Monday ``upto`` (as
    ``load_weeks`` with that cutoff), whether a later week exists, its ``live_since`` and
    whether telemetry counted spans in the week of ``upto`` (``telemetry_figures.
    days_with_spans``' condition, read in the same statement).

    One query when ``upto`` is its latest week (the usual case: the week just submitted): the
    latest ``limit`` weeks; a second one, with the cutoff, when a later week came back."""
    monday, sunday = economics.iso_week_bounds(*economics.iso_week_of(upto))
    rows = [
        dict(zip(LATEST_WEEKS_COLUMNS, row, strict=True))
        for row in latest_weeks_query(max(limit, 1))(
            use_case_id=use_case_id, monday=monday, sunday=sunday
        )
    ]
    has_later = bool(rows) and rows[0]["week_start"] > upto
    if has_later:
        weeks = latest_weeks(use_case_id, monday, sunday).filter(week_start__lte=upto)
        rows = list(weeks.values(*LATEST_WEEKS_COLUMNS)[: max(limit, 1)])
    live_since = rows[0]["use_case__live_since"] if rows else None
    spans = bool(rows[0]["spans_that_week"]) if rows else None
    points = [week_point(row) for row in reversed(rows[:limit] if limit > 0 else [])]
    return WeeksOf(points, has_later, live_since, spans)


def load_months(
    use_case_ids: Sequence[int],
    *,
    limit: int,
    business_cases: dict[int, economics.BusinessCaseInputs],
    cutoffs: dict[int, datetime.date] | None = None,
    overlay: Overlay | None = None,
) -> dict[int, list[MonthPoint]]:
    """The last ``limit`` months with a monthly review of each use case (up to its cutoff month),
    oldest first, with their net value (``overlay``: with the unsaved review's figures; a
    monthly one adds its month). Three queries."""
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
    if overlay is not None and overlay.month_start and overlay.use_case_id in use_case_ids:
        ranked = _with_month(ranked, overlay, limit)
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
        if overlay is not None and (uc_id, start) == (overlay.use_case_id, overlay.month_start):
            period = overlay.month_totals(period) if overlay.month_totals else period
        series[uc_id].append(
            MonthPoint(review_id, month, start, economics.period_figures(period, bc).net_value)
        )
    return series


def _with_month(ranked: list, overlay: Overlay, limit: int) -> list:
    """The ranked (review id, use case id, month, start) rows with the overlay's month added
    (a monthly review not saved yet), its use case's keeping the last ``limit``."""
    uc_id, start = overlay.use_case_id, overlay.month_start
    if not overlay.month_label or any(r[1] == uc_id and r[3] == start for r in ranked):
        return ranked
    mine = sorted(
        [r for r in ranked if r[1] == uc_id] + [(0, uc_id, overlay.month_label, start)],
        key=lambda r: r[3],
    )[-limit:]
    others = [r for r in ranked if r[1] != uc_id]
    return sorted(others + mine, key=lambda r: (r[1], r[3]))


def load_changes(use_case_ids: Sequence[int]) -> dict[int, list[ew.Change]]:
    changes: dict[int, list[ew.Change]] = defaultdict(list)
    rows = ModelChange.objects.filter(use_case_id__in=use_case_ids).values_list(
        "use_case_id", "effective_date", "version_label", "kind"
    )
    for uc_id, effective, label, kind in rows:
        changes[uc_id].append(ew.Change(effective, label, kind))
    return changes


def load_overdue(use_case_ids: Sequence[int], *, today: datetime.date) -> dict[int, list]:
    """Overdue reviews per use case (``reviews.cadence``: its look-back, oldest due first).
    One query."""
    overdue: dict[int, list[ew.Overdue]] = defaultdict(list)
    for row in overdue_reviews(today=today, use_case_ids=list(use_case_ids)):
        overdue[row["use_case_id"]].append(ew.Overdue(row["kind"], row["period"]))
    return overdue
