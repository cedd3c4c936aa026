"""Reads for the gate pages and the API; each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q

from usecases import clock
from usecases.models import Funding, Stage
from usecases.permissions import can_manage_gates, visible_use_case_ids

from . import carryover, snapshots
from . import permissions as perms
from .gatepack import GatePack, build_packs
from .members import leadership_members
from .models import Gate, GateItem, GateItemSnapshot, GateStatus, Vote
from .voting import ItemVotes, Tally, quorum_for, tallies, tally, votes_for


def gate_list(*, user):
    """The gates ``user`` may see, newest quarter first, with the number of agenda items they
    may see (one query)."""
    on_agenda = Q(items__removed_at__isnull=True)
    visible = visible_use_case_ids(user)
    if visible is not None:
        on_agenda &= Q(items__use_case__in=visible)
    return (
        perms.visible_gates(user)
        .select_related("chair")
        .annotate(item_count=Count("items", filter=on_agenda))
        .order_by("-quarter")
    )


def gate_items(*, user, gate: Gate, removed: bool = False) -> list[GateItem]:
    """The agenda items of ``gate`` that ``user`` may see (or the removed ones), with what the
    packs need in the same query, by use case name."""
    qs = GateItem.objects.filter(gate=gate, removed_at__isnull=not removed)
    items = list(
        perms.visible_items(user, qs)
        .select_related(
            "use_case",
            "use_case__business_case",
            "use_case__value_owner",
            "decision",
            "decision__decided_by",
            "removed_by",
            "snapshot",
        )
        .order_by("use_case__name", "pk")
    )
    for item in items:
        item.gate = gate
    return items


@dataclass
class AgendaLine:
    """An agenda item with its pack and the votes the user may see. ``frozen``: the pack and the
    votes are the snapshot taken at closing (``snapshot``), not today's figures."""

    item: GateItem
    pack: GatePack
    votes: ItemVotes
    tally: Tally | None = None  # closed gates: the count behind the outcome (or its absence)
    snapshot: GateItemSnapshot | None = None
    frozen: bool = False

    @property
    def decision(self):
        try:
            return self.item.decision
        except GateItem.decision.RelatedObjectDoesNotExist:
            return None

    @property
    def snapshot_taken_at(self) -> datetime.datetime | None:
        return self.snapshot.taken_at if self.frozen else None

    @property
    def state_at_closing(self) -> str:
        """``"Scaled / Funded"``: the use case's stage and funding when the pack was frozen."""
        if self.snapshot is None:
            return ""
        uc = self.snapshot.pack["use_case"]
        return f"{Stage(uc['stage']).label} / {Funding(uc['funding_status']).label}"


def _snapshot_of(item: GateItem) -> GateItemSnapshot | None:
    try:
        return item.snapshot
    except GateItem.snapshot.RelatedObjectDoesNotExist:
        return None


def gate_agenda(
    *, user, gate: Gate, today: datetime.date | None = None, detail: bool = False
) -> list[AgendaLine]:
    """Agenda lines with each item's pack summary and the votes ``user`` may see; on a closed
    gate, the packs and votes frozen at closing (items frozen are not computed again).
    ``detail``: full packs (the weekly trend and the checklist evidence, as ``item_pack``; the
    gate pack PDF), still a fixed number of queries."""
    items = gate_items(user=user, gate=gate)
    frozen = {item.pk: s for item in items if (s := _snapshot_of(item)) is not None}
    live = [item for item in items if item.pk not in frozen]
    packs = build_packs(live, gate, detail=detail, today=today or clock.today())
    votes = votes_for(user, live)
    counted = closed_tallies(gate, items)
    lines = []
    for item in items:
        snapshot = frozen.get(item.pk)
        if snapshot is None:
            lines.append(AgendaLine(item, packs[item.pk], votes[item.pk], counted.get(item.pk)))
        else:
            lines.append(_frozen_line(user, item, snapshot, counted.get(item.pk)))
    return lines


def closed_tallies(gate: Gate, items: list[GateItem]) -> dict[int, Tally]:
    """``{item_id: Tally}`` with the quorum fixed at closing (one query); empty before closing
    and for gates closed before the quorum was kept."""
    if not gate.is_closed or gate.quorum_at_close is None:
        return {}
    ids = [item.pk for item in items if item.on_agenda]
    return tallies(ids, members=gate.members_at_close, quorum=gate.quorum_at_close)


