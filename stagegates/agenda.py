"""The agenda fills itself (DESIGN.md "Stage gates").

A use case joins a gate's agenda when
1. it is in ``rollout`` or ``scaled``;
2. it has an open stop-loss flag (whatever its stage);
3. it passed its 90-day mark — the three full calendar months after ``scaled_on`` have ended —
   and no gate has decided on it since (a use case scaled two years ago and put on hold at a later
   gate does not come back every quarter; one that reached the mark after its last decision does).
   Stopped use cases are left out of this rule.
4. it was on the agenda of an earlier closed gate and no decision was recorded there
   (``stagegates.carryover``: "carried over from 2026-Q4: no decision").

``autofill_agenda`` is idempotent: it only inserts missing (gate, use case) rows, relying on the
unique constraint; an item the PMO removed keeps its row (``removed_at``), so it is not re-added.
It runs when a gate is created, when the PMO asks for a refresh, and daily for draft gates
(``stagegates.tasks.refresh_agendas``), so a use case whose stop-loss flag is raised meanwhile
joins the open (draft) gate, or else the next one.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from reviews.models import Flag, FlagKind
from usecases import clock, economics
from usecases.audit import stamp
from usecases.models import Stage, UseCase

from . import carryover
from .models import Gate, GateItem, GateStatus

REASON_STAGE = "in {stage}"
REASON_STOP_LOSS = "open stop-loss flag"
REASON_NINETY_DAYS = "passed its 90-day mark"


def ninety_day_mark(scaled_on: datetime.date) -> datetime.date:
    """The first day after the three full months that follow ``scaled_on``."""
    last = economics.ninety_day_months(scaled_on)[-1]
    return economics.month_bounds(*last)[1] + datetime.timedelta(days=1)


def scaled_on_cutoff(as_of: datetime.date) -> datetime.date:
    """The latest ``scaled_on`` whose 90-day mark is on or before ``as_of``.

    The mark is always the 1st of a month, so "mark <= as_of" is "mark <= first of as_of's month",
    which holds exactly when ``scaled_on`` is on or before the 1st of the month three months
    earlier (a ``scaled_on`` on the 1st counts its own month as the first of the three).
    """
    return economics.add_months(as_of, -3)


def agenda_candidates(*, as_of: datetime.date) -> dict[int, list[str]]:
    """``{use_case_id: [reason, ...]}`` of every use case the rules put on an agenda (3 queries)."""
    reasons: dict[int, list[str]] = {}
    for pk, stage in UseCase.objects.filter(stage__in=(Stage.ROLLOUT, Stage.SCALED)).values_list(
        "pk", "stage"
    ):
        reasons.setdefault(pk, []).append(REASON_STAGE.format(stage=Stage(stage).label.lower()))
    flagged = (
        Flag.objects.open()
        .filter(kind=FlagKind.STOP_LOSS)
        .order_by()
        .values_list("use_case_id", flat=True)
        .distinct()
    )
    for pk in flagged:
        reasons.setdefault(pk, []).append(REASON_STOP_LOSS)
    past_mark = (
        UseCase.objects.filter(scaled_on__isnull=False, scaled_on__lte=scaled_on_cutoff(as_of))
        .exclude(stage=Stage.STOPPED)
        .annotate(last_decided_at=Max("gate_items__decision__decided_at"))
        .values_list("pk", "scaled_on", "last_decided_at")
    )
    for pk, scaled_on, last_decided_at in past_mark:
        if last_decided_at is not None and _local_date(last_decided_at) >= ninety_day_mark(
            scaled_on
        ):
            continue
        reasons.setdefault(pk, []).append(REASON_NINETY_DAYS)
    return reasons


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def autofill_agenda(gate: Gate, *, as_of: datetime.date | None = None) -> list[GateItem]:
    """Add every use case the rules name to ``gate``'s agenda; return the items added.

    Only a draft gate's agenda changes. ``as_of`` (default: the later of today and the gate's
    opening day) is the day the 90-day rule looks at. Safe to run twice or concurrently.
    """
    if gate.status != GateStatus.DRAFT:
        return []
    if as_of is None:
        as_of = max(clock.today(), gate.opens_on)
    candidates = agenda_candidates(as_of=as_of)
    carried = carryover.carry_reasons(gate)
    for pk, reason in carried.items():
        candidates.setdefault(pk, []).insert(0, reason)
    carryover.note_on_agenda(gate, carried)
    if not candidates:
        return []
    existing = set(
        GateItem.objects.filter(gate=gate, use_case_id__in=list(candidates)).values_list(
            "use_case_id", flat=True
        )
    )
    added = []
    for pk, why in sorted(candidates.items()):
        if pk in existing:
            continue
        item = GateItem(gate=gate, use_case_id=pk, reasons="; ".join(why))
        stamp(item, reason="Added by the agenda rules")
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:  # a concurrent fill added it first
            continue
        added.append(item)
    return added
