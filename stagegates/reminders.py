"""Vote reminders (DESIGN.md "Cadence, reminders, overdue": leadership members who have not
voted are reminded 3 days before ``closes_on``).

From ``closes_on − 3 days`` until the gate closes (the task may have missed the exact day), each
Leadership member with an item still to vote on gets ``notices.vote_reminder`` (kind
``gate_vote_reminder``, subject the gate, period its quarter, a link to the agenda); the unique
notification makes it once per gate, so a member who votes on everything later is not reminded
again, and one who had voted on everything is never reminded.
"""

import datetime

from django.db.models import Count

from usecases import clock

from . import notices
from .members import leadership_members
from .models import Gate, GateItem, GateStatus, Vote

REMIND_DAYS_BEFORE = 3
KIND = notices.KIND_VOTE_REMINDER


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
        for member in members:
            missing = item_count - voted.get(member.pk, 0)
            if missing > 0:
                sent += notices.vote_reminder(
                    gate, member=member, missing=missing, items=item_count
                )
    return sent
