"""Quarterly stage gates: the gate, its agenda items, leadership votes and the chair's decisions.

- ``Gate``: one per calendar quarter (``2026-Q4``); ``draft`` (agenda editable) → ``voting``
  (leadership votes) → ``closed`` (outcomes fixed, the chair records decisions). The quorum and
  the number of Leadership members at closing are kept on the gate.
- ``GateItem``: a use case on the agenda; unique per (gate, use case). An item the PMO removes is
  kept with ``removed_at`` set, so the automatic agenda fill never brings it back.
- ``Vote``: one per leadership member and item (changing a vote updates the row).
- ``Decision``: one per item; applies to the use case's stage and funding when recorded; names
  the snapshot it was taken on.
- ``GateItemSnapshot``: the item's pack frozen at closing (``stagegates.snapshots``); immutable.

Votes and decisions keep an audit history (django-simple-history).
"""

import calendar
import datetime
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from usecases.models import UseCase
from usecases.text import RATIONALE_MAX, free_text

#: ASCII digits only, as the review periods (``usecases.economics``): with ``\d``, ``２０２６-Q4``
#: was a second gate for 2026-Q4 past the unique constraint on the label.
QUARTER_RE = re.compile(r"([0-9]{4})-Q([1-4])")


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2026-Q4"`` → ``(2026, 4)``; ValueError unless the text is ``YYYY-Qn`` with n in 1..4."""
    match = QUARTER_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a quarter; expected YYYY-Qn, e.g. 2026-Q4")
    return int(match[1]), int(match[2])


def format_quarter(year: int, quarter: int) -> str:
    return f"{year:04d}-Q{quarter}"


def quarter_of(day: datetime.date) -> str:
    """The quarter that holds a date: 2026-11-25 → ``"2026-Q4"``."""
    return format_quarter(day.year, (day.month - 1) // 3 + 1)


def quarter_bounds(quarter: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    year, q = parse_quarter(quarter)
    first = datetime.date(year, 3 * q - 2, 1)
    last_month = 3 * q
    return first, datetime.date(year, last_month, calendar.monthrange(year, last_month)[1])


class GateStatus(models.TextChoices):
    DRAFT = "draft", "Draft (agenda editable)"
    VOTING = "voting", "Voting open"
    CLOSED = "closed", "Closed"


class Choice(models.TextChoices):
    SCALE = "scale", "Scale"
    REDESIGN = "redesign", "Redesign"
    HOLD = "hold", "Hold"
    STOP = "stop", "Stop"


class Gate(models.Model):
    quarter = models.CharField(max_length=7, help_text="Calendar quarter, e.g. 2026-Q4.")
    opens_on = models.DateField()
    closes_on = models.DateField()
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_gates",
        help_text="A Leadership member; records the decisions.",
    )
    status = models.CharField(
        max_length=8, choices=GateStatus.choices, default=GateStatus.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    voting_opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members_at_close = models.PositiveIntegerField(
        null=True, blank=True, help_text="Leadership members who could vote, counted at closing."
    )
    quorum_at_close = models.PositiveIntegerField(
        null=True, blank=True, help_text="Votes an item needed for an outcome, fixed at closing."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["quarter"], name="unique_gate_per_quarter"),
            models.CheckConstraint(
                condition=Q(closes_on__gt=models.F("opens_on")), name="gate_closes_after_opens"
            ),
        ]

    def __str__(self):
        return f"Gate {self.quarter}"

    def get_absolute_url(self):
        return reverse("stagegates:detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == GateStatus.DRAFT

    @property
    def is_voting(self) -> bool:
        return self.status == GateStatus.VOTING

    @property
    def is_closed(self) -> bool:
        return self.status == GateStatus.CLOSED


class GateItemQuerySet(models.QuerySet):
    def on_agenda(self):
        return self.filter(removed_at__isnull=True)


class GateItem(models.Model):
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="items")
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="gate_items")
    reasons = models.CharField(
        max_length=300, blank=True, help_text="Why the use case is on the agenda."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the agenda fill added it.",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(
        max_length=8,
        choices=Choice.choices,
        blank=True,
        help_text="The vote outcome at closing; empty without a quorum or on a tie.",
    )

    history = HistoricalRecords()
    objects = GateItemQuerySet.as_manager()

    class Meta:
        ordering = ["gate_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "use_case"], name="unique_gate_item")
        ]
        indexes = [models.Index(fields=["use_case", "gate"])]

    def __str__(self):
        return f"{self.use_case} at {self.gate}"

    def get_absolute_url(self):
        return reverse("stagegates:item", args=[self.pk])

    @property
    def on_agenda(self) -> bool:
        return self.removed_at is None


