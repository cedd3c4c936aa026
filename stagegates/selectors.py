"""Reads for the gate pages and the API; each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from usecases import clock
from usecases.models import UseCase
from usecases.permissions import reads_whole_portfolio, visible_use_cases

from . import permissions as perms
from .gatepack import GatePack, build_packs
from .models import Gate, GateItem, GateStatus, Vote
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
        )
        .order_by("use_case__name", "pk")
    )
    for item in items:
        item.gate = gate
    return items


@dataclass
class AgendaLine:
    item: GateItem
    pack: GatePack
    votes: ItemVotes

    @property
    def decision(self):
        try:
            return self.item.decision
        except GateItem.decision.RelatedObjectDoesNotExist:
            return None


def gate_agenda(*, user, gate: Gate, today: datetime.date | None = None) -> list[AgendaLine]:
    """Agenda lines with each item's pack summary and the votes ``user`` may see."""
    items = gate_items(user=user, gate=gate)
    packs = build_packs(items, gate, today=today or clock.today())
    votes = votes_for(user, items)
    return [AgendaLine(item, packs[item.pk], votes[item.pk]) for item in items]


def item_pack(*, user, item: GateItem, today: datetime.date | None = None) -> AgendaLine:
    """One item's full pack (trend and checklist evidence included) and its votes."""
    item = (
        GateItem.objects.select_related(
            "gate",
            "gate__chair",
            "use_case",
            "use_case__business_case",
            "use_case__value_owner",
            "decision",
            "decision__decided_by",
        )
        .filter(pk=item.pk)
        .get()
    )
    pack = build_packs([item], item.gate, detail=True, today=today or clock.today())[item.pk]
    return AgendaLine(item, pack, votes_for(user, [item])[item.pk])


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
