"""The stop-loss look-back: back-filled history raises no penalties (issue 14, item 4).

``settings.VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS`` (default 4) complete weeks, counted back from the
last complete week at evaluation time (``usecases.clock``): on Wednesday of 2026-W49 the look-back
is 2026-W45 to 2026-W48 (it starts on Monday of 2026-W45).

A period that ended before the look-back starts is *historical*: a week whose Monday is before
that Monday, a month whose last day is. A stop-loss breach or an early-warning signal found at a
historical period (a bulk import of May, a late review of an old week, a correction of one):

- is recorded as a ``Flag`` with ``historical=True``, created resolved (``resolved_at`` = when it
  was recorded, ``resolution_note`` saying why), so it is never open: no action item (My work,
  the dashboard and every "open flags" count only read open flags), no stage or funding change,
  nobody notified. It shows in the use case's flags (history) and on the flags page, marked
  "historical", and in the import preview as a sentence (``sentence``).
- holds its (use case, rule/signal, period) key like any flag, so nothing raises it again later.

The sweep (``reviews.sweep``) runs the same evaluation, so it applies the same rule: a breach
at a period outside the look-back is recorded historical, never flagged. (The sweep judges the
latest week and month; a use case whose latest week is old is judged historical there too.)
``no_accountable_owner`` is about the current month: never historical.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from usecases import economics

from .metric_format import format_value
from .models import Comparison, FlagKind

DEFAULT_WEEKS = 4


def lookback_weeks() -> int:
    return int(getattr(settings, "VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS", DEFAULT_WEEKS))


def lookback_start(today: datetime.date) -> datetime.date:
    """The Monday the look-back starts on: ``lookback_weeks()`` complete weeks before the week
    holding ``today``."""
    monday = today - datetime.timedelta(days=today.weekday())
    return monday - datetime.timedelta(weeks=lookback_weeks())


def is_historical(period: str, today: datetime.date) -> bool:
    """Did ``period`` (an ISO week ``2026-W20`` or a month ``2026-05``) end before the
    look-back starts?"""
    start = lookback_start(today)
    if "-W" in period:
        monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(period))
        return monday < start
    _, last = economics.month_bounds(*economics.parse_month(period))
    return last < start


def note() -> str:
    """The resolution note of a historical flag."""
    return (
        f"Historical: older than the {lookback_weeks()}-week stop-loss look-back when it was "
        "recorded, so it opened no flag, changed no stage and notified nobody."
    )


def sentence(*, kind: str, period: str, rule=None, observed=None, threshold=None) -> str:
    """``historical: week 2026-W20 breached rework rate (20.0% > 15.0%), no flag — older than
    the 4-week look-back``."""
    unit = "week" if "-W" in period else "month"
    if kind == FlagKind.STOP_LOSS and rule is not None:
        sign = ">" if rule.comparison == Comparison.EXCEEDS else "<"
        what = (
            f"breached {rule.get_metric_display().lower()} "
            f"({format_value(rule.metric, observed, exact=True)} {sign} "
            f"{format_value(rule.metric, threshold, exact=True)})"
        )
    else:
        what = f"showed “{FlagKind(kind).label.lower()}”"
    return (
        f"historical: {unit} {period} {what}, no flag — older than the {lookback_weeks()}-week "
        "look-back"
    )


def flag_sentence(flag) -> str:
    """A historical flag in words (the use case page, the import preview)."""
    return sentence(
        kind=flag.kind,
        period=flag.period,
        rule=flag.rule,
        observed=flag.observed_value,
        threshold=flag.threshold,
    )
