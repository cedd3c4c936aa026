"""A review correction that removes a stop-loss breach withdraws its flag (issue 14).

After a weekly or monthly review is corrected (``services._correct`` → ``stoploss.
evaluate_after_review(correction=...)``), every open stop-loss flag of the use case whose breach
run holds the corrected period is judged again: its rule, with the threshold the flag recorded, on
the corrected series, by ``breaches.rule_breach`` (the code that raised it). When it no longer
breaches, the breach is withdrawn:

a) The flag moved the use case (a ``StageTransition`` caused by it) and nothing changed the use
   case since — no other open stop-loss flag, no later ``StageTransition`` (a gate decision, a
   PMO edit, another flag), stage and funding still what the flag made them: the flag is resolved
   ("withdrawn: review 2026-W48 corrected by olivia at …, rework rate now 10.0%") and *then*, in
   the same transaction, stage and funding go back to what they were before it, through
   ``usecases.transitions`` (cause ``withdrawal`` of the flag; the label names the review, who
   corrected it and both its history versions). The value owner and the PMO are notified.
b) Something changed it in between: nothing is restored. The flag stays open, marked "breach
   withdrawn by correction" (``Flag.withdrawn_at`` / ``withdrawal_note``); the value owner and
   the PMO are notified. The PMO resolves it with one action that offers the restore
   (``flag_resolve_and_restore``).
c) The flag moved no stage (raised while already in redesign, or a flag-only rule): it is
   resolved as withdrawn, without a stage change; the value owner and the PMO are notified.

Decisions where the issue is silent (marked * in the docs):

* A marked flag (b) whose breach a later correction brings back loses the mark.
* A flag whose rule was deleted cannot be judged again: it stays as it is.
* Resolve-and-restore is refused (nothing written, the message at ``restore``) while another
  stop-loss flag is open on the use case (it still calls for redesign), or when stage and funding
  are no longer what the flag made them (a gate decision or an edit moved the use case since:
  restoring would undo that decision). Later changes that left stage and funding as the flag made
  them (e.g. a second flag that moved nothing and was resolved) do not stand in the way.
* A breach that a later correction (or the sweep) finds again after its flag was withdrawn
  raises a new flag with its action: a withdrawn flag no longer holds its (use case, rule,
  period) key (``models.STANDING``, ``Flag.objects.standing()``). A flag the PMO resolved with
  the breach standing still holds it.
* Preview (``foresee``): ``plan`` — the decision the save carries out — run on the series with
  the unsaved correction laid over it (``series.Overlay``), on the use case as stored; a
  stop-loss flag the correction itself raises counts as open (the save raises it before it
  judges the withdrawals). Worded in the future tense (``foreseen_message``); what the save did,
  in the past tense (``done_message``).
* A flag resolved automatically names no resolver (``resolved_by`` empty, ``resolution_kind``
  ``withdrawn``); the note names who corrected the review.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from usecases import alerts, clock, economics, transitions
from usecases.audit import fit, stamp
from usecases.models import (
    AlertEvent,
    Funding,
    Stage,
    StageTransition,
    TransitionCause,
    UseCase,
)
from usecases.permissions import can_resolve_flags
from usecases.selectors import business_case_inputs
from usecases.text import NOTE_MAX, check_field

from .breaches import WEEKLY_METRICS, rule_breach
from .flags import flag_close, refuse_if_resolved
from .metric_format import observed_text
from .models import Flag, FlagKind, FlagResolution, Metric, MonthlyReview, WeeklyReview
from .series import Overlay, load_months, load_weeks_of, month_first, week_monday
from .stoploss_effects import PmoRecipients, WithdrawalEffect, Withdrawn, who_is_notified

alerts.route("stop_loss_withdrawn", AlertEvent.FLAG_WITHDRAWN)
alerts.route("stop_loss_restored", AlertEvent.FLAG_WITHDRAWN)

NOT_RESTORABLE = "Only a flag whose breach a correction withdrew can be resolved with a restore."
NOTHING_TO_RESTORE = "This flag moved no stage: there is nothing to restore."


@dataclass(frozen=True)
class Correction:
    """A review just corrected (in its transaction): the review as saved, who, when, and the
    version it was corrected from."""

    review: WeeklyReview | MonthlyReview
    user: object
    at: datetime.datetime
    version_before: int

    @property
    def period(self) -> str:
        return getattr(self.review, self.review.period_field)

    @property
    def kind(self) -> str:
        return "weekly" if isinstance(self.review, WeeklyReview) else "monthly"

    @property
    def month(self) -> str:
        start = self.review.month_start
        return economics.format_month(start.year, start.month)

    def versions(self) -> str:
        """``version 1 → 2 (history #31 → #32)``: the review's simple-history records."""
        rows = list(
            self.review.history.order_by("-history_id").values_list("history_id", "version")[:2]
        )
        text = f"version {self.version_before} → {self.review.version}"
        if len(rows) == 2:
            text += f" (history #{rows[1][0]} → #{rows[0][0]})"
        return text

    def described(self) -> str:
        """``weekly review #12 (2026-W48) corrected by olivia``."""
        who = getattr(self.user, "username", "") or "someone"
        return f"{self.kind} review #{self.review.pk} ({self.period}) corrected by {who}"


@dataclass(frozen=True)
class Planned:
    """What withdrawing one flag's breach calls for, decided before anything is written
    (``plan``): the save carries it out (``withdraw_after_correction``), the preview words it
    (``foresee``, ``foreseen_message``)."""

    flag: Flag
    #: The rule's metric on the corrected review(s), in the rule's units (None: not known).
    observed_now: Decimal | None
    effect: str  # a ``WithdrawalEffect``
    #: The ``StageTransition`` the flag caused (None: it moved no stage).
    moved: StageTransition | None
    #: (stage, funding) put back (``RESTORED``), or the PMO may put back (``PMO_TO_RESOLVE``).
    restore_to: tuple[str, str] | None
    #: ``PMO_TO_RESOLVE``: what stands in the way of the automatic restore.
    why_not: str | None = None


@dataclass(frozen=True)
class Pending:
    """A stop-loss flag the correction itself raises (foreseen, not saved yet): after the save
    it is open like any other, so it stands in the way of a restore as they do."""

    rule_key: str
    period: str


def withdraw_after_correction(
    correction: Correction, pmo_members: PmoRecipients
) -> list[Withdrawn]:
    """Withdraw the open stop-loss flags of the corrected review's use case whose breach the
    correction removed (see the module). Inside the correction's transaction. One query when the
    use case has no open stop-loss flag."""
    review = correction.review
    judged = _open_flags_to_judge(correction)
    if not judged:
        return []
    locked = transitions.lock(review.use_case_id)
    # Locked and read again: a PMO resolving one of them meanwhile is not overwritten.
    judged = list(
        Flag.objects.select_for_update(of=("self",))
        .select_related("rule")
        .filter(pk__in=[f.pk for f in judged], resolved_at__isnull=True)
        .order_by("-raised_at", "-id")
    )
    planned, breach_back = plan(judged, correction, locked)
    for flag in breach_back:  # a marked flag whose breach is back: the mark goes
        _mark(flag, at=None, note="", reason="breach back after correction")
    return [_withdraw(p, correction, locked, pmo_members) for p in planned]


def foresee(review, *, saved, overlay, pending=()) -> list[Planned]:
    """What saving ``review`` — an unsaved correction of ``saved`` (same pk), validated — would
    withdraw: ``plan``, the code the save runs, on the series with ``overlay``
    (``reviews.series.Overlay``: the corrected figures laid over the rows read). ``pending``:
    the stop-loss flags the correction itself would raise (``Pending``). Reads only (one query
    when the use case has no open stop-loss flag); writes nothing."""
    correction = Correction(review, None, clock.now(), saved.version)
    flags = _open_flags_to_judge(correction)
    if not flags:
        return []
    # Read as it is now (as the save reads it locked), not as the caller's copy may say.
    use_case = UseCase.objects.select_related("value_owner").get(pk=review.use_case_id)
    planned, _ = plan(flags, correction, use_case, overlay=overlay, pending=pending)
    return planned


def _open_flags_to_judge(correction: Correction) -> list[Flag]:
    """The open stop-loss flags (with a rule) whose breach run could hold the corrected period,
    newest first. One query."""
    open_flags = (
        Flag.objects.open()
        .filter(use_case_id=correction.review.use_case_id, kind=FlagKind.STOP_LOSS)
        .select_related("rule")
        .order_by("-raised_at", "-id")
    )
    return [f for f in open_flags if f.rule is not None and _could_hold(f, correction)]


def plan(
    flags: list[Flag],
    correction: Correction,
    use_case: UseCase,
    *,
    overlay: Overlay | None = None,
    pending=(),
) -> tuple[list[Planned], list[Flag]]:
    """(what to do about each of ``flags`` whose breach the correction removed, the marked
    flags whose breach it brings back). Judged on the series as stored (the save: the corrected
    review is saved already) or with ``overlay`` (the preview). Each restore is planned on the
    state the earlier ones leave, as the save writes them one after the other. Reads only."""
    gone: list[tuple[Flag, Decimal | None]] = []
    breach_back: list[Flag] = []
    for flag in flags:
        still, in_run, observed_now = _judge(flag, correction, use_case, overlay)
        if not in_run:
            continue
        if still:
            if flag.withdrawn_at is not None:
                breach_back.append(flag)
            continue
        gone.append((flag, observed_now))
    withdrawn_ids = {flag.pk for flag, _ in gone}
    state = copy.copy(use_case)
    restored = False
    planned = []
    for flag, observed_now in gone:
        moved = caused_by(flag)
        if moved is None:
            planned.append(Planned(flag, observed_now, WithdrawalEffect.RESOLVED, None, None))
            continue
        back = (moved.stage_before, moved.funding_before)
        obstacle = _obstacle(state, flag, moved, also_withdrawn=withdrawn_ids, pending=pending)
        why_not = obstacle[0] if obstacle else None
        if why_not is None and (restored or _later_change(moved)):
            why_not = "the stage or funding was changed after the flag (e.g. at a gate)"
        if why_not is None:
            planned.append(Planned(flag, observed_now, WithdrawalEffect.RESTORED, moved, back))
            state.stage, state.funding_status = back
            restored = True
        else:
            planned.append(
                Planned(flag, observed_now, WithdrawalEffect.PMO_TO_RESOLVE, moved, back, why_not)
            )
    return planned, breach_back


def _could_hold(flag: Flag, correction: Correction) -> bool:
    """Could the flag's breach run hold the corrected period? (Cheap test, no query.)"""
    if flag.rule.metric == Metric.NET_VALUE:
        return month_first(flag.period) >= month_first(correction.month)
    if correction.kind != "weekly" or flag.rule.metric not in WEEKLY_METRICS:
        return False
    return week_monday(flag.period) >= correction.review.week_start


def _judge(flag: Flag, correction: Correction, use_case: UseCase, overlay: Overlay | None):
    """(still breaches, the corrected period is in its run, the value now) for ``flag``'s rule
    at its period, on the series as corrected (``overlay``: the correction not saved yet, laid
    over the rows read)."""
    rule = copy.copy(flag.rule)
    if flag.threshold is not None:
        rule.threshold = flag.threshold  # judged as it was raised, not as the policy is now
    n = max(rule.consecutive_weeks, 1)
    if rule.metric == Metric.NET_VALUE:
        points = load_months(
            [use_case.pk],
            limit=n,
            business_cases={use_case.pk: business_case_inputs(use_case)},
            cutoffs={use_case.pk: month_first(flag.period)},
            overlay=overlay,
        ).get(use_case.pk, [])
        in_run = any(p.period == correction.month for p in points[-n:])
    else:
        points = load_weeks_of(use_case.pk, upto=week_monday(flag.period), limit=n).points
        if overlay is not None and overlay.week is not None:
            points = overlay.weeks(points, n)  # its week is at most the flag's (``_could_hold``)
        in_run = any(p.review_id == correction.review.pk for p in points[-n:])
    if not points or points[-1].period != flag.period:
        return True, False, None  # the flagged period has no review any more: not ours to judge
    observed = points[-1].value(rule.metric)
    still = rule_breach(rule, points, live_since=use_case.live_since) is not None
    return still, in_run, observed


def caused_by(flag: Flag) -> StageTransition | None:
    """The ``StageTransition`` the flag caused (None: it moved no stage)."""
    return (
        StageTransition.objects.filter(
            use_case_id=flag.use_case_id, cause_kind=TransitionCause.STOP_LOSS, cause_id=flag.pk
        )
        .order_by("-at", "-pk")
        .first()
    )


def restore_refusal(
    use_case: UseCase, flag: Flag, moved: StageTransition, *, also_withdrawn=()
) -> str | None:
    """Why putting back what ``moved`` changed would be wrong now (None: it is right): another
    stop-loss flag is open, or stage and funding are no longer what the flag made them."""
    obstacle = _obstacle(use_case, flag, moved, also_withdrawn=also_withdrawn)
    if obstacle is None:
        return None
    back_to = state_label(moved.stage_before, moved.funding_before)
    what, advice = obstacle
    return f"{what[0].upper()}{what[1:]}: restoring {back_to} would {advice}"


def _obstacle(use_case, flag, moved, *, also_withdrawn=(), pending=()) -> tuple[str, str] | None:
    """(what stands in the way, what the restore would do then), or None. ``pending``: the
    stop-loss flags a correction being previewed would raise (``Pending``)."""
    other = (
        Flag.objects.open()
        .filter(use_case_id=use_case.pk, kind=FlagKind.STOP_LOSS)
        .exclude(pk__in=[flag.pk, *also_withdrawn])
        .order_by("pk")
        .first()
    )
    if other is not None:
        return (
            f"stop-loss flag #{other.pk} ({other.period}) is still open on this use case",
            "override it. Resolve it first, or resolve this flag without restoring.",
        )
    if pending:
        return (
            f"the stop-loss flag this correction raises ({pending[0].period}) will be open on "
            "this use case",
            "override it. Resolve it first, or resolve this flag without restoring.",
        )
    now = (use_case.stage, use_case.funding_status)
    if now != (moved.stage_after, moved.funding_after):
        return (
            f"the use case has moved since this flag returned it to "
            f"{state_label(moved.stage_after, moved.funding_after)} (now {state_label(*now)})",
            "undo that. Resolve the flag without restoring, or decide at a gate.",
        )
    return None


def state_label(stage: str, funding: str) -> str:
    """``Rollout / Funded``."""
    return f"{Stage(stage).label} / {Funding(funding).label}"


def _later_change(moved: StageTransition) -> bool:
    return (
        StageTransition.objects.filter(use_case_id=moved.use_case_id)
        .filter(Q(at__gt=moved.at) | Q(at=moved.at, pk__gt=moved.pk))
        .exists()
    )


def _withdraw(
    planned: Planned, correction: Correction, locked: UseCase, pmo_members: PmoRecipients
) -> Withdrawn:
    """Carry out ``planned`` (inside the correction's transaction, the use case locked)."""
    flag, back = planned.flag, planned.restore_to
    now_text = _observed_text(flag, planned.observed_now)
    when = timezone.localtime(correction.at).strftime("%Y-%m-%d %H:%M")
    who = getattr(correction.user, "username", "") or "someone"
    facts = f"review {correction.period} corrected by {who} at {when}, {now_text}"
    message = done_message(planned, locked)
    if planned.effect == WithdrawalEffect.RESOLVED:
        flag_close(flag, user=None, note=f"withdrawn: {facts}", kind=FlagResolution.WITHDRAWN)
        transitions.tell(locked, _notice(flag, locked, message), cc=pmo_members())
    elif planned.effect == WithdrawalEffect.RESTORED:
        flag_close(flag, user=None, note=f"withdrawn: {facts}", kind=FlagResolution.WITHDRAWN)
        move = transitions.plan(
            locked,
            move=transitions.Move.EDIT,
            reason=f"stop-loss flag #{flag.pk} withdrawn: {facts}",
            stage=back[0],
            funding=back[1],
        )
        cause = transitions.Cause(
            TransitionCause.WITHDRAWAL,
            flag.pk,
            f"withdrawal of stop-loss flag #{flag.pk}: {correction.described()}, "
            f"{correction.versions()}",
        )
        transitions.apply(
            locked,
            move,
            cause=cause,
            actor=correction.user,
            notice=_notice(flag, locked, message),
            cc=pmo_members(),
            history_reason=f"stop-loss flag #{flag.pk} withdrawn by correction",
        )
    else:
        _mark(flag, at=correction.at, note=f"breach withdrawn by correction: {facts}")
        transitions.tell(locked, _notice(flag, locked, message), cc=pmo_members())
    return Withdrawn(flag, planned.observed_now, planned.effect, back, message)


def done_message(planned: Planned, use_case: UseCase) -> str:
    """What a withdrawal did, in the past tense (the save's warning, the notices, the API)."""
    flag = planned.flag
    now_text = _observed_text(flag, planned.observed_now)
    flag_label = f"Stop-loss flag #{flag.pk} ({flag.period})"
    if planned.effect == WithdrawalEffect.RESOLVED:
        return (
            f"{flag_label} withdrawn: {now_text}. The flag moved no stage, so nothing else changed."
        )
    if planned.effect == WithdrawalEffect.RESTORED:
        return (
            f"{flag_label} withdrawn: {now_text}. {use_case.name} returned to "
            f"{state_label(*planned.restore_to)}; {who_is_notified(use_case, past=True)}."
        )
    return (
        f"{flag_label}: breach withdrawn by correction ({now_text}), but nothing was restored "
        f"automatically: {planned.why_not}. The flag stays open for the PMO, who may resolve it "
        f"and restore {state_label(*planned.restore_to)}."
    )


def foreseen_message(planned: Planned, use_case: UseCase) -> str:
    """What saving the correction would do about one flag, in the future tense (the preview:
    the page's panel, the no-JavaScript preview, ``POST …/{id}/preview/``)."""
    flag = planned.flag
    now_text = _observed_text(flag, planned.observed_now)
    flag_label = f"stop-loss flag #{flag.pk} ({flag.period})"
    told = who_is_notified(use_case, past=False)
    if planned.effect == WithdrawalEffect.RESOLVED:
        return (
            f"Saving the correction withdraws {flag_label}: {now_text}. The flag moved no stage, "
            f"so nothing else changes; {told}."
        )
    if planned.effect == WithdrawalEffect.RESTORED:
        return (
            f"Saving the correction withdraws {flag_label}: {now_text}. {use_case.name} returns "
            f"to {state_label(*planned.restore_to)}; {told}."
        )
    return (
        f"Saving the correction withdraws the breach behind {flag_label} ({now_text}), but "
        f"restores nothing automatically: {planned.why_not}. The flag stays open, marked "
        f"“breach withdrawn by correction”, for the PMO, who may resolve it and restore "
        f"{state_label(*planned.restore_to)}; {told}."
    )


def _mark(flag: Flag, *, at, note: str, reason: str = "breach withdrawn by correction") -> None:
    flag.withdrawn_at, flag.withdrawal_note = at, fit(note, NOTE_MAX)
    stamp(flag, reason=reason)
    flag.save(update_fields=["withdrawn_at", "withdrawal_note"])


def _observed_text(flag: Flag, value: Decimal | None) -> str:
    """``rework rate now 10.0%``."""
    rule = flag.rule
    return f"{rule.get_metric_display().lower()} now {observed_text(rule, value)}"


def _notice(flag: Flag, use_case: UseCase, message: str, *, kind="stop_loss_withdrawn"):
    return transitions.Notice(
        kind=kind,
        subject=flag,
        period=flag.period,
        title=fit(f"Stop-loss withdrawn on {use_case.name} ({flag.period})", 200),
        body=message,
        url=f"{reverse('reviews:flags')}?use_case={use_case.pk}",
    )


# --- the PMO's one action -----------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreOffer:
    """What resolving a withdrawn flag with restore would do: put back ``stage``/``funding``
    (``label``), or why not (``refusal``)."""

    stage: str
    funding: str
    refusal: str | None

    @property
    def label(self) -> str:
        return state_label(self.stage, self.funding)


def restore_offer(flag: Flag) -> RestoreOffer | None:
    """The restore the flag page offers for ``flag`` (None: none, the flag is not withdrawn by a
    correction or moved no stage). Reads the use case as it is."""
    if not flag.withdrawn_by_correction:
        return None
    moved = caused_by(flag)
    if moved is None:
        return None
    use_case = UseCase.objects.get(pk=flag.use_case_id)
    return RestoreOffer(
        moved.stage_before, moved.funding_before, restore_refusal(use_case, flag, moved)
    )


def flag_resolve_and_restore(*, user, flag: Flag, note: str = "") -> Flag:
    """Resolve a flag whose breach a correction withdrew and put back the stage and funding it
    changed, in one transaction: the flag first (so no open flag holds the use case in redesign),
    then the transition (cause ``withdrawal``, the PMO as actor), the value owner and the PMO
    notified. PMO only. ``note`` empty: the withdrawal note. ``ValidationError`` at ``restore``
    when the restore would be wrong now (``restore_refusal``); nothing is written then."""
    if not can_resolve_flags(user):
        raise PermissionDenied("Only the PMO resolves flags.")
    note = (note or "").strip()
    if note:
        check_field(Flag, "resolution_note", note, key="note")
    with transaction.atomic():
        locked = transitions.lock(flag.use_case_id)
        current = (
            Flag.objects.select_for_update(of=("self",)).select_related("rule").get(pk=flag.pk)
        )
        refuse_if_resolved(current)
        if current.withdrawn_at is None:
            raise ValidationError({"restore": [NOT_RESTORABLE + " Resolve it with a note."]})
        moved = caused_by(current)
        if moved is None:
            raise ValidationError({"restore": [NOTHING_TO_RESTORE + " Resolve it with a note."]})
        refusal = restore_refusal(locked, current, moved)
        if refusal:
            raise ValidationError({"restore": [refusal]})
        back = (moved.stage_before, moved.funding_before)
        note = note or current.withdrawal_note
        flag_close(current, user=user, note=fit(note, NOTE_MAX), kind=FlagResolution.RESTORED)
        message = (
            f"Stop-loss flag #{current.pk} ({current.period}) resolved by "
            f"{user.get_full_name() or user.username} after its breach was withdrawn by "
            f"correction: {locked.name} returned to {state_label(*back)}."
        )
        planned = transitions.plan(
            locked,
            move=transitions.Move.EDIT,
            reason=f"stop-loss flag #{current.pk} resolved after withdrawal: {note}",
            stage=back[0],
            funding=back[1],
        )
        transitions.apply(
            locked,
            planned,
            cause=transitions.Cause(
                TransitionCause.WITHDRAWAL,
                current.pk,
                f"stop-loss flag #{current.pk} resolved by {user.username} with restore "
                "(breach withdrawn by correction)",
            ),
            actor=user,
            notice=_notice(current, locked, message, kind="stop_loss_restored"),
            cc=PmoRecipients()(),
            history_reason=f"stop-loss flag #{current.pk} resolved, stage restored",
        )
    return current