@dataclass(frozen=True)
class Undecided:
    """An item of a closed gate left without an outcome or a decision, in words (the use case
    page)."""

    #: ``"no quorum (1 of 3 voted, 2 needed)"``, ``"tied (Scale 1 · Stop 1)"``; empty: it had one.
    no_outcome: str
    #: ``"carried over to the 2027-Q1 gate"`` / ``"… to the next gate"``; empty: it was decided.
    carried_over: str


def undecided_of_use_case(items: list[GateItem]) -> dict[int, Undecided]:
    """``{item_id: Undecided}`` for ``items`` — one use case's agenda items, each with its gate
    and decision loaded — of closed gates without an outcome or a decision: why there was no
    outcome (the tally with the quorum fixed at closing) and where the item went (the use case's
    item at the next later gate, or the next gate to come: ``carryover``). One query (the
    votes), none when every closed item was decided with an outcome."""
    closed = [
        item
        for item in items
        if item.gate.is_closed and item.on_agenda and not (item.outcome and _decided(item))
    ]
    if not closed:
        return {}
    choices: dict[int, list[str]] = {item.pk: [] for item in closed}
    for item_id, choice in Vote.objects.filter(item__in=list(choices)).values_list(
        "item_id", "choice"
    ):
        choices[item_id].append(choice)
    found = {}
    for item in closed:
        no_outcome = ""
        if not item.outcome:
            gate = item.gate
            if gate.quorum_at_close is None:
                no_outcome = "no quorum or a tie"
            else:
                no_outcome = tally(
                    choices[item.pk], members=gate.members_at_close, quorum=gate.quorum_at_close
                ).text
        carried_over = ""
        if not _decided(item):
            later = sorted(
                (i.gate.quarter for i in items if i.gate.quarter > item.gate.quarter),
            )
            where = f"the {later[0]} gate" if later else "the next gate"
            carried_over = f"carried over to {where}"
        found[item.pk] = Undecided(no_outcome, carried_over)
    return found


def _decided(item: GateItem) -> bool:
    try:
        return item.decision is not None
    except GateItem.decision.RelatedObjectDoesNotExist:
        return False


def _frozen_line(
    user, item: GateItem, snapshot: GateItemSnapshot, tally: Tally | None
) -> AgendaLine:
    return AgendaLine(
        item,
        snapshots.frozen_pack(snapshot, item),
        snapshots.frozen_votes(user, snapshot, item),
        tally,
        snapshot=snapshot,
        frozen=True,
    )


def item_pack(
    *, user, item: GateItem, today: datetime.date | None = None, live: bool = False
) -> AgendaLine:
    """One item's full pack (trend and checklist evidence included) and its votes: the snapshot
    taken at closing once the gate is closed, unless ``live`` asks for today's figures."""
    item = (
        GateItem.objects.select_related(
            "gate",
            "gate__chair",
            "use_case",
            "use_case__business_case",
            "use_case__value_owner",
            "decision",
            "decision__decided_by",
            "snapshot",
        )
        .filter(pk=item.pk)
        .get()
    )
    snapshot = _snapshot_of(item)
    tally = closed_tallies(item.gate, [item]).get(item.pk)
    if snapshot is not None and not live:
        return _frozen_line(user, item, snapshot, tally)
    pack = build_packs([item], item.gate, detail=True, today=today or clock.today())[item.pk]
    return AgendaLine(item, pack, votes_for(user, [item])[item.pk], tally, snapshot=snapshot)


@dataclass(frozen=True)
class SummaryLine:
    """One agenda item in the close summary."""

    item: GateItem
    tally: Tally
    outcome_visible: bool  # False while blind voting hides the choices from the viewer

    @property
    def votes(self) -> int:
        return self.tally.votes

    @property
    def outcome(self) -> str:
        """The outcome (empty: none), or empty while hidden from the viewer."""
        return self.tally.outcome if self.outcome_visible else ""

    @property
    def text(self) -> str:
        """``"Scale"``, ``"tied (…)"``, ``"no quorum (2 of 5 voted, 3 needed)"``; while the
        choices are hidden from the viewer, only whether the quorum is reached."""
        if self.outcome_visible or not self.tally.has_quorum:
            return self.tally.text
        return "quorum reached (outcome shown at closing)"


@dataclass(frozen=True)
class MissingVoter:
    """A Leadership member who has not voted on every agenda item."""

    member: object  # the user
    voted: int
    items: int

    @property
    def name(self) -> str:
        return self.member.get_full_name() or self.member.username


