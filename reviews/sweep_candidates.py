"""Which use cases the sweep must judge: a conservative pre-selection in SQL (issue 20).

The sweep (``reviews.sweep``) does not run the rules use case by use case over the whole
portfolio. One SQL statement over every use case with reviews due and its last submitted weeks
(a ``LATERAL`` read of each use case's latest weeks down the ``(use_case, week)`` index, window
functions over them: ``row_number`` for "the last N submitted weeks", ``lead`` for week on week)
plus the overdue-review count (``reviews.cadence``, one statement) find the *candidates*: the use
cases whose latest weeks could call for a flag. Only those go through the one evaluation the save
hook runs too (``reviews.stoploss.evaluate``: ``reviews.series`` loads them, the pure rules of
``reviews.breaches`` and ``reviews.early_warnings`` decide). So the rules live in one place; SQL
only leaves out use cases that certainly raise nothing.

A use case is a candidate when any of these holds (each a *necessary* condition of a flag, so
no flag is ever missed; ``tests/reviews/test_sweep_candidates.py`` proves the sweep raises
exactly what evaluating every use case does, over random portfolios):

- a weekly-metric rule that may apply to it (its own active rules and every active default rule:
  overrides are not resolved here, a superset) is breached by its latest submitted week — rates
  compared exactly, as ``numerator − threshold × denominator`` in ``numeric`` (a rate is 0 when
  its denominator is 0, ``economics._ratio``); grace and consecutive weeks are left to the rule;
- a net-value rule may apply to it and it has a monthly review (the month's net value needs the
  engine: such use cases are all judged by the rules; there is no net-value rule by default);
- savings vs backlog: its last ``weeks_window`` submitted weeks all declare hours saved and the
  backlog at the last one is not below the first one's;
- exceptions growing: its last ``weeks_window`` submitted weeks exist and the exception share
  rises week on week (cross-multiplied; a week with no tasks counts as rising);
- quality after a change: a model/prompt change took effect by the end of its latest week, after
  the end of its ``max_weeks_after_change + 1``-th latest week and by the end of its
  ``min_weeks_after_change``-th latest one (the only changes that can leave between
  ``min_weeks_after_change`` and ``max_weeks_after_change`` weeks after them);
- no accountable owner: it has no value owner, or ``overdue_reviews`` or more reviews overdue;
- declared vs measured: telemetry counted spans in its latest submitted week (a day of that
  week with spans, as ``telemetry_figures.measured_weeks`` reads it; the comparison itself is
  left to the rule).

SQLite (the local test database) has no ``LATERAL``: ``candidate_ids`` there returns every use
case with reviews due (``_every_use_case_python_path``), which the rules then judge one by one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection

from usecases.models import REVIEW_STAGES, ModelChange, UseCase

from . import early_warnings as ew
from .breaches import WEEKLY_METRICS
from .cadence import WEEKLY, lookback_periods
from .models import Comparison, Metric, MonthlyReview, StopLossRule, WeeklyReview
from .telemetry_models import TelemetryDay

#: Per weekly metric: the weekly review columns of its rate (numerator, denominator), or the
#: column itself (denominator None). ``reviews.points.week_point`` computes the same rates with
#: ``usecases.economics``; the property test holds the two together.
METRIC_COLUMNS = {
    Metric.REWORK_RATE: ("reworked_outputs", "tasks_with_ai"),
    Metric.ADOPTION_RATE: ("active_users", "target_users"),
    Metric.EXCEPTION_SHARE: ("exceptions", "tasks_total"),
    Metric.QUALITY_SCORE: ("quality_score", None),
}


def _excess(metric: str) -> str:
    """SQL: the sign of (value − threshold) for ``metric`` in the latest week ``r`` against rule
    ``s``, exactly: numerator − threshold × denominator (−threshold when the denominator is 0)."""
    numerator, denominator = METRIC_COLUMNS[metric]
    if denominator is None:
        return f"r.{numerator} - s.threshold"
    return (
        f"CASE WHEN r.{denominator} = 0 THEN -s.threshold "
        f"ELSE r.{numerator} - s.threshold * r.{denominator} END"
    )


def _sql() -> str:
    weekly, rules = WeeklyReview._meta.db_table, StopLossRule._meta.db_table
    use_cases, changes = UseCase._meta.db_table, ModelChange._meta.db_table
    monthly, telemetry_days = MonthlyReview._meta.db_table, TelemetryDay._meta.db_table
    excess = " ".join(f"WHEN '{m}' THEN {_excess(m)}" for m in WEEKLY_METRICS)
    return f"""
