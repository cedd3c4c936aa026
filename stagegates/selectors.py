"""Reads for the gate pages and the API; each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q

from usecases import clock
from usecases.models import Funding, Stage, UseCase
from usecases.permissions import can_manage_gates, reads_whole_portfolio, visible_use_cases

from . import carryover, snapshots
from . import permissions as perms
from .gatepack import GatePack, build_packs
from .models import Gate, GateItem, GateItemSnapshot, GateStatus, Vote
from .voting import ItemVotes, votes_for


def gate_list(*, user):
    """The gates ``user`` may see, newest quarter first, with the number of agenda items they
    may see (one query)."""
    on_agenda = Q(items__removed_at__isnull=True)
    if not reads_whole_portfolio(user):
        on_agenda &= Q(items__use_case__in=visible_use_cases(user).values("pk"))
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


def gate_agenda(*, user, gate: Gate, today: datetime.date | None = None) -> list[AgendaLine]:
    """Agenda lines with each item's pack summary and the votes ``user`` may see; on a closed
    gate, the packs and votes frozen at closing (items frozen are not computed again)."""
    items = gate_items(user=user, gate=gate)
    frozen = {item.pk: s for item in items if (s := _snapshot_of(item)) is not None}
    live = [item for item in items if item.pk not in frozen]
    packs = build_packs(live, gate, today=today or clock.today())
    votes = votes_for(user, live)
    lines = []
    for item in items:
        snapshot = frozen.get(item.pk)
        if snapshot is None:
            lines.append(AgendaLine(item, packs[item.pk], votes[item.pk]))
        else:
            lines.append(_frozen_line(user, item, snapshot))
    return lines


def _frozen_line(user, item: GateItem, snapshot: GateItemSnapshot) -> AgendaLine:
    return AgendaLine(
        item,
        snapshots.frozen_pack(snapshot, item),
        snapshots.frozen_votes(user, snapshot, item),
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
    if snapshot is not None and not live:
        return _frozen_line(user, item, snapshot)
    pack = build_packs([item], item.gate, detail=True, today=today or clock.today())[item.pk]
    return AgendaLine(item, pack, votes_for(user, [item])[item.pk], snapshot=snapshot)


def addable_use_cases(*, gate: Gate):
    """Use cases not on the agenda (the PMO's "add" choices); a removed item can come back."""
    on_agenda = GateItem.objects.filter(gate=gate, removed_at__isnull=True).values("use_case_id")
    return UseCase.objects.exclude(pk__in=on_agenda).only("pk", "name").order_by("name")


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
