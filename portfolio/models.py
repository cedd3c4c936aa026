"""The monthly CFO report by e-mail (issue 19): who subscribed, and which month each subscriber
was sent (``portfolio.cfo_subscriptions``); the portfolio evidence packs built in the background
(``portfolio.evidence_jobs``)."""

from django.conf import settings
from django.db import models


class CfoReportSubscription(models.Model):
    """A Leadership or PMO member who gets the CFO report by e-mail each month."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cfo_subscription"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"CFO report for {self.user}"


class CfoReportDelivery(models.Model):
    """One subscriber's report of one month. The row is claimed (inserted and committed) before
    the e-mail is sent: the unique (user, month) makes a retried or concurrent run send once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cfo_deliveries"
    )
    month = models.DateField(help_text="The report's month (its first day).")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="cfo_delivery_once_per_month")
        ]

    def __str__(self) -> str:
        return f"CFO report {self.month:%Y-%m} for {self.user}"


class EvidencePackStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class EvidencePack(models.Model):
    """The portfolio's evidence pack built in the background for one PMO member
    (``portfolio.evidence_jobs``). The ZIP is kept in the database (``EvidencePackChunk``, 1 MiB
    each) so the web and worker processes share it without a shared disk, and served chunk by
    chunk. A member keeps their latest ready pack only."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=EvidencePackStatus.choices, default=EvidencePackStatus.PENDING
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    use_cases = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"])]

    def __str__(self) -> str:
        return f"Evidence pack {self.pk} for user {self.requested_by_id} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == EvidencePackStatus.READY

    @property
    def is_pending(self) -> bool:
        return self.status == EvidencePackStatus.PENDING


class EvidencePackChunk(models.Model):
    """One piece of a ready evidence pack's ZIP, in order (``number`` from 0)."""

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["pack_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "number"], name="evidence_chunk_once")
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of evidence pack {self.pack_id}"
