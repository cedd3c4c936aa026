"""The five early-warning signals of DESIGN.md: flags that change no stage.

Each detector is a pure function over a use case's *submitted* weeks, oldest
first, ending with the week being evaluated; it returns a ``Signal`` (the flag to raise, explained
in plain words) or ``None``. Thresholds come from ``settings.VALUEGATE_SIGNALS`` (see ``DEFAULTS``).

1. ``savings_backlog_divergence`` – over the last ``weeks_window`` submitted weeks hours saved were
   declared every week (> 0), yet the backlog did not shrink (last >= first).
2. ``exceptions_growing`` – the exception share rose strictly week on week across the last
   ``weeks_window`` submitted weeks.
3. ``quality_unstable_after_change`` – since the latest model/prompt/config change (a week belongs
   to the new version when its Sunday is on or after the change's effective date, as in
   ``reviews.services.model_version_in_effect``), with at least ``min_weeks_after_change`` and at
   most ``max_weeks_after_change`` submitted weeks of data, the mean quality is
   ``quality_drop_points`` or more below the mean of up to ``weeks_before_change`` submitted weeks
   before it. After ``max_weeks_after_change`` weeks the change is the new normal: the stop-loss
   rules on ``quality_score`` watch it from then on.
4. ``no_accountable_owner`` – reviews are due (stage rollout, scaled or redesign) and nobody is the
   value owner, or ``overdue_reviews`` or more reviews are overdue. Its period is the month.
5. ``declared_vs_measured`` – the latest submitted weekly review (typed or confirmed from a
   telemetry draft: a saved review is a confirmed one) declares active users or tasks with AI that
   differ from what telemetry measured that week by **more than** ``declared_vs_measured_percent``
   (20) per cent **of the measured figure**: ``|declared − measured| × 100 > percent ×
   measured``. Exactly 20 % is no signal, 20.1 % is. A figure measured as zero while the review
   declares more is a signal (the spans carry no ``user.id``, or no AI call: the draft offered 0);
   both zero is none. Judged only for a week with telemetry (``Measured``, loaded by
   ``reviews.series``). ``observed`` is the largest difference as a fraction of its measured
   figure (None when that figure is zero), ``threshold`` the percentage as a fraction.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format

from usecases.templatetags.money import percent

from .metric_format import STORED  # the places a flag keeps
from .models import FlagKind
from .points import WeekPoint

DEFAULTS = {
    "weeks_window": 4,
    "quality_drop_points": Decimal(5),
    "min_weeks_after_change": 2,
    "max_weeks_after_change": 8,
    "weeks_before_change": 4,
    "overdue_reviews": 2,
    "declared_vs_measured_percent": Decimal(20),
}

#: The signal kinds, in the order of DESIGN.md.
SIGNAL_KINDS = (
    FlagKind.SAVINGS_BACKLOG_DIVERGENCE,
    FlagKind.EXCEPTIONS_GROWING,
    FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE,
    FlagKind.NO_ACCOUNTABLE_OWNER,
    FlagKind.DECLARED_VS_MEASURED,
)


def thresholds() -> dict:
    """``DEFAULTS`` overridden by ``settings.VALUEGATE_SIGNALS`` (a partial dict is fine)."""
    merged = {**DEFAULTS, **getattr(settings, "VALUEGATE_SIGNALS", {})}
    merged["quality_drop_points"] = Decimal(str(merged["quality_drop_points"]))
    merged["declared_vs_measured_percent"] = Decimal(str(merged["declared_vs_measured_percent"]))
    return merged


def weeks_needed(t: dict | None = None) -> int:
    """How many submitted weeks (up to the evaluated one) the weekly signals look at, at most."""
    t = t or thresholds()
    return max(t["weeks_window"], t["weeks_before_change"] + t["max_weeks_after_change"])


@dataclass(frozen=True)
class Signal:
    kind: str
    period: str
    observed: Decimal | None
    threshold: Decimal | None
    explanation: str


@dataclass(frozen=True)
class Change:
    """A model/prompt log entry, as the signals need it."""

    effective_date: datetime.date
    version_label: str
    kind_label: str


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"


def savings_backlog_divergence(weeks: Sequence[WeekPoint], *, window: int) -> Signal | None:
    last = list(weeks[-window:])
    if window < 2 or len(last) < window:
        return None
    if not all(w.declared_hours_saved > 0 for w in last):
        return None
    first, final = last[0].backlog, last[-1].backlog
    if final < first:
        return None
    if final > first:
        trend = f"backlog grew from {first} to {final}"
    else:
        trend = f"backlog stayed at {first}"
    hours = sum((w.declared_hours_saved for w in last), Decimal(0))
    return Signal(
        kind=FlagKind.SAVINGS_BACKLOG_DIVERGENCE,
        period=last[-1].week,
        observed=Decimal(final),
        threshold=Decimal(first),
        explanation=(
            f"Declared hours saved every week since {last[0].week} ({_hours(hours)} h over "
            f"{window} weeks), yet {trend} ({last[0].week} to {last[-1].week})."
        ),
    )


def exceptions_growing(weeks: Sequence[WeekPoint], *, window: int) -> Signal | None:
    last = list(weeks[-window:])
    if window < 2 or len(last) < window:
        return None
    shares = [w.exception_share for w in last]
    if not all(later > earlier for earlier, later in zip(shares, shares[1:], strict=False)):
        return None
    steps = " → ".join(percent(s, 1) for s in shares)
    return Signal(
        kind=FlagKind.EXCEPTIONS_GROWING,
        period=last[-1].week,
        observed=shares[-1],
        threshold=shares[0],
        explanation=(
            f"Exception share rose every week from {last[0].week} to {last[-1].week}: {steps} "
            "of tasks needed a manual workaround."
        ),
    )


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def quality_unstable_after_change(
    weeks: Sequence[WeekPoint],
    changes: Sequence[Change],
    *,
    drop_points: Decimal,
    min_weeks_after: int,
    max_weeks_after: int,
    weeks_before: int,
) -> Signal | None:
    if not weeks:
        return None
    current = weeks[-1]
    in_effect = [c for c in changes if c.effective_date <= current.week_end]
    if not in_effect:
        return None
    change = max(in_effect, key=lambda c: c.effective_date)
    after = [w for w in weeks if w.week_end >= change.effective_date]
    before = [w for w in weeks if w.week_end < change.effective_date][-weeks_before:]
    if not before or not (min_weeks_after <= len(after) <= max_weeks_after):
        return None
    mean_after, mean_before = (
        _mean([w.quality_score for w in after]),
        _mean([w.quality_score for w in before]),
    )
    drop = mean_before - mean_after
    if drop < drop_points:
        return None
    return Signal(
        kind=FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE,
        period=current.week,
        observed=mean_after,
        threshold=mean_before - drop_points,
        explanation=(
            f"Since the {change.kind_label.lower()} change “{change.version_label}” of "
            f"{date_format(change.effective_date)}, mean quality is {mean_after:.1f} over "
            f"{len(after)} week{'s' if len(after) != 1 else ''} ({after[0].week} to "
            f"{current.week}), {drop:.1f} points below the {mean_before:.1f} of the "
            f"{len(before)} week{'s' if len(before) != 1 else ''} before it "
            f"(alert from {drop_points:.0f} points)."
        ),
    )


@dataclass(frozen=True)
class Overdue:
    kind: str  # "weekly" or "monthly"
    period: str  # "2026-W46" or "2026-10"


def no_accountable_owner(
    *,
    reviews_due: bool,
    has_owner: bool,
    overdue: Sequence[Overdue],
    period: str,
    min_overdue: int,
    stage_label: str = "",
) -> Signal | None:
    no_owner = reviews_due and not has_owner
    too_late = len(overdue) >= min_overdue
    if not (no_owner or too_late):
        return None
    reasons = []
    if no_owner:
        reasons.append(
            f"Reviews are due (stage {stage_label or 'under review'}) but nobody is named as "
            "value owner, so nobody is accountable for its net value."
        )
    if too_late:
        listed = ", ".join(f"{o.kind} {o.period}" for o in overdue[:6])
        more = f" and {len(overdue) - 6} more" if len(overdue) > 6 else ""
        reasons.append(
            f"{len(overdue)} reviews are overdue ({listed}{more}); the alert starts at "
            f"{min_overdue}."
        )
    return Signal(
        kind=FlagKind.NO_ACCOUNTABLE_OWNER,
        period=period,
        observed=Decimal(len(overdue)),
        threshold=Decimal(min_overdue),
        explanation=" ".join(reasons),
    )


def weekly_signals(
    weeks: Sequence[WeekPoint], changes: Sequence[Change], t: dict | None = None
) -> list[Signal]:
    """Signals 1–3 at the last of ``weeks`` (submitted weeks, oldest first)."""
    t = t or thresholds()
    found = [
        savings_backlog_divergence(weeks, window=t["weeks_window"]),
        exceptions_growing(weeks, window=t["weeks_window"]),
        quality_unstable_after_change(
            weeks,
            changes,
            drop_points=t["quality_drop_points"],
            min_weeks_after=t["min_weeks_after_change"],
            max_weeks_after=t["max_weeks_after_change"],
            weeks_before=t["weeks_before_change"],
        ),
    ]
    return [s for s in found if s is not None]


@dataclass(frozen=True)
class Measured:
    """What telemetry measured of a use case's ISO week (``reviews.telemetry_figures``)."""

    week: str
    active_users: int
    tasks_with_ai: int
    traces: int


