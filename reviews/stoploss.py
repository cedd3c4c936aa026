"""The stop-loss evaluation that the review save hook (``evaluate_after_review``) and the
portfolio sweep (``reviews.sweep``) both run: load (``reviews.series``), judge the rules
(``reviews.breaches``) and the early-warning signals (``reviews.early_warnings``; the fifth,
``declared_vs_measured``, with what telemetry measured of the week), raise what is not
flagged yet and apply its effects (``reviews.stoploss_effects``).

What is judged (DESIGN.md "Stop-loss rules"; decisions where it is silent are marked *):

- Weekly metrics (``rework_rate``, ``adoption_rate``, ``exception_share``) come from
  ``economics.week_metrics`` of each weekly review, ``quality_score`` from the review itself.
  ``net_value`` is the month's net value (``selectors.monthly_totals`` + ``economics.
  period_figures``) and is judged only for months that have a monthly review (* without the
  month's costs there is no net value to judge).
- A weekly review is judged at its week, and its month for the net-value rules (its figures
  change the month's net value; only if the month has a monthly review); the weekly signals only
  when it is the latest submitted week. A monthly review: the net-value rules at its month.
- A breach or signal at a period older than the look-back (``reviews.lookback``, setting
  ``VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS``) is recorded as a historical flag and does nothing else;
  the sweep and the save hook judge it alike (both run ``evaluate``).

``judge`` is the evaluation without its effects (what would be raised, nothing written):
``evaluate`` raises what it finds, ``reviews.consequences`` previews an unsaved review with it
(``overlay``).
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from usecases import clock, economics

from . import early_warnings as ew
from . import lookback
from .breaches import effective_rules, rule_breach
from .models import Flag, FlagKind, Metric
from .series import NOT_LOADED, Loaded, Overlay, load, use_case_rows
from .stoploss_effects import Candidate, Outcome, PmoRecipients, raise_candidate, raise_many
from .targets import LATEST, Target, Trigger
from .withdrawals import Correction, withdraw_after_correction

__all__ = ["LATEST", "NOT_LOADED", "Outcome", "Overlay", "Target", "Trigger", "evaluate", "judge"]


def evaluate(
    targets: dict[int, Target],
    *,
    today: datetime.date | None = None,
    change_in_effect=NOT_LOADED,
    bulk: bool = False,
) -> Outcome:
    """Evaluate the rules and signals for ``targets`` (use case id → what to evaluate) and raise
    what breaches. Must run inside a transaction (the review's, or one per sweep batch).

    ``bulk``: raise the new flags with their effects in bulk (``stoploss_effects.raise_many``,
    the sweep and the save hook: a fixed number of statements whatever the number of flags and
    of people told, the e-mails enqueued as one task); else one by one (``raise_candidate``,
    each notice in a savepoint of its own, each e-mail enqueued on its own: the demo's seeding).
    The same records either way (``tests/reviews/test_sweep_bulk.py``).

    Queries: ``reviews.series.load``'s, then the use case rows if not read yet and something
    breaches, the flags already raised (1), and a few per *new* flag (``bulk``: a few in all)."""
    today = today or clock.today()
    if not targets:
        return Outcome()
    candidates = judge(targets, today=today, change_in_effect=change_in_effect)
    return _raise_new(candidates, bulk=bulk)


def judge(
    targets: dict[int, Target],
    *,
    today: datetime.date,
    change_in_effect=NOT_LOADED,
    overlay: Overlay | None = None,
) -> list[Candidate]:
    """What the rules and signals call for at ``targets`` (before looking at the flags already
    raised), each with its use case row. Reads only. ``overlay``: an unsaved review laid over
    the rows read (``reviews.series.Overlay``)."""
    loaded = load(targets, today=today, change_in_effect=change_in_effect, overlay=overlay)
    candidates = _candidates(targets, loaded, today=today)
    if candidates and not loaded.rows_read:
        rows = use_case_rows(loaded, (c.use_case.pk for c in candidates))
        candidates = [c for c in candidates if c.use_case.pk in rows]  # gone: deleted meanwhile
        for candidate in candidates:
            candidate.use_case = rows[candidate.use_case.pk]
    return candidates


def evaluate_after_review(
    review, *, change_in_effect=NOT_LOADED, correction: Correction | None = None
) -> Outcome:
    """Evaluate the rules for a weekly or monthly review just saved (inside its transaction):
    ``evaluate`` of ``Target.of_review(review)``, its flags raised in bulk (a breaching save:
    21 statements instead of 33, 13.5 ms instead of 19 ms in one process with the real broker,
    benchmarks/README.md). ``change_in_effect``: the caller's
    ``services.model_version_in_effect`` of a weekly review's week (not given: read here).
    ``correction``: the review was corrected — then the open stop-loss flags whose breach the
    correction removed are withdrawn too (``reviews.withdrawals``; one more query when the use
    case has no open stop-loss flag), in ``Outcome.withdrawn``.

    Queries for a weekly review that breaches nothing: its rules with the default policy, its
    latest weeks with ``live_since`` and whether its week has spans, in one statement (two; for
    an earlier week three, the signals not judged; with spans up to four more for what they
    measured, ``telemetry_figures.measured_weeks``); with net-value rules also the use case with its
    business case and its months (four)."""
    outcome = evaluate(
        {review.use_case_id: Target.of_review(review)},
        change_in_effect=change_in_effect,
        bulk=True,
    )
    if correction is not None:
        outcome.withdrawn += withdraw_after_correction(correction, PmoRecipients())
    return outcome


def _candidates(
    targets: dict[int, Target], loaded: Loaded, *, today: datetime.date
) -> list[Candidate]:
    """The flags the loaded rows call for (before looking at the flags already raised)."""
    t = loaded.thresholds
    month_label = economics.format_month(today.year, today.month)
    candidates: list[Candidate] = []
    for uc_id in sorted(targets):
        use_case = loaded.judged(uc_id)
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
                Candidate(
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
                    historical=lookback.is_historical(breach.period, today),
                )
            )
        found: list[ew.Signal] = []
        if uc_id in loaded.signal_ids and week_series:
            found += ew.weekly_signals(week_series, loaded.changes.get(uc_id, []), t)
            measured = ew.declared_vs_measured(
                week_series[-1],
                loaded.measured.get(uc_id),
                percent=t["declared_vs_measured_percent"],
            )
            found += [measured] if measured else []
        if target.owner_signal:
            owner_signal = ew.no_accountable_owner(
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
                Candidate(
                    use_case=use_case,
                    kind=signal.kind,
                    rule_key=signal.kind,
                    period=signal.period,
                    explanation=signal.explanation,
                    observed=signal.observed,
                    threshold=signal.threshold,
                    triggered_by=trigger.label if trigger else "sweep",
                    historical=(
                        signal.kind != FlagKind.NO_ACCOUNTABLE_OWNER
                        and lookback.is_historical(signal.period, today)
                    ),
                )
            )
    return candidates


def new_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates not flagged yet (one query): a flag stands for (use case, rule/signal,
    period) (``Flag.objects.standing()``: one withdrawn by a correction does not), or a
    signal's flag is still open on the use case."""
    if not candidates:
        return []
    existing, open_signals = _existing_flags(candidates)
    new = []
    for candidate in candidates:
        key = (candidate.use_case.pk, candidate.rule_key, candidate.period)
        if key in existing:
            continue
        if candidate.kind != FlagKind.STOP_LOSS and (
            (candidate.use_case.pk, candidate.kind) in open_signals
        ):
            continue
        new.append(candidate)
        existing.add(key)
    return new


def _raise_new(candidates: list[Candidate], *, bulk: bool) -> Outcome:
    """Raise the candidates not flagged yet (one query to find those, then a few per flag, or
    a few in all when ``bulk``)."""
    recipients = PmoRecipients()
    new = new_candidates(candidates)
    if bulk:
        return raise_many(new, recipients)
    outcome = Outcome()
    for candidate in new:
        outcome.extend(raise_candidate(candidate, recipients))
    return outcome


def _series_at(series: list, period: str | None) -> list:
    """``series`` ending at ``period`` (``LATEST``: as it is); empty if ``period`` is not in it
    (no review for that period: nothing to evaluate)."""
    if not period or not series:
        return []
    if period == LATEST or series[-1].period == period:
        return series
    return []


def _existing_flags(candidates: list[Candidate]):
    """One query: the keys a standing flag holds among the candidates, and the open signal
    flags."""
    ids = {c.use_case.pk for c in candidates}
    periods = {c.period for c in candidates}
    rows = (
        Flag.objects.standing()
        .filter(use_case_id__in=ids)
        .filter(Q(period__in=periods) | Q(resolved_at__isnull=True, kind__in=ew.SIGNAL_KINDS))
    )
    existing, open_signals = set(), set()
    for uc_id, rule_key, period, kind, resolved_at in rows.values_list(
        "use_case_id", "rule_key", "period", "kind", "resolved_at"
    ):
        existing.add((uc_id, rule_key, period))
        if kind != FlagKind.STOP_LOSS and resolved_at is None:
            open_signals.add((uc_id, kind))
    return existing, open_signals
