"""The chair's decisions and what they do to the use case (DESIGN.md "Stage gates").

A decision applies at once, in the transaction that records it, as the move of the same name of
``usecases.transitions`` (scale → scaled/funded, redesign → redesign/conditional, hold →
on_hold/frozen, stop → stopped/ended): the chair is the actor, the reason names the gate, the
``StageTransition`` names the decision, and the value owner and the PMO are notified
(``notices.decision_notice``).

Funding follows conditions: ``scale`` is refused while the use case has an open
stop-loss flag or a checklist item of the translation, adoption, execution or quality sections
answered ``no`` (``scale_blockers``). A decision is recorded once per item.

Decisions are explicit (issue 15): nothing changes a use case unless the chair records a decision
on its item. Without a decision given, the vote outcome is taken — but an item without an outcome
(no quorum, a tie) needs the chair to choose one. Departing from an outcome needs a written
rationale; a rationale is always accepted. Before recording, every choice shows its consequence
(``consequences``: the pure ``usecases.transitions.plan`` of its move), and once recorded the
decision's ``effect`` is read from its ``StageTransition``.
A decision names the pack frozen at closing it was taken on (``Decision.snapshot``) and
withdraws the item's carry-over from a later draft gate (``carryover.settle``).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from reviews.models import Flag, FlagKind
from usecases import clock
from usecases.audit import stamp
from usecases.models import (
    CHECKLIST_SECTIONS,
    SCALE_BLOCKING_SECTIONS,
    Answer,
    ChecklistAnswer,
    ChecklistItem,
    Funding,
    Stage,
    StageTransition,
    UseCase,
)
from usecases.text import check_field
from usecases.transitions import Cause, Move, Plan, TransitionCause
from usecases.transitions import apply as transition_apply
from usecases.transitions import lock as lock_use_case
from usecases.transitions import plan as transition_plan

from . import carryover, notices
from .models import Choice, Decision, Gate, GateItem, GateItemSnapshot, GateStatus
from .permissions import can_decide
from .voting import tallies

#: The move each decision makes (``usecases.transitions.EFFECTS`` says where it leads).
MOVES = {
    Choice.SCALE: Move.SCALE,
    Choice.REDESIGN: Move.REDESIGN,
    Choice.HOLD: Move.HOLD,
    Choice.STOP: Move.STOP,
}
BLOCKING_ITEMS = tuple(
    code for section in SCALE_BLOCKING_SECTIONS for code in CHECKLIST_SECTIONS[section][1]
)
RATIONALE_FOR_OVERRIDE = (
    "The vote outcome is “{outcome}”: departing from it needs a written rationale."
)
SCALE_BLOCKED = "Scale is blocked while these conditions hold."
CHOOSE_WITHOUT_OUTCOME = "There is no vote outcome: {why}. Choose a decision."
CHOOSE = "Choose scale, redesign, hold or stop."


@dataclass(frozen=True)
class Blocker:
    code: str  # "stop_loss:<flag id>" or "checklist:<item>"
    message: str


def blockers_from(open_stop_loss_flags: Iterable, no_answers: Iterable) -> list[Blocker]:
    """The blocking conditions, from open stop-loss flags and checklist answers of ``no``."""
    labels = dict(ChecklistItem.choices)
    blockers = [
        Blocker(
            f"stop_loss:{flag.pk}",
            f"Open stop-loss flag ({flag.period}): {flag.explanation}",
        )
        for flag in open_stop_loss_flags
    ]
    blockers += [
        Blocker(
            f"checklist:{answer.item}",
            f"Checklist {answer.item} “{labels[answer.item]}” is answered “no”.",
        )
        for answer in sorted(no_answers, key=lambda a: BLOCKING_ITEMS.index(a.item))
        if answer.item in BLOCKING_ITEMS and answer.answer == Answer.NO
    ]
    return blockers


def scale_blockers(use_case_ids) -> dict[int, list[Blocker]]:
    """``{use_case_id: [Blocker, ...]}`` (empty list: scale may be decided). Two queries."""
    ids = list(use_case_ids)
    flags: dict[int, list] = defaultdict(list)
    for flag in (
        Flag.objects.open().filter(use_case_id__in=ids, kind=FlagKind.STOP_LOSS).order_by("pk")
    ):
        flags[flag.use_case_id].append(flag)
    answers: dict[int, list] = defaultdict(list)
    for answer in ChecklistAnswer.objects.filter(
        use_case_id__in=ids, item__in=BLOCKING_ITEMS, answer=Answer.NO
    ):
        answers[answer.use_case_id].append(answer)
    return {pk: blockers_from(flags[pk], answers[pk]) for pk in ids}


class ScaleBlocked(ValidationError):
    """``scale`` was asked for while blocking conditions hold; ``blockers`` lists them."""

    def __init__(self, blockers: list[Blocker]):
        self.blockers = blockers
        super().__init__(
            {
                "decision": [SCALE_BLOCKED],
                "blocking_conditions": [b.message for b in blockers],
            }
        )


def _reason(gate: Gate, choice: str) -> str:
    return f"Gate {gate.quarter} decision: {Choice(choice).label.lower()}"


@dataclass(frozen=True)
class Consequence:
    """What recording ``choice`` would do to the use case, before it is recorded."""

    choice: str
    use_case_name: str
    plan: Plan
    blockers: tuple[Blocker, ...] = ()  # scale only: why it would be refused

    @property
    def label(self) -> str:
        return Choice(self.choice).label

    @property
    def sentence(self) -> str:
        """``"Hold: Complaint classifier moves from Scaled / Funded to On hold / Frozen"``."""
        p = self.plan
        before = f"{Stage(p.stage_before).label} / {Funding(p.funding_before).label}"
        after = f"{Stage(p.stage_after).label} / {Funding(p.funding_after).label}"
        if not p.changes:
            return f"{self.label}: {self.use_case_name} stays at {before}"
        return f"{self.label}: {self.use_case_name} moves from {before} to {after}"


def consequences(item: GateItem, *, blockers: list[Blocker]) -> list[Consequence]:
    """The consequence of each decision on ``item``'s use case as it is now (no query: ``plan``
    is pure); ``blockers`` are the use case's scale blockers (the gate pack has them)."""
    use_case = item.use_case
    return [
        Consequence(
            choice=choice,
            use_case_name=use_case.name,
            plan=transition_plan(use_case, move=MOVES[choice], reason=_reason(item.gate, choice)),
            blockers=tuple(blockers) if choice == Choice.SCALE else (),
        )
        for choice in Choice
    ]


