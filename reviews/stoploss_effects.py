"""What a stop-loss breach does once its flag is raised (DESIGN.md "Stop-loss rules").

- A breach raises one ``stop_loss`` flag per (use case, rule, period) — a database constraint.
  The transaction that creates it (and only that one) applies the rule's action: ``redesign``
  returns a use case in rollout or scaled to redesign with funding conditional through
  ``usecases.transitions`` (the use case row is locked first, so a concurrent sweep cannot apply
  it twice; the reason names the breach and the review, the ``StageTransition`` the flag), and
  the value owner and every PMO member are notified.
- A correction that removes a breach withdraws its flag (``reviews.withdrawals``): resolved and
  the stage restored when nothing else changed the use case since, else marked for the PMO.
  A flag the PMO resolved (the breach accepted) is never raised again for the same period; a
  flag whose breach a correction withdrew (resolved as withdrawn, or resolved by the PMO after
  the "breach withdrawn" mark) no longer stands (``Flag.objects.standing()``): a later
  correction that brings the breach back raises a new flag, with its action.
- * Early-warning signals raise flags that change no stage and notify nobody in the app (they
  are shown on the flags page and wherever flags are shown; the chat channels subscribed to
  early warnings get them, ``usecases.alerts``); while a signal's flag is open on a use case,
  the signal raises no further flag for later periods (one open warning per signal).
- A breach or signal at a period older than the look-back (``reviews.lookback``) is recorded as a
  historical flag (never open): no stage change, nobody notified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from usecases import alerts, transitions
from usecases.audit import fit
from usecases.fastpaths import bulk_history_of_created
from usecases.models import AlertEvent, TransitionCause, UseCase
from usecases.roles import PMO

from .breaches import Breach
from .flags import flag_raise, flag_row
from .models import Flag, RuleAction
from .targets import Trigger

STOP_LOSS_NOTICE = "stop_loss"
EARLY_WARNING = "early_warning"
alerts.route(STOP_LOSS_NOTICE, AlertEvent.FLAG_RAISED)


class WithdrawalEffect:
    """What a withdrawal did (``Withdrawn.effect``)."""

    #: a) the flag is resolved and the stage/funding it changed are back to before it.
    RESTORED = "restored"
    #: b) something else changed the use case since: the flag stays open, marked, for the PMO.
    PMO_TO_RESOLVE = "pmo_to_resolve"
    #: c) the flag moved no stage: it is resolved, nothing else changes.
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Withdrawn:
    """One stop-loss flag whose breach a review correction removed (``reviews.withdrawals``)."""

    flag: Flag
    #: The rule's metric on the corrected review(s), in the rule's units (None: not known).
    observed_now: Decimal | None
    effect: str  # a ``WithdrawalEffect``
    #: (stage, funding) put back (``RESTORED``), or the PMO may put back (``PMO_TO_RESOLVE``).
    restore_to: tuple[str, str] | None
    message: str


@dataclass
class Outcome:
    """What an evaluation did."""

    flags: list[Flag] = field(default_factory=list)
    #: (use case id, previous stage) of every use case moved to redesign.
    stage_changes: list[tuple[int, str]] = field(default_factory=list)
    #: The stage/funding moves made, by the pk of the flag that made them.
    moves: dict[int, transitions.Plan] = field(default_factory=dict)
    #: Breaches and signals recorded as historical (``reviews.lookback``): no flag opened.
    historical: list[Flag] = field(default_factory=list)
    #: The flags whose breach a correction removed, and what was done about each.
    withdrawn: list[Withdrawn] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.flags += other.flags
        self.stage_changes += other.stage_changes
        self.moves.update(other.moves)
        self.historical += other.historical
        self.withdrawn += other.withdrawn


@dataclass
class Candidate:
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
    #: Its period is older than the look-back (``reviews.lookback``): recorded, no action.
    historical: bool = False


class PmoRecipients:
    """The PMO members, read once per evaluation and only if someone is to be notified."""

    _users = None

    def __call__(self):
        if self._users is None:
            self._users = list(
                get_user_model().objects.filter(groups__name=PMO, is_active=True).distinct()
            )
        return self._users


def raise_candidate(candidate: Candidate, pmo_members: PmoRecipients) -> Outcome:
    """Raise one candidate flag in a savepoint. For a ``redesign`` rule the use case row is
    locked *before* the flag is inserted: a concurrent evaluation of the same breach waits for
    this transaction, then finds the stage already changed and the flag already there."""
    outcome = Outcome()
    breach = candidate.breach
    with transaction.atomic():
        locked = planned = None
        if _returns_to_redesign(candidate):
            locked = transitions.lock(candidate.use_case.pk)
            planned = transitions.plan(
                locked, move=transitions.Move.RETURN_TO_REDESIGN, reason=_move_reason(candidate)
            )
        flag, created = flag_raise(flag_row(**_flag_fields(candidate, planned)))
        if not created:
            return outcome
        if candidate.historical:
            outcome.historical.append(flag)
            return outcome
        outcome.flags.append(flag)
        if breach is None:
            alerts.publish(**_early_warning_event(flag, candidate))
            return outcome
        notice = _stop_loss_notice(flag, candidate, breach)
        if planned is not None and planned.allowed:
            cause = _cause(flag, candidate)
            transitions.apply(locked, planned, cause=cause, notice=notice, cc=pmo_members())
            outcome.stage_changes.append((locked.pk, planned.stage_before))
            outcome.moves[flag.pk] = planned
        else:
            transitions.tell(candidate.use_case, notice, cc=pmo_members())
    return outcome


def raise_many(candidates: list[Candidate], pmo_members: PmoRecipients) -> Outcome:
    """``raise_candidate`` of each candidate (in order: ``new_candidates``'s, none flagged yet as
    far as it saw), the writes in bulk (issue 20: the sweep's first run): the use case rows to
    return to redesign locked in one statement (id order) *before* the flags are inserted, the
    flags and their history in one INSERT each, the stage changes through
    ``transitions.apply_many`` (a ``StageTransition`` per flag naming it, a history record per
    use case) with every notice of the batch (``transitions.tell_many``: the e-mails are one
    Celery task after commit), the early warnings to the chat channels (``alerts.publish_many``,
    one more task). The same
    records as ``raise_candidate`` one by one (``tests/reviews/test_sweep_bulk.py``), in a
    fixed number of statements whatever the number of flags.

    In a savepoint: when a concurrent evaluation raised one of these flags meanwhile (the
    unique constraint on standing flags; PostgreSQL lets our INSERT wait for it to commit), the
    savepoint is rolled back and the candidates are raised one by one, which turns each such
    flag into "not created" as ``flag_raise`` does."""
    if not candidates:
        return Outcome()
    try:
        with transaction.atomic():
            return _raise_in_bulk(candidates, pmo_members)
    except IntegrityError:
        outcome = Outcome()
        for candidate in candidates:
            outcome.extend(raise_candidate(candidate, pmo_members))
        return outcome


def _raise_in_bulk(candidates: list[Candidate], pmo_members: PmoRecipients) -> Outcome:
    movers = [c for c in candidates if _returns_to_redesign(c)]
    locked = transitions.lock_many(c.use_case.pk for c in movers) if movers else {}
    # A use case deleted since it was judged: nothing to flag (``lock`` would raise).
    candidates = [c for c in candidates if not _returns_to_redesign(c) or c.use_case.pk in locked]
    movers = [c for c in movers if c.use_case.pk in locked]
    planned = dict(
        zip(
            map(id, movers),
            transitions.plan_many(
                (locked[c.use_case.pk], transitions.Move.RETURN_TO_REDESIGN, _move_reason(c))
                for c in movers
            ),
            strict=True,
        )
    )
    flags = [flag_row(**_flag_fields(c, planned.get(id(c)))) for c in candidates]
    Flag.objects.bulk_create(flags)
    bulk_history_of_created(Flag, flags)
    outcome = Outcome()
    steps, told, warnings = [], [], []
    for candidate, flag in zip(candidates, flags, strict=True):
        if candidate.historical:
            outcome.historical.append(flag)
            continue
        outcome.flags.append(flag)
        if candidate.breach is None:
            warnings.append(_early_warning_event(flag, candidate))
            continue
        notice = _stop_loss_notice(flag, candidate, candidate.breach)
        move = planned.get(id(candidate))
        if move is not None and move.allowed:
            use_case = locked[candidate.use_case.pk]
            steps.append(transitions.Step(use_case, move, _cause(flag, candidate), notice))
            outcome.stage_changes.append((use_case.pk, move.stage_before))
            outcome.moves[flag.pk] = move
        else:
            told.append((candidate.use_case, notice))
    if steps:
        transitions.apply_many(steps, cc=pmo_members(), also_tell=told)
    elif told:
        transitions.tell_many(told, cc=pmo_members())
    alerts.publish_many(warnings)
    return outcome


def _returns_to_redesign(candidate: Candidate) -> bool:
    """A current breach of a ``redesign`` rule: its flag returns the use case to redesign."""
    breach = candidate.breach
    return (
        not candidate.historical
        and breach is not None
        and breach.rule.action == RuleAction.REDESIGN
    )


def _move_reason(candidate: Candidate) -> str:
    return f"stop-loss: {candidate.breach.summary()} ({candidate.trigger.described})"


def _flag_fields(candidate: Candidate, planned: transitions.Plan | None) -> dict:
    """``flag_row``'s arguments for ``candidate``; the explanation says where the use case
    moved when ``planned`` is allowed."""
    breach = candidate.breach
    explanation = candidate.explanation
    if planned is not None and planned.allowed:
        explanation += " " + planned.sentence()
    return dict(
        use_case_id=candidate.use_case.pk,
        kind=candidate.kind,
        rule_key=candidate.rule_key,
        period=candidate.period,
        rule=breach.rule if breach else None,
        observed=candidate.observed,
        threshold=candidate.threshold,
        explanation=explanation,
        triggered_by=candidate.triggered_by,
        historical=candidate.historical,
    )


def _cause(flag: Flag, candidate: Candidate) -> transitions.Cause:
    return transitions.Cause(
        TransitionCause.STOP_LOSS,
        flag.pk,
        f"stop-loss flag #{flag.pk} ({candidate.trigger.described})",
    )


def _stop_loss_notice(flag: Flag, candidate: Candidate, breach: Breach) -> transitions.Notice:
    use_case = candidate.use_case
    return transitions.Notice(
        kind=STOP_LOSS_NOTICE,
        subject=flag,
        period=flag.period,
        title=fit(f"Stop-loss on {use_case.name}: {breach.summary()}", 200),
        body=f"{flag.explanation}\n\nTriggered by {candidate.trigger.label}.",
        url=f"{reverse('reviews:flags')}?use_case={use_case.pk}",
    )


def _early_warning_event(flag: Flag, candidate: Candidate) -> dict:
    """An early-warning signal notifies nobody in the app (it shows on the flags page), but it is
    an alert event of its own for the chat channels subscribed to it (``alerts.publish``'s
    arguments)."""
    use_case = candidate.use_case
    return dict(
        event=AlertEvent.EARLY_WARNING,
        kind=EARLY_WARNING,
        subject=flag,
        period=flag.period,
        title=fit(f"Early warning on {use_case.name}: {flag.get_kind_display()}", 200),
        body=flag.explanation,
        url=f"{reverse('reviews:flags')}?use_case={use_case.pk}",
        use_case_ids=[use_case.pk],
    )


def who_is_notified(use_case: UseCase, *, past: bool) -> str:
    """ "Olivia Owens and the PMO are notified" (``past``: "were"); "the PMO is notified" when
    the use case has no value owner. The one wording of the review messages and previews."""
    owner = use_case.value_owner if use_case.value_owner_id else None
    if owner is None:
        return f"the PMO {'was' if past else 'is'} notified"
    name = owner.get_full_name() or owner.username
    return f"{name} and the PMO {'were' if past else 'are'} notified"
