"""What a gate tells people (issue 15, item 5): in the inbox and by e-mail, each once.

Every notice is a ``usecases.notify`` notification — one row per (recipient, kind, subject,
period), the unique constraint making it once whoever races — written in the transaction of the
change it is about; its e-mail is enqueued after commit (``notify``/``notify_many``). The period
is the gate's quarter.

- voting opened → every Leadership member (``gate_voting_opened``), with the agenda link;
- 3 days before ``closes_on`` → each member who has not voted on every item
  (``gate_vote_reminder``, sent by ``reminders.remind_voters``), with the agenda link;
- gate closed → the chair, "N decisions to record" (``gate_decisions_to_record``), and the PMO
  (``gate_closed``), with the agenda link;
- decision recorded → the value owner and the PMO (``gate_decision``): the decision, the vote
  outcome, the rationale, stage and funding before → after, and a link to the item's page, which
  shows the pack frozen at closing.

The decision notice goes through ``usecases.transitions`` (``decision_notice`` builds it,
``decisions`` hands it to ``transitions.apply`` with the PMO copied), as every stage change's.
"""

from django.utils import timezone

from usecases import alerts
from usecases.audit import fit
from usecases.models import AlertEvent, Funding, Notification, Stage
from usecases.notify import draft, notify, notify_many
from usecases.transitions import Notice, Plan

from .members import leadership_members, pmo_members
from .models import Choice, Decision, Gate, GateItem

KIND_VOTING_OPENED = "gate_voting_opened"
KIND_VOTE_REMINDER = "gate_vote_reminder"
KIND_DECISIONS_TO_RECORD = "gate_decisions_to_record"
KIND_CLOSED = "gate_closed"
KIND_DECISION = "gate_decision"

TITLE_MAX = Notification._meta.get_field("title").max_length


def _agenda(gate: Gate) -> list[int]:
    """The use cases on ``gate``'s agenda: their owners' personal channels get its alerts."""
    return list(gate.items.values_list("use_case_id", flat=True))


alerts.route(KIND_VOTING_OPENED, AlertEvent.GATE_VOTING_OPENED, use_cases=_agenda)
alerts.route(KIND_CLOSED, AlertEvent.GATE_CLOSED, use_cases=_agenda)
alerts.route(KIND_DECISION, AlertEvent.DECISION_RECORDED)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _name(user) -> str:
    if user is None:
        return "a rule"
    return user.get_full_name() or user.username


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}"


def position(stage: str, funding: str) -> str:
    """``"Scaled / Funded"``."""
    return f"{Stage(stage).label} / {Funding(funding).label}"


# --- voting ---------------------------------------------------------------------------------------
def voting_opened(gate: Gate, *, items: list[GateItem]) -> int:
    """Tell every Leadership member that ``gate`` is open for votes, with the agenda (its page).
    Returns how many notifications were new."""
    names = "; ".join(item.use_case.name for item in items)
    body = (
        f"On the agenda ({len(items)}): {names}.\n"
        f"Voting closes on {gate.closes_on:%Y-%m-%d}. Votes are blind: you see the others' "
        "votes on an item once you have cast yours."
    )
    return notify_many(
        draft(
            recipient_id=member.pk,
            kind=KIND_VOTING_OPENED,
            subject=gate,
            period=gate.quarter,
            title=f"Gate {gate.quarter}: voting is open on {_count(len(items), 'item')}",
            body=body,
            url=gate.get_absolute_url(),
        )
        for member in leadership_members()
    )


def vote_reminder(gate: Gate, *, member, missing: int, items: int) -> bool:
    """Remind ``member`` of the ``missing`` of ``items`` items they have not voted on (once per
    gate). Returns whether the notification is new."""
    _, created = notify(
        recipient=member,
        kind=KIND_VOTE_REMINDER,
        subject=gate,
        period=gate.quarter,
        title=f"Gate {gate.quarter}: your vote is missing on {missing} item(s)",
        body=(
            f"Voting at gate {gate.quarter} closes on {gate.closes_on:%Y-%m-%d}. "
            f"You have not voted on {missing} of {items} item(s)."
        ),
        url=gate.get_absolute_url(),
    )
    return created