#: The figures a review declares and telemetry measures, as the explanation names them.
COMPARED = (("active_users", "active users"), ("tasks_with_ai", "tasks with AI"))


def _signed_percent(part: Decimal) -> str:
    """``0.42857`` → ``+42.9 %``, ``-0.3`` → ``−30 %``."""
    value = (part * 100).quantize(Decimal("0.1")).normalize()
    return f"{value:+f} %".replace("-", "−")


def declared_vs_measured(
    declared: WeekPoint, measured: Measured | None, *, percent: Decimal
) -> Signal | None:
    if measured is None or measured.week != declared.week:
        return None
    gaps = []
    for field, label in COMPARED:
        said, seen = getattr(declared, field), getattr(measured, field)
        if abs(said - seen) * 100 > percent * seen:
            part = Decimal(said - seen) / seen if seen else None
            gaps.append((label, said, seen, part))
    if not gaps:
        return None
    words = [
        f"declared {said} {label}, telemetry measured "
        + (f"{seen} (declared {_signed_percent(part)} against measured)" if part else "none")
        for label, said, seen, part in gaps
    ]
    unmeasured = any(part is None for *_rest, part in gaps)
    traces = f"{measured.traces} trace{'' if measured.traces == 1 else 's'}"
    return Signal(
        kind=FlagKind.DECLARED_VS_MEASURED,
        period=declared.week,
        observed=None if unmeasured else max(abs(p) for *_rest, p in gaps).quantize(STORED),
        threshold=percent / 100,
        explanation=(
            f"{declared.week}: {'; '.join(words)}. The alert starts above a "
            f"{percent.normalize():f} % difference from the measured figure (telemetry: "
            f"{traces} that week)."
        ),
    )