def effect_of(decision: Decision) -> dict[str, str] | None:
    """``{stage_before, stage_after, funding_before, funding_after}`` of what ``decision`` did,
    from its ``StageTransition`` (None if there is none)."""
    moved = (
        StageTransition.objects.filter(
            cause_kind=TransitionCause.GATE_DECISION, cause_id=decision.pk
        )
        .order_by("pk")
        .values("stage_before", "stage_after", "funding_before", "funding_after")
        .first()
    )
    return dict(moved) if moved else None


def decision_record(*, user, item: GateItem, decision: str | None, rationale: str = "") -> Decision:
    """Record the chair's decision on ``item`` and apply it to the use case, in one transaction.

    ``decision`` empty means "the vote outcome", and is refused when the item has none (no quorum,
    a tie). Raises ``PermissionDenied`` unless ``user`` is the chair (or an admin);
    ``ValidationError`` when the gate is not closed, the item is already decided or off the
    agenda, no decision is chosen where there is no outcome, the decision departs from the outcome
    without a rationale, or ``ScaleBlocked`` (a ``ValidationError``) when scale is blocked.
    """
    gate = item.gate
    if not can_decide(user, gate):
        raise PermissionDenied("Only the gate's chair records decisions.")
    rationale = (rationale or "").strip()
    check_field(Decision, "rationale", rationale)
    with transaction.atomic():
        gate = Gate.objects.select_for_update().get(pk=gate.pk)
        if gate.status != GateStatus.CLOSED:
            raise ValidationError({"gate": ["Decisions are recorded after the gate is closed."]})
        item = GateItem.objects.select_for_update().get(pk=item.pk)
        if item.removed_at is not None:
            raise ValidationError({"item": ["This use case is not on the agenda."]})
        if Decision.objects.filter(item=item).exists():
            raise ValidationError({"decision": ["This item has been decided already."]})
        outcome = item.outcome
        if not decision and not outcome:
            raise ValidationError(
                {"decision": [CHOOSE_WITHOUT_OUTCOME.format(why=_why_none(item, gate))]}
            )
        decision = decision or outcome
        if decision not in Choice.values:
            raise ValidationError({"decision": [CHOOSE]})
        if outcome and decision != outcome and not rationale:
            outcome_label = Choice(outcome).label.lower()
            raise ValidationError(
                {"rationale": [RATIONALE_FOR_OVERRIDE.format(outcome=outcome_label)]}
            )
        use_case = lock_use_case(item.use_case_id)
        if decision == Choice.SCALE:
            blockers = scale_blockers([use_case.pk])[use_case.pk]
            if blockers:
                raise ScaleBlocked(blockers)
        now = clock.now()
        record = Decision(
            item=item,
            decision=decision,
            outcome=outcome,
            rationale=rationale,
            decided_by=user,
            decided_at=now,
            snapshot=GateItemSnapshot.objects.filter(item=item).first(),  # the pack it was taken on
        )
        stamp(record, user=user, reason=f"Gate {gate.quarter}")
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            raise ValidationError({"decision": ["This item has been decided already."]}) from None
        _apply(use_case, record, gate=gate, item=item)
        carryover.settle(item, gate)
    return record


def _why_none(item: GateItem, gate: Gate) -> str:
    """Why ``item`` has no outcome: "no quorum (…)" or "tied (…)" (the quorum of the closing)."""
    if gate.quorum_at_close is None:
        return "no majority"
    return tallies([item.pk], members=gate.members_at_close, quorum=gate.quorum_at_close)[
        item.pk
    ].text


def _apply(use_case: UseCase, record: Decision, *, gate: Gate, item: GateItem) -> None:
    """The decision's move on the (locked) use case; its value owner and the PMO are told
    (``notices.decision_notice``: the decision, the rationale, before → after, the frozen pack)."""
    reason = _reason(gate, record.decision)
    planned = transition_plan(use_case, move=MOVES[Choice(record.decision)], reason=reason)
    transition_apply(
        use_case,
        planned,
        cause=Cause(TransitionCause.GATE_DECISION, record.pk, f"{reason} (decision #{record.pk})"),
        actor=record.decided_by,
        notice=notices.decision_notice(
            gate=gate,
            item=item,
            use_case_name=use_case.name,
            record=record,
            planned=planned,
            why_none="" if record.outcome else _why_none(item, gate),
        ),
        cc=notices.decision_copied_to(),
    )
