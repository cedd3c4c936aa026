"""Leadership votes at a gate: casting (and changing) a vote, blind visibility, and the tally.

Blind voting (see ``stagegates.permissions.can_see_votes``): while voting is open, a member sees
the other votes on an item — choices, rationales and counts — only after casting their own.
After closing, leadership, the PMO and admins see every vote.

The tally (``tally``): an item's outcome is the choice with most votes, provided a quorum voted
(``quorum_for``: the setting ``VALUEGATE_GATE_QUORUM``, default more than half of the Leadership
members at closing) and no other choice has as many. An item with no votes, too few votes or a
tie has no outcome — never an implicit "hold": the chair decides it explicitly.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from usecases.audit import stamp
from usecases.text import check_field

from .models import Choice, Gate, GateItem, GateStatus, Vote
from .permissions import can_see_votes, can_vote_on

RATIONALE_REQUIRED = "Give a rationale for your vote."
NOT_OPEN = {
    GateStatus.DRAFT: "Voting has not opened yet at this gate.",
    GateStatus.CLOSED: "This gate is closed: votes can no longer be cast or changed.",
}


def quorum_for(members: int) -> int:
    """Votes an item needs for an outcome when ``members`` Leadership members may vote.

    ``settings.VALUEGATE_GATE_QUORUM`` (a positive number of votes) when set; otherwise more than
    half of the members (``members // 2 + 1``: 3 of 5, 3 of 4, 1 of 1).
    """
    fixed = getattr(settings, "VALUEGATE_GATE_QUORUM", None)
    if fixed:
        return int(fixed)
    return members // 2 + 1


def quorum_rule() -> str:
    """The quorum in words, for the pages."""
    fixed = getattr(settings, "VALUEGATE_GATE_QUORUM", None)
    if fixed:
        return f"{int(fixed)} vote{'s' if int(fixed) != 1 else ''}"
    return "more than half of the Leadership members"


@dataclass(frozen=True)
class Tally:
    """An item's votes counted: the outcome, or why there is none (no quorum, a tie)."""

    counts: tuple[tuple[str, int], ...]  # (choice, votes), most votes first
    members: int  # Leadership members who could vote
    quorum: int  # votes needed for an outcome

    @property
    def votes(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def has_quorum(self) -> bool:
        return self.votes >= self.quorum

    @property
    def tied(self) -> bool:
        return len(self.counts) > 1 and self.counts[0][1] == self.counts[1][1]

    @property
    def outcome(self) -> str:
        """The choice with most votes; empty without a quorum or on a tie (never "hold")."""
        if not self.has_quorum or self.tied:
            return ""
        return self.counts[0][0]

    @property
    def text(self) -> str:
        """``"no quorum (2 of 5 voted, 3 needed)"``, ``"tied (Scale 2 · Stop 2)"``."""
        if not self.has_quorum:
            return f"no quorum ({self.votes} of {self.members} voted, {self.quorum} needed)"
        if self.tied:
            labels = dict(Choice.choices)
            top = self.counts[0][1]
            split = " · ".join(f"{labels[c]} {n}" for c, n in self.counts if n == top)
            return f"tied ({split})"
        return Choice(self.outcome).label


def tally(choices: Iterable[str], *, members: int, quorum: int | None = None) -> Tally:
    """Count ``choices`` (one per voter) for an item where ``members`` could vote.

    The outcome is the choice with most votes, if at least ``quorum`` votes were cast (default:
    ``quorum_for(members)``) and no other choice has as many; otherwise there is no outcome.
    """
    order = {value: i for i, value in enumerate(Choice.values)}
    counts = sorted(Counter(choices).items(), key=lambda cn: (-cn[1], order.get(cn[0], 99)))
    return Tally(
        counts=tuple(counts),
        members=members,
        quorum=quorum if quorum is not None else quorum_for(members),
    )


def vote_cast(*, user, item: GateItem, choice: str, rationale: str) -> tuple[Vote, bool]:
    """Cast or change ``user``'s vote on ``item``; return ``(vote, created)``.

    Raises ``PermissionDenied`` for non-members of Leadership and ``ValidationError`` (field
    messages) for a bad choice, a missing rationale, a gate not open for votes or an item no longer
    on the agenda. The gate row is locked while the vote is written, so a vote never lands after
    the gate has closed.
    """
    if not can_vote_on(user, item):
        raise PermissionDenied("Only Leadership members vote at gates.")
    errors: dict[str, list[str]] = {}
    if choice not in Choice.values:
        errors["choice"] = ["Choose scale, redesign, hold or stop."]
    rationale = (rationale or "").strip()
    if not rationale:
        errors["rationale"] = [RATIONALE_REQUIRED]
    else:
        try:
            check_field(Vote, "rationale", rationale)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        gate = Gate.objects.select_for_update().get(pk=item.gate_id)
        if gate.status != GateStatus.VOTING:
            raise ValidationError({"gate": [NOT_OPEN[gate.status]]})
        if not GateItem.objects.filter(pk=item.pk, removed_at__isnull=True).exists():
            raise ValidationError({"item": ["This use case is no longer on the agenda."]})
        vote = Vote.objects.filter(item=item, voter=user).first()
        created = vote is None
        if created:
            vote = Vote(item=item, voter=user)
        elif (vote.choice, vote.rationale) == (choice, rationale):
            return vote, False
        vote.choice, vote.rationale = choice, rationale
        stamp(
            vote, user=user, reason=f"Vote at gate {gate.quarter}" + ("" if created else " changed")
        )
        try:
            with transaction.atomic():
                vote.save()
        except IntegrityError:  # a double submit created it meanwhile: change that one
            vote = Vote.objects.get(item=item, voter=user)
            vote.choice, vote.rationale = choice, rationale
            stamp(vote, user=user, reason=f"Vote at gate {gate.quarter} changed")
            vote.save()
            created = False
    return vote, created


@dataclass
class ItemVotes:
    """What one user may see of the votes on one item."""

    mine: Vote | None = None
    visible: bool = False  # the other votes may be shown
    votes: list[Vote] = field(default_factory=list)  # empty unless visible

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        """``(choice, label, count)`` for every choice (only meaningful when visible)."""
        c = Counter(v.choice for v in self.votes)
        return [(value, label, c.get(value, 0)) for value, label in Choice.choices]

    @property
    def total(self) -> int:
        return len(self.votes)

    @property
    def counts_text(self) -> str:
        """E.g. ``"Scale 2 · Hold 1"`` (only meaningful when visible)."""
        return " · ".join(f"{label} {n}" for _, label, n in self.counts if n) or "no votes"


def votes_for(user, items: list[GateItem]) -> dict[int, ItemVotes]:
    """``{item_id: ItemVotes}`` for ``user`` — two queries whatever the number of items.

    The second query fetches only the votes of items whose votes ``user`` may see, so nothing
    hidden ever leaves the database.
    """
    result = {item.pk: ItemVotes() for item in items}
    if not items or not user.is_authenticated:
        return result
    for vote in Vote.objects.filter(item__in=[i.pk for i in items], voter=user):
        result[vote.item_id].mine = vote
    shown = [
        item.pk
        for item in items
        if can_see_votes(user, item, has_voted=result[item.pk].mine is not None)
    ]
    by_item: dict[int, list[Vote]] = defaultdict(list)
    if shown:
        for vote in (
            Vote.objects.filter(item__in=shown)
            .select_related("voter")
            .order_by("item_id", "voter__username")
        ):
            by_item[vote.item_id].append(vote)
    for pk in shown:
        result[pk].visible = True
        result[pk].votes = by_item[pk]
    return result


def tallies(item_ids: list[int], *, members: int, quorum: int) -> dict[int, Tally]:
    """Each item's ``Tally`` from its votes (one query)."""
    choices: dict[int, list[str]] = {pk: [] for pk in item_ids}
    for item_id, choice in Vote.objects.filter(item__in=item_ids).values_list("item_id", "choice"):
        choices[item_id].append(choice)
    return {pk: tally(cs, members=members, quorum=quorum) for pk, cs in choices.items()}
