"""Vote reminders (DESIGN.md "Cadence, reminders, overdue": leadership members who have not
voted are reminded 3 days before ``closes_on``).

From ``closes_on − 3 days`` until the gate closes (the task may have missed the exact day), each
Leadership member with an item still to vote on gets ``notify(kind="gate_vote_reminder",
subject=gate, period=gate.quarter)``; the unique notification makes it once per gate.
"""

import datetime

from django.db.models import Count
from django.urls import reverse

from usecases import clock
from usecases.notify import notify

from .models import Gate, GateItem, GateStatus, Vote
from .services import leadership_members

REMIND_DAYS_BEFORE = 3
KIND = "gate_vote_reminder"


def remind_voters(*, today: datetime.date | None = None) -> int:
    """Send the due reminders; return how many notifications were created."""
    today = today or clock.today()
    gates = Gate.objects.filter(
        status=GateStatus.VOTING,
        closes_on__gte=today,
        closes_on__lte=today + datetime.timedelta(days=REMIND_DAYS_BEFORE),
    )
    members = list(leadership_members())
    sent = 0
    for gate in gates:
        item_count = GateItem.objects.on_agenda().filter(gate=gate).count()
        if not item_count:
            continue
        voted = dict(
            Vote.objects.filter(item__gate=gate, item__removed_at__isnull=True)
            .order_by()
            .values("voter_id")
            .annotate(n=Count("item_id"))
            .values_list("voter_id", "n")
        )
        url = reverse("stagegates:detail", args=[gate.pk])
        for member in members:
            missing = item_count - voted.get(member.pk, 0)
            if missing <= 0:
                continue
            _, created = notify(
                recipient=member,
                kind=KIND,
                subject=gate,
                period=gate.quarter,
                title=f"Gate {gate.quarter}: your vote is missing on {missing} item(s)",
                body=(
                    f"Voting at gate {gate.quarter} closes on {gate.closes_on:%Y-%m-%d}. "
                    f"You have not voted on {missing} of {item_count} item(s)."
                ),
                url=url,
            )
            sent += created
    return sent
