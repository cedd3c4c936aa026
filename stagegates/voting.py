"""Leadership votes at a gate: casting (and changing) a vote, blind visibility, and the tally.

Blind voting (see ``stagegates.permissions.can_see_votes``): while voting is open, a member sees
the other votes on an item — choices, rationales and counts — only after casting their own.
After closing, leadership, the PMO and admins see every vote.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from usecases.audit import stamp

from .models import Choice, Gate, GateItem, GateStatus, Vote
from .permissions import can_see_votes, can_vote_on

RATIONALE_REQUIRED = "Give a rationale for your vote."
NOT_OPEN = {
    GateStatus.DRAFT: "Voting has not opened yet at this gate.",
    GateStatus.CLOSED: "This gate is closed: votes can no longer be cast or changed.",
}


def tally(choices: Iterable[str]) -> str:
    """The outcome of an item's votes: the choice with most votes; no votes or a tie → hold."""
    counts = Counter(choices).most_common()
    if not counts:
        return Choice.HOLD
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return Choice.HOLD
    return Choice(counts[0][0])


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


def outcomes(item_ids: list[int]) -> dict[int, str]:
    """The outcome of each item from its votes (one query)."""
    choices: dict[int, list[str]] = {pk: [] for pk in item_ids}
    for item_id, choice in Vote.objects.filter(item__in=item_ids).values_list("item_id", "choice"):
        choices[item_id].append(choice)
    return {pk: tally(cs) for pk, cs in choices.items()}
