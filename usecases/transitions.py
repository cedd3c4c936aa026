"""Every change of a use case's stage or funding goes through here (DESIGN.md "Stage gates",
"Stop-loss rules"): the stop-loss return to redesign, the gate decisions and the PMO's edits.

The service owns, in one place:

- the moves and where they lead (``EFFECTS``), and the stages each may start from
  (``FROM_STAGES``): a stop-loss returns only a use case in rollout or scaled to redesign;

  ==================  ============  ===========
  move                stage         funding
  ==================  ============  ===========
  scale               scaled        funded       (``scaled_on`` set to today if empty)
  redesign            redesign      conditional
  hold                on_hold       frozen
  stop                stopped       ended
  return_to_redesign  redesign      conditional  (stop-loss; from rollout or scaled only)
  edit                as the PMO sets them       (from any stage)
  ==================  ============  ===========

- the written reason every change needs;
- the audit: a ``StageTransition`` row (before → after, who, why, and the flag, gate decision or
  edit that caused it) and the simple-history record of the use case, stamped with the actor
  and the reason;
- the notification of the value owner (``usecases.notify``: one per recipient, kind, subject and
  period), when the caller says what to tell;
- the guards: checks that other apps register (``register_guard``; ``usecases`` imports no other
  app) and that refuse a PMO edit (``GUARDED_MOVES``) — e.g. ``reviews`` refuses leaving redesign
  while a stop-loss flag is open. A gate decision is where such a condition is overruled, so the
  gate moves and the stop-loss return are not guarded. ``apply()`` runs them on the locked row
  (they may query); ``refusals()`` lets a caller show them beside its other field messages.

``plan()`` previews a change without writing (before → after, or why it is refused);
``apply()`` writes a plan on a use case row the caller locked (``lock()``) in its transaction;
``transition()`` does all three in one transaction.

For many use cases at once (the stop-loss sweep's first run, issue 20): ``lock_many()``,
``plan_many()`` and ``apply_many()`` are the same rule, checks and records — each change still
has its own ``StageTransition`` (who, why, which flag), history record and notice — written in
a fixed number of statements whatever the number of use cases; ``tell_many()`` is ``tell()``
for many notices.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import alerts, clock
from .audit import UNSET, fit, stamp
from .fastpaths import bulk_history
from .models import Funding, Stage, StageTransition, TransitionCause, UseCase
from .notify import Draft, notify, notify_many


class Move(StrEnum):
    SCALE = "scale"
    REDESIGN = "redesign"
    HOLD = "hold"
    STOP = "stop"
    RETURN_TO_REDESIGN = "return_to_redesign"
    EDIT = "edit"


#: Where each move leads: (stage, funding). ``Move.EDIT`` goes where the PMO says.
EFFECTS = {
    Move.SCALE: (Stage.SCALED, Funding.FUNDED),
    Move.REDESIGN: (Stage.REDESIGN, Funding.CONDITIONAL),
    Move.HOLD: (Stage.ON_HOLD, Funding.FROZEN),
    Move.STOP: (Stage.STOPPED, Funding.ENDED),
    Move.RETURN_TO_REDESIGN: (Stage.REDESIGN, Funding.CONDITIONAL),
}
#: The stages each move may start from.
FROM_STAGES = {move: tuple(Stage) for move in Move} | {
    Move.RETURN_TO_REDESIGN: (Stage.ROLLOUT, Stage.SCALED),
}

REASON_REQUIRED = "Write a reason for changing the stage or funding."
CAUSE_LABEL_MAX = 200  # StageTransition.cause_label
#: The moves the registered guards judge: the PMO's edits. A gate decision overrules a guard
#: (the stop-loss flag's "resolve it, or decide at a gate"); the stop-loss return is the rule.
GUARDED_MOVES = (Move.EDIT,)


@dataclass(frozen=True)
class Cause:
    """What caused a change: a stop-loss flag, a gate decision, a PMO edit (kind, id, label)."""

    kind: TransitionCause
    id: int | None
    label: str


@dataclass(frozen=True)
class Notice:
    """What to tell the value owner (and ``cc``) about a change: ``usecases.notify`` arguments.
    ``subject`` None: the ``StageTransition`` record the change writes (one notice per change)."""

    kind: str
    subject: object | None
    period: str
    title: str
    body: str = ""
    url: str = ""


@dataclass(frozen=True)
class Plan:
    """A change previewed: before → after, the reason, and why it is refused (``blocked``)."""

    use_case_id: int
    move: Move
    stage_before: str
    funding_before: str
    stage_after: str
    funding_after: str
    reason: str
    blocked: str | None = None
    blocked_field: str = "stage"

    @property
    def allowed(self) -> bool:
        return self.blocked is None

    @property
    def changes(self) -> bool:
        return (self.stage_before, self.funding_before) != (self.stage_after, self.funding_after)

    def sentence(self) -> str:
        """``The use case moved from Rollout to Redesign; funding is now conditional.``"""
        return (
            f"The use case moved from {Stage(self.stage_before).label} to "
            f"{Stage(self.stage_after).label}; funding is now "
            f"{Funding(self.funding_after).label.lower()}."
        )


class TransitionRefused(ValidationError):
    """``apply`` was asked for a plan that is refused; the message is at the plan's field."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__({plan.blocked_field: [plan.blocked]})


