"""Writes on gates and their agendas, shared by the web views, the API and the tasks.

Every function is keyword-only, checks its permission itself, runs in one transaction and names
itself in the audit history (``usecases.audit.stamp``). Rule violations raise
``ValidationError`` keyed by field, so forms and serializers show them at the field.

Gate dates (decided here, DESIGN.md is silent): ``opens_on`` lies inside the gate's quarter;
``closes_on`` is after ``opens_on`` and at most ``CLOSE_GRACE_DAYS`` after the quarter ends (a
gate late in the quarter may finish its voting early the next month). Voting opens, and a gate
closes, on ``opens_on`` or later, never before (issue 13): move the opening day first.

The gate created automatically at quarter start (``gate_ensure_for_quarter``) opens on the
quarter's first day, closes on its last, and is chaired by the Leadership member who joined first
(lowest id), or has no chair when Leadership is empty; the PMO edits it like any draft.
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from usecases import clock
from usecases.audit import stamp
from usecases.models import UseCase
from usecases.permissions import can_manage_gates

from . import agenda, notices, snapshots, voting
from .members import leadership_members
from .models import Gate, GateItem, GateStatus, parse_quarter, quarter_bounds, quarter_of
from .permissions import can_close, can_edit_agenda

CLOSE_GRACE_DAYS = 31
QUARTER_TAKEN = "A gate for this quarter already exists."
GATE_FIELDS = ("quarter", "opens_on", "closes_on", "chair")


def gate_errors(
    *, quarter: str | None, opens_on, closes_on, chair, chair_required: bool = True
) -> dict[str, list[str]]:
    """Field messages for a gate's quarter, dates and chair (empty: valid)."""
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    first = last = None
    try:
        parse_quarter(quarter)
        first, last = quarter_bounds(quarter)
    except ValueError as exc:
        add("quarter", str(exc))
    if opens_on is None:
        add("opens_on", "Give the day the gate opens.")
    elif first is not None and not first <= opens_on <= last:
        add("opens_on", f"The gate opens inside its quarter ({first:%Y-%m-%d} to {last:%Y-%m-%d}).")
    if closes_on is None:
        add("closes_on", "Give the day the gate closes.")
    elif opens_on is not None and closes_on <= opens_on:
        add("closes_on", "The gate closes after it opens.")
    elif last is not None and closes_on > last + datetime.timedelta(days=CLOSE_GRACE_DAYS):
        latest = last + datetime.timedelta(days=CLOSE_GRACE_DAYS)
        add("closes_on", f"The gate closes by {latest:%Y-%m-%d}, shortly after its quarter.")
    if chair is None:
        if chair_required:
            add("chair", "Name the chair, a Leadership member.")
    elif not leadership_members().filter(pk=chair.pk).exists():
        add("chair", f"{chair.username} is not a Leadership member; the chair must be one.")
    return errors


def _save_new_gate(gate: Gate) -> None:
    try:
        with transaction.atomic():
            gate.save()
    except IntegrityError:
        if Gate.objects.filter(quarter=gate.quarter).exists():
            raise ValidationError({"quarter": [QUARTER_TAKEN]}) from None
        raise


# --- gates --------------------------------------------------------------------------------------
def gate_create(*, user, data: Mapping[str, Any]) -> Gate:
    """Create the gate of a quarter (PMO) and fill its agenda."""
    if not can_manage_gates(user):
        raise PermissionDenied("Only the PMO creates gates.")
    values = {name: data.get(name) for name in GATE_FIELDS}
    errors = gate_errors(**values)
    quarter_ok = values["quarter"] and "quarter" not in errors
    if quarter_ok and Gate.objects.filter(quarter=values["quarter"]).exists():
        errors.setdefault("quarter", []).append(QUARTER_TAKEN)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        gate = Gate(**values, created_by=user)
        stamp(gate, user=user, reason="Created")
        _save_new_gate(gate)
        agenda.autofill_agenda(gate)
    return gate