# --- closing ------------------------------------------------------------------------------------
def gate_closed(gate: Gate, *, items: list[GateItem]) -> int:
    """Tell the chair how many decisions they have to record, and the PMO that ``gate`` closed
    (``items``: its agenda with the outcomes fixed at closing). Returns how many were new."""
    total = len(items)
    with_outcome = sum(1 for item in items if item.outcome)
    without = total - with_outcome
    closed = f"Closed by {_name(gate.closed_by)} on {_day(gate.closed_at)}"
    url = gate.get_absolute_url()
    drafts = []
    if gate.chair_id is not None and gate.chair.is_active:
        lines = [
            f"You chair gate {gate.quarter}. {closed}; each item's pack is frozen as it was "
            "at closing.",
        ]
        if with_outcome:
            lines.append(
                f"{_count(with_outcome, 'item')} with a vote outcome: record it, or depart from "
                "it with a written rationale."
            )
        if without:
            lines.append(
                f"{_count(without, 'item')} without a vote outcome (no quorum or a tie): choose "
                "the decision."
            )
        lines.append(
            "Nothing changes a use case until you record its decision; an item left undecided "
            "is carried over to the next gate."
        )
        drafts.append(
            draft(
                recipient_id=gate.chair_id,
                kind=KIND_DECISIONS_TO_RECORD,
                subject=gate,
                period=gate.quarter,
                title=f"Gate {gate.quarter} closed: {_count(total, 'decision')} to record",
                body="\n".join(lines),
                url=url,
            )
        )
    chair = _name(gate.chair) if gate.chair_id else "no chair named"
    pmo_body = (
        f"{closed}; the packs are frozen as they were at closing.\n"
        f"{_count(total, 'item')}: {with_outcome} with a vote outcome, {without} without. "
        f"The chair ({chair}) records the decisions; items left undecided are carried over to "
        "the next gate."
    )
    drafts += [
        draft(
            recipient_id=member.pk,
            kind=KIND_CLOSED,
            subject=gate,
            period=gate.quarter,
            title=f"Gate {gate.quarter} closed: {_count(total, 'decision')} for the chair",
            body=pmo_body,
            url=url,
        )
        for member in pmo_members()
    ]
    return notify_many(drafts)


# --- decisions ----------------------------------------------------------------------------------
def decision_notice(
    *, gate: Gate, item: GateItem, use_case_name: str, record: Decision, planned: Plan, why_none=""
) -> Notice:
    """What the value owner and the PMO are told of ``record``: the decision, the vote outcome
    (or why there was none: ``why_none``), the rationale, stage and funding before → after, and
    a link to the pack frozen at closing (the item page)."""
    choice = Choice(record.decision)
    lines = [
        f"Decision: {choice.label}, recorded by {_name(record.decided_by)} on "
        f"{_day(record.decided_at)}."
    ]
    if not record.outcome:
        lines.append(f"Vote outcome: none — {why_none or 'no majority'}; the chair chose.")
    elif record.is_override:
        lines.append(f"Vote outcome: {Choice(record.outcome).label}; the chair departed from it.")
    else:
        lines.append(f"Vote outcome: {Choice(record.outcome).label}.")
    lines.append(f"Rationale: {record.rationale}" if record.rationale else "Rationale: none given.")
    before = position(planned.stage_before, planned.funding_before)
    after = position(planned.stage_after, planned.funding_after)
    lines.append(
        f"Stage and funding: {before} → {after}."
        if planned.changes
        else f"Stage and funding: unchanged, {before}."
    )
    if record.snapshot is not None:
        lines.append(
            f"Decided on the gate pack frozen at closing ({_day(record.snapshot.taken_at)}): "
            "open it from this notice."
        )
    return Notice(
        kind=KIND_DECISION,
        subject=item,
        period=gate.quarter,
        title=fit(
            f"Gate {gate.quarter} decision: {choice.label.lower()} for {use_case_name}", TITLE_MAX
        ),
        body="\n".join(lines),
        url=item.get_absolute_url(),
    )


def decision_copied_to():
    """Who is told of a decision besides the value owner: the PMO."""
    return list(pmo_members())