WITH due AS (
    SELECT u.id, u.value_owner_id, u.live_since FROM {use_cases} u
    WHERE u.stage = ANY(%(stages)s)
), recent AS (
    SELECT due.id AS use_case_id, w.*
    FROM due CROSS JOIN LATERAL (
        SELECT rw.week_start, rw.active_users, rw.target_users, rw.tasks_total,
               rw.tasks_with_ai, rw.reworked_outputs, rw.exceptions, rw.quality_score,
               rw.backlog, rw.declared_hours_saved,
               row_number() OVER (ORDER BY rw.week DESC) AS rn
        FROM {weekly} rw WHERE rw.use_case_id = due.id
        ORDER BY rw.week DESC LIMIT %(recent)s
    ) w
), steps AS (
    SELECT r.*,
           lead(r.exceptions) OVER older AS older_exceptions,
           lead(r.tasks_total) OVER older AS older_tasks_total
    FROM recent r
    WINDOW older AS (PARTITION BY r.use_case_id ORDER BY r.rn)
), per_use_case AS (
    SELECT use_case_id,
           count(*) FILTER (WHERE rn <= %(window)s) = %(window)s
             AND bool_and(declared_hours_saved > 0) FILTER (WHERE rn <= %(window)s)
             AND max(backlog) FILTER (WHERE rn = 1)
                 >= max(backlog) FILTER (WHERE rn = %(window)s) AS diverging,
           count(*) FILTER (WHERE rn <= %(window)s) = %(window)s
             AND bool_and(
                 tasks_total = 0 OR older_tasks_total = 0
                 OR exceptions * older_tasks_total > older_exceptions * tasks_total
             ) FILTER (WHERE rn < %(window)s) AS growing,
           max(week_start) FILTER (WHERE rn = 1) + 6 AS latest_end
    FROM steps GROUP BY use_case_id
), breaching AS (
    SELECT DISTINCT r.use_case_id
    FROM recent r JOIN {rules} s
      ON s.active AND (s.use_case_id = r.use_case_id OR s.use_case_id IS NULL)
     AND s.metric = ANY(%(weekly_metrics)s)
    WHERE r.rn = 1 AND CASE s.comparison
        WHEN '{Comparison.EXCEEDS}' THEN (CASE s.metric {excess} END) > 0
        WHEN '{Comparison.FALLS_BELOW}' THEN (CASE s.metric {excess} END) < 0
    END
), after_change AS (
    SELECT p.use_case_id,
           count(*) FILTER (WHERE r.week_start + 6 >= c.effective_date) AS n_after,
           sum(r.quality_score) FILTER (WHERE r.week_start + 6 >= c.effective_date) AS q_after
    FROM per_use_case p
    CROSS JOIN LATERAL (
        SELECT mc.effective_date FROM {changes} mc
        WHERE mc.use_case_id = p.use_case_id AND mc.effective_date <= p.latest_end
        ORDER BY mc.effective_date DESC LIMIT 1
    ) c
    JOIN recent r ON r.use_case_id = p.use_case_id
    GROUP BY p.use_case_id
), quality_drop AS (
    SELECT a.use_case_id
    FROM after_change a
    JOIN recent r ON r.use_case_id = a.use_case_id
     AND r.rn > a.n_after AND r.rn <= a.n_after + %(before)s
    WHERE a.n_after BETWEEN %(min_after)s AND %(max_after)s
    GROUP BY a.use_case_id, a.n_after, a.q_after
    HAVING NOT %(judge_means)s
        OR sum(r.quality_score) * a.n_after - a.q_after * count(*)
           >= (%(drop)s - %(margin)s) * a.n_after * count(*)
), measured AS (
    SELECT r.use_case_id FROM recent r
    WHERE r.rn = 1 AND EXISTS (
        SELECT 1 FROM {telemetry_days} d
        WHERE d.use_case_id = r.use_case_id AND d.spans > 0
          AND d.day BETWEEN r.week_start AND r.week_start + 6
    )
), overdue AS (
    SELECT due.id AS use_case_id
    FROM due
    CROSS JOIN LATERAL (
        SELECT min(x.label) AS first, count(*) AS expected
        FROM unnest(%(week_labels)s::text[], %(week_starts)s::date[]) x(label, start)
        WHERE x.start >= due.live_since
    ) wk
    CROSS JOIN LATERAL (
        SELECT min(x.label) AS first, count(*) AS expected
        FROM unnest(%(month_labels)s::text[], %(month_starts)s::date[]) x(label, start)
        WHERE x.start >= due.live_since
    ) mo
    WHERE wk.expected + mo.expected
        - (SELECT count(*) FROM {weekly} rw
           WHERE rw.use_case_id = due.id AND rw.week BETWEEN wk.first AND %(last_week)s)
        - (SELECT count(*) FROM {monthly} rm
           WHERE rm.use_case_id = due.id AND rm.month BETWEEN mo.first AND %(last_month)s)
        >= %(min_overdue)s
)
SELECT due.id, due.value_owner_id IS NULL OR due.id IN (SELECT use_case_id FROM overdue)
FROM due LEFT JOIN per_use_case p ON p.use_case_id = due.id
WHERE due.value_owner_id IS NULL
   OR due.id IN (SELECT use_case_id FROM breaching)
   OR p.diverging OR p.growing
   OR due.id IN (SELECT use_case_id FROM quality_drop)
   OR due.id IN (SELECT use_case_id FROM overdue)
   OR due.id IN (SELECT use_case_id FROM measured)
   OR (
        EXISTS (
            SELECT 1 FROM {rules} s
            WHERE s.active AND s.metric = '{Metric.NET_VALUE}'
              AND (s.use_case_id = due.id OR s.use_case_id IS NULL)
        )
        AND EXISTS (SELECT 1 FROM {monthly} m WHERE m.use_case_id = due.id)
   )