def gate_update(*, user, gate: Gate, data: Mapping[str, Any]) -> Gate:
    """Change a gate's dates or chair (PMO) until it closes. The quarter is fixed, and so is
    ``opens_on`` once voting is open (the packs' quarter is the three months before it)."""
    if not can_manage_gates(user):
        raise PermissionDenied("Only the PMO edits gates.")
    with transaction.atomic():
        current = Gate.objects.select_for_update().get(pk=gate.pk)
        if current.status == GateStatus.CLOSED:
            raise ValidationError({"gate": ["A closed gate cannot be changed."]})
        values = {
            name: data.get(name, getattr(current, name))
            for name in ("opens_on", "closes_on", "chair")
        }
        errors = gate_errors(quarter=current.quarter, **values)
        if current.status == GateStatus.VOTING and values["opens_on"] != current.opens_on:
            errors.setdefault("opens_on", []).append(
                "The opening day is fixed once voting is open: it sets the quarter of the packs."
            )
        if errors:
            raise ValidationError(errors)
        changed = [n for n, v in values.items() if getattr(current, n) != v]
        if not changed:
            return current
        for name, value in values.items():
            setattr(current, name, value)
        stamp(current, user=user, reason="Updated")
        current.save()
    return current


def gate_open_voting(*, user, gate: Gate) -> Gate:
    """Lock the agenda and open the gate for votes (PMO); every Leadership member is told, with
    the agenda (``notices.voting_opened``)."""
    if not can_manage_gates(user):
        raise PermissionDenied("Only the PMO opens voting.")
    with transaction.atomic():
        current = Gate.objects.select_for_update().get(pk=gate.pk)
        errors = []
        if current.status != GateStatus.DRAFT:
            errors.append("Voting can only be opened on a draft gate.")
        else:
            if current.chair_id is None:
                errors.append("Name a chair before opening voting.")
            if not current.items.on_agenda().exists():
                errors.append("The agenda is empty.")
            if current.closes_on < clock.today():
                errors.append("The closing day has passed: move it first.")
            if current.opens_on > clock.today():
                errors.append(_before_opening(current))
        if errors:
            raise ValidationError({"gate": errors})
        current.status = GateStatus.VOTING
        current.voting_opened_at = clock.now()
        stamp(current, user=user, reason="Voting opened")
        current.save()
        agenda_items = current.items.on_agenda().select_related("use_case")
        notices.voting_opened(current, items=list(agenda_items.order_by("use_case__name", "pk")))
    return current


def _before_opening(gate: Gate) -> str:
    return (
        f"The gate opens on {gate.opens_on:%Y-%m-%d}: voting cannot open or close before that "
        "day (move the opening day first)."
    )


def gate_close(*, user, gate: Gate) -> Gate:
    """Close voting (chair or PMO) and fix each item's outcome (``voting.tally``): the choice
    with most votes when a quorum voted and there is no tie; otherwise none (the chair decides).

    The quorum and the number of Leadership members are fixed on the gate at this moment
    (``selectors.close_summary`` shows them). The gate row is locked, so a vote in flight either
    lands before the close or is refused. Every on-agenda item's pack is frozen in the same
    transaction (``snapshots.freeze``), and the chair ("N decisions to record") and the PMO are
    told (``notices.gate_closed``). Nothing changes any use case: only the chair's decisions do
    (``decisions.decision_record``).
    """
    if not can_close(user, gate):
        raise PermissionDenied("Only the chair or the PMO closes a gate.")
    with transaction.atomic():
        current = Gate.objects.select_for_update().get(pk=gate.pk)
        if current.status != GateStatus.VOTING:
            message = (
                "This gate is closed already."
                if current.status == GateStatus.CLOSED
                else "Open voting before closing the gate."
            )
            raise ValidationError({"gate": [message]})
        if current.opens_on > clock.today():
            raise ValidationError({"gate": [_before_opening(current)]})
        members = leadership_members().count()
        quorum = voting.quorum_for(members)
        items = list(current.items.on_agenda())
        tallies = voting.tallies([item.pk for item in items], members=members, quorum=quorum)
        for item in items:
            item.outcome = tallies[item.pk].outcome
            stamp(item, user=user, reason=f"Outcome at closing: {tallies[item.pk].text}")
            item.save(update_fields=["outcome"])
        current.status = GateStatus.CLOSED
        current.closed_at = clock.now()
        current.closed_by = user
        current.members_at_close, current.quorum_at_close = members, quorum
        stamp(current, user=user, reason="Closed")
        current.save()

        # What follows a close goes here, in the same transaction, on the closed gate ``current``
        # and its agenda ``items``.
        snapshots.freeze(current)
        notices.gate_closed(current, items=items)
    return current