class Vote(models.Model):
    item = models.ForeignKey(GateItem, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gate_votes"
    )
    choice = models.CharField(max_length=8, choices=Choice.choices)
    rationale = free_text(RATIONALE_MAX)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["item_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "voter"], name="unique_vote_per_member")
        ]
        indexes = [models.Index(fields=["voter", "item"])]

    def __str__(self):
        return f"{self.voter} votes {self.choice} on {self.item}"


class Decision(models.Model):
    item = models.OneToOneField(GateItem, on_delete=models.CASCADE, related_name="decision")
    decision = models.CharField(max_length=8, choices=Choice.choices)
    outcome = models.CharField(
        max_length=8,
        choices=Choice.choices,
        blank=True,
        help_text="The vote outcome the chair started from; empty when there was none.",
    )
    rationale = free_text(RATIONALE_MAX, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    snapshot = models.ForeignKey(
        "GateItemSnapshot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The frozen pack the decision was taken on (empty for gates closed before "
        "packs were frozen).",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self):
        return f"{self.get_decision_display()} for {self.item}"

    @property
    def is_override(self) -> bool:
        """The chair departed from the vote outcome (never when there was no outcome)."""
        return bool(self.outcome) and self.decision != self.outcome


class ImmutableSnapshot(Exception):
    """A gate item snapshot is written once, at closing, and never changed or deleted."""


class GateItemSnapshotQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableSnapshot("Gate item snapshots never change.")

    def delete(self):
        raise ImmutableSnapshot("Gate item snapshots are never deleted.")


class GateItemSnapshot(models.Model):
    """What leadership saw of an agenda item when its gate closed (``stagegates.snapshots``).

    Written once by ``snapshots.freeze`` inside the closing transaction, never changed: ``save``
    refuses an existing row, ``delete`` and the queryset's ``update``/``delete`` refuse, and on
    PostgreSQL a trigger refuses any UPDATE or DELETE of the table (migration 0004). Deleting
    the gate item (or its gate or use case) is refused too (``PROTECT``).
    """

    item = models.OneToOneField(GateItem, on_delete=models.PROTECT, related_name="snapshot")
    pack = models.JSONField(help_text="The gate pack as JSON: Decimals as strings, dates ISO.")
    taken_at = models.DateTimeField()
    builder_version = models.PositiveSmallIntegerField(
        help_text="Version of the JSON shape (stagegates.snapshots.BUILDER_VERSION)."
    )

    objects = GateItemSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["item_id"]

    def __str__(self):
        return f"Snapshot of {self.item} at {self.taken_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableSnapshot("Gate item snapshots never change.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableSnapshot("Gate item snapshots are never deleted.")


class PackPdfStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class PackPdf(models.Model):
    """A gate pack PDF rendered in the background for one reader (``stagegates.pack_pdf_jobs``):
    gates with more items than ``VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS``. The file is the reader's own
    (blind voting: what a member sees depends on their votes), kept in the database so the web
    and worker processes share it without a shared disk. ``gate_status``: the gate's status when
    it was requested; a file of an earlier status is out of date and never offered."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="pack_pdfs")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    gate_status = models.CharField(max_length=10, choices=GateStatus.choices)
    status = models.CharField(
        max_length=10, choices=PackPdfStatus.choices, default=PackPdfStatus.PENDING
    )
    pdf = models.BinaryField(default=b"", editable=False)
    size = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["gate", "viewer", "-requested_at"])]

    def __str__(self):
        return f"Gate {self.gate_id} pack PDF for user {self.viewer_id} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == PackPdfStatus.READY

    @property
    def is_pending(self) -> bool:
        return self.status == PackPdfStatus.PENDING