ORDER BY due.id
"""


def candidates(*, today: datetime.date) -> dict[int, bool]:
    """The use cases with reviews due whose evaluation could raise a flag: id → whether
    ``no_accountable_owner`` could be among them (no value owner, or enough reviews overdue;
    False: the signal certainly stays silent, its overdue reviews need not be read). In id order.
    One query on PostgreSQL; elsewhere every use case with reviews due, owner signal included
    (one query)."""
    t = ew.thresholds()
    if connection.vendor != "postgresql":
        return _every_use_case_python_path()
    # JIT: off on every connection (settings ``DATABASE_JIT``); compiling this statement cost
    # more than running it (0.5 s for a 50 ms statement at 2,000 use cases).
    with connection.cursor() as cursor:
        cursor.execute(_sql(), _params(t, today))
        return {pk: bool(owner) for pk, owner in cursor.fetchall()}


#: Added below the quality-drop threshold: ``early_warnings`` divides in Decimal (means rounded
#: to the context's 28 digits), SQL compares exactly; the margin keeps SQL on the safe side.
MARGIN = Decimal("1e-9")


def _params(t: dict, today: datetime.date) -> dict:
    window = max(int(t["weeks_window"]), 0)
    max_after, min_after = (
        max(int(t["max_weeks_after_change"]), 0),
        int(t["min_weeks_after_change"]),
    )
    weeks_before = int(t["weeks_before_change"])
    recent = max(window, max_after + max(weeks_before, 1), 1)
    overdue = [p for p in lookback_periods(today=today) if p.is_overdue(today)]
    weekly = [p for p in overdue if p.kind == WEEKLY]
    monthly = [p for p in overdue if p.kind != WEEKLY]
    return {
        "stages": list(REVIEW_STAGES),
        "weekly_metrics": list(WEEKLY_METRICS),
        "window": window,
        "recent": recent,
        "max_after": max_after,
        "min_after": min_after,
        # weeks_before < 1: the signal takes every loaded week before the change (any mean).
        "judge_means": weeks_before >= 1,
        "before": weeks_before if weeks_before >= 1 else recent,
        "drop": t["quality_drop_points"],
        "margin": MARGIN,
        "week_starts": [p.start for p in weekly],
        "week_labels": [p.label for p in weekly],
        "month_starts": [p.start for p in monthly],
        "month_labels": [p.label for p in monthly],
        "last_week": max((p.label for p in weekly), default=""),
        "last_month": max((p.label for p in monthly), default=""),
        "min_overdue": int(t["overdue_reviews"]),
    }


def _every_use_case_python_path() -> dict[int, bool]:
    """No pre-selection (SQLite): every use case with reviews due is judged by the rules."""
    ids = UseCase.objects.reviews_due().order_by("pk").values_list("pk", flat=True)
    return dict.fromkeys(ids, True)