def gate_ensure_for_quarter(*, today: datetime.date | None = None) -> tuple[Gate, bool]:
    """The gate of ``today``'s quarter, created with its agenda if nobody did (the periodic job).

    Idempotent and safe to run concurrently: the unique quarter decides who creates it.
    """
    today = today or clock.today()
    quarter = quarter_of(today)
    existing = Gate.objects.filter(quarter=quarter).first()
    if existing is not None:
        return existing, False
    first, last = quarter_bounds(quarter)
    gate = Gate(quarter=quarter, opens_on=first, closes_on=last, chair=leadership_members().first())
    stamp(gate, user=None, reason="Created at quarter start")
    try:
        with transaction.atomic():
            gate.save()
            agenda.autofill_agenda(gate, as_of=max(today, first))
    except IntegrityError:
        return Gate.objects.get(quarter=quarter), False
    return gate, True


def gate_refresh_agenda(*, user, gate: Gate) -> list[GateItem]:
    """Run the agenda rules again on a draft gate (PMO); return the items added."""
    if not can_edit_agenda(user, gate):
        raise PermissionDenied("Only the PMO edits the agenda.")
    with transaction.atomic():
        current = Gate.objects.select_for_update().get(pk=gate.pk)
        if current.status != GateStatus.DRAFT:
            raise ValidationError({"gate": ["The agenda is fixed once voting opens."]})
        return agenda.autofill_agenda(current)


# --- agenda items -------------------------------------------------------------------------------
def gate_item_add(*, user, gate: Gate, use_case: UseCase) -> GateItem:
    """Put a use case on a draft gate's agenda (PMO); a removed item comes back."""
    if not can_edit_agenda(user, gate):
        raise PermissionDenied("Only the PMO edits the agenda.")
    with transaction.atomic():
        current = Gate.objects.select_for_update().get(pk=gate.pk)
        if current.status != GateStatus.DRAFT:
            raise ValidationError({"gate": ["The agenda is fixed once voting opens."]})
        item = GateItem.objects.filter(gate=current, use_case=use_case).first()
        if item is not None and item.removed_at is None:
            raise ValidationError({"use_case": [f"{use_case} is on the agenda already."]})
        if item is None:
            item = GateItem(gate=current, use_case=use_case)
        item.removed_at = item.removed_by = None
        item.added_by = user
        item.reasons = f"added by {user.get_full_name() or user.username} (PMO)"
        stamp(item, user=user, reason="Added to the agenda")
        item.save()
    return item


def gate_item_remove(*, user, item: GateItem) -> GateItem:
    """Take an item off a draft gate's agenda (PMO); the agenda rules will not re-add it."""
    if not can_edit_agenda(user, item.gate):
        raise PermissionDenied("Only the PMO edits the agenda.")
    with transaction.atomic():
        gate = Gate.objects.select_for_update().get(pk=item.gate_id)
        if gate.status != GateStatus.DRAFT:
            raise ValidationError({"gate": ["The agenda is fixed once voting opens."]})
        current = GateItem.objects.select_for_update().get(pk=item.pk)
        if current.removed_at is None:
            current.removed_at = clock.now()
            current.removed_by = user
            stamp(current, user=user, reason="Removed from the agenda")
            current.save()
    return current
