"""The monthly CFO report by e-mail (issue 19): who subscribed, and which month each subscriber
was sent (``portfolio.cfo_subscriptions``)."""

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