@dataclass(frozen=True)
class CloseSummary:
    """What closing a gate fixes: per item the votes cast and the outcome (or "no quorum",
    "tied"), and the Leadership members who have not voted on every item."""

    gate: Gate
    members: int
    quorum: int
    lines: list[SummaryLine]
    missing_voters: list[MissingVoter]

    @property
    def without_outcome(self) -> int:
        """Items that will have (or have) no outcome: no quorum, or a tie."""
        return sum(1 for line in self.lines if not line.tally.outcome)

    @property
    def without_votes(self) -> int:
        return sum(1 for line in self.lines if line.votes == 0)


def close_summary(*, user, gate: Gate) -> CloseSummary:
    """The close summary of ``gate`` as ``user`` may see it — the confirmation page before
    closing and the API's answer to closing (three queries whatever the agenda's size).

    Before closing: today's Leadership members and quorum, and the outcomes only of the items
    whose votes ``user`` may see (blind voting); after closing: the members and quorum fixed at
    closing, so the summary is the record of the close.
    """
    members = list(leadership_members())
    if gate.is_closed and gate.quorum_at_close is not None:
        count, quorum = gate.members_at_close, gate.quorum_at_close
    else:
        count = len(members)
        quorum = quorum_for(count)
    items = gate_items(user=user, gate=gate)
    ids = [item.pk for item in items]
    counted = tallies(ids, members=count, quorum=quorum)
    voted_on: dict[int, set[int]] = {m.pk: set() for m in members}
    mine: set[int] = set()
    for voter_id, item_id in Vote.objects.filter(item__in=ids).values_list("voter_id", "item_id"):
        voted_on.setdefault(voter_id, set()).add(item_id)
        if voter_id == user.pk:
            mine.add(item_id)
    lines = [
        SummaryLine(
            item=item,
            tally=counted[item.pk],
            outcome_visible=perms.can_see_votes(user, item, has_voted=item.pk in mine),
        )
        for item in items
    ]
    missing = [
        MissingVoter(member=m, voted=len(voted_on[m.pk]), items=len(ids))
        for m in members
        if len(voted_on[m.pk]) < len(ids)
    ]
    return CloseSummary(gate, count, quorum, lines, missing)


def items_awaiting_vote(*, user):
    """Agenda items of gates open for votes on which ``user`` (a Leadership member) has not voted
    yet, soonest closing first (one query; empty for non-voters). For "My work"."""
    if not perms.can_vote(user):
        return GateItem.objects.none()
    voted = Vote.objects.filter(item_id=OuterRef("pk"), voter_id=user.pk)
    return (
        GateItem.objects.on_agenda()
        .filter(gate__status=GateStatus.VOTING)
        .exclude(Exists(voted))
        .select_related("gate", "use_case")
        .order_by("gate__closes_on", "use_case__name")
    )


@dataclass
class UndecidedLine:
    """An item closed without a decision (``carryover.outstanding``) and where it went."""

    item: GateItem
    carried_to: GateItem | None  # its use case's item on a later draft gate


def undecided_items(*, user) -> list[UndecidedLine]:
    """The items closed without a decision that no later gate has settled, oldest gate first,
    with the later (draft or voting) gate item that carries each (PMO only; two queries)."""
    if not can_manage_gates(user):
        raise PermissionDenied("Only the PMO sees the undecided items.")
    items = list(
        carryover.outstanding()
        .select_related("gate", "use_case", "use_case__value_owner")
        .order_by("gate__quarter", "use_case__name", "pk")
    )
    later: dict[int, list[GateItem]] = {}
    if items:
        for candidate in (
            GateItem.objects.filter(use_case_id__in={i.use_case_id for i in items})
            .exclude(gate__status=GateStatus.CLOSED)
            .select_related("gate")
            .order_by("gate__quarter")
        ):
            later.setdefault(candidate.use_case_id, []).append(candidate)
    return [
        UndecidedLine(
            item,
            next(
                (c for c in later.get(item.use_case_id, []) if c.gate.quarter > item.gate.quarter),
                None,
            ),
        )
        for item in items
    ]


def undecided_count(*, user) -> int | None:
    """How many items wait for a decision at a later gate (None unless ``user`` is PMO)."""
    return carryover.outstanding().count() if can_manage_gates(user) else None