#: A guard: ``(locked use case, plan) → why the plan is refused, or None``. It may query.
Guard = Callable[[UseCase, "Plan"], str | None]
_GUARDS: list[Guard] = []


def register_guard(guard: Guard) -> None:
    """Add ``guard`` to the checks of every guarded move (once, however often it is called:
    an app registers its guards in ``AppConfig.ready()``)."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def refusals(use_case: UseCase, planned: Plan) -> list[str]:
    """Why the registered guards refuse ``planned`` on ``use_case`` (empty: they let it pass).
    Only a move in ``GUARDED_MOVES`` that changes something is judged."""
    if planned.move not in GUARDED_MOVES or not planned.changes:
        return []
    return [why for guard in _GUARDS if (why := guard(use_case, planned))]


def lock(use_case_id: int) -> UseCase:
    """The use case row, locked until the end of the caller's transaction (with its value
    owner, whom a change notifies)."""
    return (
        UseCase.objects.select_for_update(of=("self",))
        .select_related("value_owner")
        .get(pk=use_case_id)
    )


def lock_many(use_case_ids: Iterable[int]) -> dict[int, UseCase]:
    """``lock()`` for many use cases in one statement, in id order (two callers locking
    overlapping sets wait for each other instead of deadlocking). A use case deleted meanwhile
    is missing from the answer."""
    return {
        uc.pk: uc
        for uc in UseCase.objects.select_for_update(of=("self",))
        .select_related("value_owner")
        .filter(pk__in=sorted(set(use_case_ids)))
        .order_by("pk")
    }


def plan(
    use_case: UseCase,
    *,
    move: Move | str,
    reason: str,
    stage: str | None = None,
    funding: str | None = None,
) -> Plan:
    """Preview ``move`` on ``use_case`` (as it is in memory): no query, no write. ``stage`` and
    ``funding`` are for ``Move.EDIT`` only (not given: unchanged)."""
    move = Move(move)
    if move == Move.EDIT:
        after = (stage or use_case.stage, funding or use_case.funding_status)
    else:
        if stage is not None or funding is not None:
            raise TypeError(f"{move} sets stage and funding itself")
        after = EFFECTS[move]
    blocked, field = None, "stage"
    reason = (reason or "").strip()
    if not reason:
        blocked, field = REASON_REQUIRED, "reason"
    elif use_case.stage not in FROM_STAGES[move]:
        allowed = " or ".join(Stage(s).label.lower() for s in FROM_STAGES[move])
        blocked = (
            f"A use case in {Stage(use_case.stage).label.lower()} cannot {move.replace('_', ' ')}"
            f": only one in {allowed} can."
        )
    return Plan(
        use_case_id=use_case.pk,
        move=move,
        stage_before=use_case.stage,
        funding_before=use_case.funding_status,
        stage_after=after[0],
        funding_after=after[1],
        reason=reason,
        blocked=blocked,
        blocked_field=field,
    )


def plan_many(requests: Iterable[tuple[UseCase, Move | str, str]]) -> list[Plan]:
    """``plan()`` of each (use case, move, reason) in turn, each seeing the stage and funding the
    allowed plans before it in the list leave its use case in (as ``apply()`` one by one would:
    a second stop-loss on a use case the first returned to redesign is refused). No query."""
    after: dict[int, tuple[str, str]] = {}
    plans = []
    for use_case, move, reason in requests:
        view = use_case
        if use_case.pk in after:
            view = copy.copy(use_case)
            view.stage, view.funding_status = after[use_case.pk]
        planned = plan(view, move=move, reason=reason)
        if planned.allowed:
            after[use_case.pk] = (planned.stage_after, planned.funding_after)
        plans.append(planned)
    return plans


@dataclass(frozen=True)
class Step:
    """One change of ``apply_many``: a use case locked with ``lock_many()`` in the caller's
    transaction, its plan (from ``plan_many()``), what caused it and what to tell."""

    use_case: UseCase
    planned: Plan
    cause: Cause
    notice: Notice | None = None


def apply(
    use_case: UseCase,
    planned: Plan,
    *,
    cause: Cause,
    actor=None,
    notice: Notice | None = None,
    cc: Iterable = (),
    history_reason: str | None = None,
    save: Callable[[UseCase], None] | None = None,
) -> StageTransition:
    """Write ``planned`` on ``use_case`` — the row the caller locked with ``lock()`` in this
    transaction and planned on — all or nothing: the stage and funding, the history record
    (``actor``, ``history_reason`` or the plan's reason), the ``StageTransition`` naming
    ``cause``, and ``notice`` to the value owner and ``cc`` (each once).

    ``actor`` None: a rule made the change (the history keeps simple-history's user).
    ``save``: how to save the row, for a caller that changed other fields on it too (one history
    record for the whole edit); by default only stage, funding (and ``scaled_on``) are saved.
    Raises ``TransitionRefused`` for a refused or stale plan, or one a guard refuses.
    """
    _check(use_case, planned)
    with transaction.atomic(savepoint=False):
        fields = _move(use_case, planned, actor=actor, history_reason=history_reason)
        if save is None:
            use_case.save(update_fields=fields)
        else:
            save(use_case)
        record = _record(use_case, planned, cause=cause, actor=actor)
        record.save()
        if notice is not None:
            tell(use_case, _about(notice, record), cc=cc)
    return record


def apply_many(
    steps: Sequence[Step],
    *,
    actor=None,
    cc: Iterable = (),
    also_tell: Iterable[tuple[UseCase, Notice]] = (),
) -> list[StageTransition]:
    """``apply()`` of each step in turn (a use case may appear more than once: each step sees
    the ones before it), all or nothing, the writes in bulk: the use case rows (one UPDATE), a
    history record per step (``fastpaths.bulk_history``), a ``StageTransition`` per step naming
    its cause, and the notices (``tell_many``; ``also_tell``: the caller's notices of events
    that moved no stage, told with them — one e-mail task in all). Raises ``TransitionRefused``
    before writing anything if any step is refused. Queries: a fixed number whatever the number
    of steps."""
    steps = list(steps)
    if not steps:
        return []
    now = timezone.now()  # ``updated_at`` (auto_now), which ``bulk_update`` does not set
    fields: set[str] = set()
    snapshots, records = [], []
    for step in steps:
        _check(step.use_case, step.planned)
        fields.update(_move(step.use_case, step.planned, actor=actor, history_reason=None))
        step.use_case.updated_at = now
        snapshots.append(copy.copy(step.use_case))  # its history record: the row after this step
        records.append(_record(step.use_case, step.planned, cause=step.cause, actor=actor))
    rows = list({step.use_case.pk: step.use_case for step in steps}.values())
    with transaction.atomic(savepoint=False):
        _update_rows(rows, sorted(fields))
        bulk_history(UseCase, snapshots, update=True)
        StageTransition.objects.bulk_create(records)
        tell_many(
            [
                (step.use_case, _about(step.notice, record))
                for step, record in zip(steps, records, strict=True)
                if step.notice is not None
            ]
            + list(also_tell),
            cc=cc,
        )
    return records


def _update_rows(rows: list[UseCase], fields: list[str]) -> None:
    """Save ``fields`` of ``rows``: one UPDATE per set of values they share (a batch of stop-loss
    returns shares one: redesign, conditional, the same ``updated_at``). What ``bulk_update``
    writes, without its ``CASE WHEN id = …`` per row and field (issue 20: 40 % of the moves'
    time in cProfile at 58 use cases)."""
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        groups.setdefault(tuple(getattr(row, name) for name in fields), []).append(row.pk)
    for values, pks in groups.items():
        UseCase.objects.filter(pk__in=pks).update(**dict(zip(fields, values, strict=True)))


def _check(use_case: UseCase, planned: Plan) -> None:
    """``TransitionRefused`` unless ``planned`` is allowed, still fits ``use_case`` as it is
    (in memory) and passes the guards."""
    before = (use_case.pk, use_case.stage, use_case.funding_status)
    if not planned.allowed:
        raise TransitionRefused(planned)
    if before != (planned.use_case_id, planned.stage_before, planned.funding_before):
        raise TransitionRefused(
            _refused(planned, "The use case changed meanwhile: review the change and try again.")
        )
    refused = refusals(use_case, planned)
    if refused:
        raise TransitionRefused(_refused(planned, " ".join(refused)))


def _move(use_case: UseCase, planned: Plan, *, actor, history_reason: str | None) -> list[str]:
    """Set the plan's stage and funding on ``use_case`` (in memory) and stamp its history
    record; returns the fields changed."""
    use_case.stage, use_case.funding_status = planned.stage_after, planned.funding_after
    fields = ["stage", "funding_status", "updated_at"]
    if planned.move == Move.SCALE and use_case.scaled_on is None:
        use_case.scaled_on = clock.today()
        fields.append("scaled_on")
    stamp(
        use_case,
        reason=history_reason or planned.reason,
        user=UNSET if actor is None else actor,
    )
    return fields


def _record(use_case: UseCase, planned: Plan, *, cause: Cause, actor) -> StageTransition:
    """The ``StageTransition`` audit row of ``planned`` (not saved yet)."""
    return StageTransition(
        use_case=use_case,
        stage_before=planned.stage_before,
        stage_after=planned.stage_after,
        funding_before=planned.funding_before,
        funding_after=planned.funding_after,
        reason=planned.reason,
        cause_kind=cause.kind,
        cause_id=cause.id,
        cause_label=fit(cause.label, CAUSE_LABEL_MAX),
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=clock.now(),
    )


def _about(notice: Notice, record: StageTransition) -> Notice:
    """``notice`` about ``record`` when it names no subject of its own."""
    return replace(notice, subject=record) if notice.subject is None else notice


def transition(
    *,
    use_case_id: int,
    move: Move | str,
    reason: str,
    cause: Cause,
    actor=None,
    stage: str | None = None,
    funding: str | None = None,
    notice: Notice | None = None,
    cc: Iterable = (),
) -> StageTransition:
    """Lock, plan and apply ``move`` in one transaction (``TransitionRefused`` if refused)."""
    with transaction.atomic():
        locked = lock(use_case_id)
        planned = plan(locked, move=move, reason=reason, stage=stage, funding=funding)
        return apply(locked, planned, cause=cause, actor=actor, notice=notice, cc=cc)


def _refused(planned: Plan, why: str) -> Plan:
    return Plan(**{**planned.__dict__, "blocked": why, "blocked_field": "stage"})


def tell(use_case: UseCase, notice: Notice, *, cc: Iterable = ()) -> None:
    """Notify the value owner of ``use_case`` and ``cc`` of ``notice``, each once (also for a
    caller whose event moved no stage, e.g. a stop-loss flag on a use case in redesign)."""
    recipients = {}
    if use_case.value_owner_id:
        recipients[use_case.value_owner_id] = use_case.value_owner
    for user in cc:
        recipients.setdefault(user.pk, user)
    told = False
    for recipient in recipients.values():
        _, created = notify(
            recipient=recipient,
            kind=notice.kind,
            subject=notice.subject,
            period=notice.period,
            title=notice.title,
            body=notice.body,
            url=notice.url,
            alert=False,
        )
        told = told or created
    if told:  # the chat channels get the event once, however many people were told
        alerts.relay(
            kind=notice.kind,
            subject=notice.subject,
            period=notice.period,
            title=notice.title,
            body=notice.body,
            url=notice.url,
        )


def tell_many(notices: Iterable[tuple[UseCase, Notice]], *, cc: Iterable = ()) -> int:
    """``tell()`` of each (use case, notice): the value owner and ``cc`` notified of each, once;
    each event relayed to the chat channels once; the e-mails enqueued after commit
    (``notify.notify_many``: one Celery task for all of them, which sends each e-mail). A fixed
    number of queries whatever the number of notices (one more per chat event when an enabled
    channel exists). Returns how many notifications were new."""
    cc = list(cc)
    drafts = []
    for use_case, notice in notices:
        recipients = [use_case.value_owner_id] if use_case.value_owner_id else []
        recipients += [user.pk for user in cc if user.pk not in recipients]
        subject_type = ContentType.objects.get_for_model(notice.subject).pk
        drafts += [
            Draft(
                recipient_id=recipient_id,
                kind=notice.kind,
                subject_type_id=subject_type,
                subject_id=notice.subject.pk,
                period=notice.period,
                title=notice.title,
                body=notice.body,
                url=notice.url,
            )
            for recipient_id in recipients
        ]
    return notify_many(drafts)
