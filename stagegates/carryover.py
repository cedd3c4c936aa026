"""Undecided items are carried over to the next gate (issue 15).

An agenda item of a closed gate without a decision is *undecided*. It is *outstanding* while no
later gate has put its use case to the vote (that later item, voted on or closed, decided or
not, takes its place). Each outstanding item is carried onto the agenda of every later draft
gate, with the reason ``carried over from 2026-Q4: no decision``, wherever the agenda rules run
(``agenda.autofill_agenda``): when the PMO creates a gate, when the gate of a quarter is created
at its start (``gate_ensure_for_quarter``), when the PMO refreshes a draft agenda, and in the
daily refresh of draft gates (``tasks.refresh_agendas``) — so a next gate already drafted when
the old one closes receives the item by the next day, or at once on a refresh.

- No duplicates: one item per (gate, use case) (the unique constraint); a use case already on the
  draft agenda for another reason gets the carry-over reason added in front of its reasons. An
  item the PMO removed from the draft stays removed.
- An item decided later on its old gate is no longer outstanding: it is not carried, and
  ``settle`` (called when the decision is recorded) takes the carry-over off a later draft gate —
  the reason is dropped, and the item itself when the agenda rules added it for that reason only.
- The PMO sees the outstanding items (``selectors.undecided_items``; page and API list).
"""

from django.db.models import Exists, OuterRef, QuerySet

from usecases.audit import fit, stamp

from .models import Gate, GateItem, GateStatus

REASON = "carried over from {quarter}: no decision"
SEPARATOR = "; "
REASONS_MAX = GateItem._meta.get_field("reasons").max_length


def outstanding(*, before_quarter: str | None = None) -> QuerySet[GateItem]:
    """Undecided items of closed gates that no later gate open for votes or closed has
    superseded (one query).

    With ``before_quarter``, only gates of earlier quarters count (what a gate of that quarter
    inherits).
    """
    later = GateItem.objects.on_agenda().filter(
        use_case_id=OuterRef("use_case_id"),
        gate__status__in=(GateStatus.VOTING, GateStatus.CLOSED),
        gate__quarter__gt=OuterRef("gate__quarter"),
    )
    items = GateItem.objects.on_agenda().filter(
        gate__status=GateStatus.CLOSED, decision__isnull=True
    )
    if before_quarter is not None:
        later = later.filter(gate__quarter__lt=before_quarter)
        items = items.filter(gate__quarter__lt=before_quarter)
    return items.exclude(Exists(later))


def carry_reasons(gate: Gate) -> dict[int, str]:
    """``{use_case_id: reason}`` of the items ``gate`` inherits from earlier gates (one query)."""
    return {
        use_case_id: REASON.format(quarter=quarter)
        for use_case_id, quarter in outstanding(before_quarter=gate.quarter).values_list(
            "use_case_id", "gate__quarter"
        )
    }


def note_on_agenda(gate: Gate, carried: dict[int, str]) -> None:
    """Add the carry-over reason to items already on ``gate``'s agenda for other reasons."""
    if not carried:
        return
    for item in GateItem.objects.on_agenda().filter(gate=gate, use_case_id__in=list(carried)):
        reason = carried[item.use_case_id]
        if reason in item.reasons.split(SEPARATOR):
            continue
        item.reasons = fit(SEPARATOR.join(r for r in (reason, item.reasons) if r), REASONS_MAX)
        stamp(item, reason="Carried over: no decision at the earlier gate")
        item.save(update_fields=["reasons"])


def settle(item: GateItem, gate: Gate) -> None:
    """``item`` of closed ``gate`` was just decided: no later draft gate carries it any more."""
    reason = REASON.format(quarter=gate.quarter)
    later = GateItem.objects.select_for_update().filter(
        use_case_id=item.use_case_id,
        gate__status=GateStatus.DRAFT,
        gate__quarter__gt=gate.quarter,
        reasons__contains=reason,
    )
    for carried in later:
        rest = [r for r in carried.reasons.split(SEPARATOR) if r != reason]
        if not rest and carried.added_by_id is None and carried.removed_at is None:
            stamp(carried, reason=f"Decided at gate {gate.quarter}: no longer carried over")
            carried.delete()  # on the agenda for this reason only; a draft item has no votes
            continue
        carried.reasons = SEPARATOR.join(rest)
        stamp(carried, reason=f"Decided at gate {gate.quarter}: no longer carried over")
        carried.save(update_fields=["reasons"])
