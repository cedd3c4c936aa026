"""The monthly CFO report by e-mail (issue 19). Leadership and the PMO subscribe on the CFO
report page; on the 6th of each month (after the monthly reviews are due, ``CELERY_BEAT_SCHEDULE``)
each subscriber who still holds the role and has an e-mail address gets last month's report: the
XLSX (``exports.xlsx_bytes``) and the one-page PDF summary (``cfo_summary_pdf``), both from the
one ``CfoReport`` over the use cases the subscriber may see.

Once per month and subscriber: a ``CfoReportDelivery`` row (unique per user and month) is
inserted and committed before the e-mail goes out, so a second or concurrent run finds it and
sends nothing; if sending fails, the claim is dropped and the next run tries again, and a claim
whose sender died before sending is taken over after the e-mail lease (``VALUEGATE_EMAIL_LEASE``).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from usecases import clock, economics
from usecases.roles import is_leadership, is_pmo

from . import cfo, cfo_summary_pdf, exports
from .dashboard import MonthRange
from .models import CfoReportDelivery, CfoReportSubscription

log = logging.getLogger(__name__)


def may_subscribe(user) -> bool:
    return bool(user.is_authenticated and (is_leadership(user) or is_pmo(user)))


def is_subscribed(user) -> bool:
    return CfoReportSubscription.objects.filter(user=user).exists()


@transaction.atomic
def set_subscription(*, user, subscribed: bool) -> bool:
    """Subscribe or unsubscribe ``user`` (Leadership or PMO only); returns the new state."""
    if not may_subscribe(user):
        raise PermissionDenied("Only Leadership and the PMO can subscribe to the CFO report.")
    if subscribed:
        CfoReportSubscription.objects.get_or_create(user=user)
    else:
        CfoReportSubscription.objects.filter(user=user).delete()
    return subscribed


def report_month(today: datetime.date) -> datetime.date:
    """The month a run on ``today`` reports: the last complete one."""
    return economics.add_months(today.replace(day=1), -1)


def subscribers():
    """Subscribers with an e-mail address who are still Leadership or PMO."""
    users = (
        get_user_model()
        .objects.filter(cfo_subscription__isnull=False, is_active=True)
        .exclude(email="")
    )
    return [u for u in users.order_by("pk") if may_subscribe(u)]


def _claim(user, month: datetime.date) -> CfoReportDelivery | None:
    """Insert (and commit) ``user``'s row of ``month``; None if another run holds it. A claim
    left unsent for longer than ``VALUEGATE_EMAIL_LEASE`` seconds (its sender died) is taken over
    by one conditional UPDATE, so only one run takes it."""
    now = clock.now()
    try:
        with transaction.atomic():
            return CfoReportDelivery.objects.create(user=user, month=month, claimed_at=now)
    except IntegrityError:
        pass
    stale = now - datetime.timedelta(seconds=settings.VALUEGATE_EMAIL_LEASE)
    taken = CfoReportDelivery.objects.filter(
        user=user, month=month, sent_at__isnull=True, claimed_at__lt=stale
    ).update(claimed_at=now)
    return CfoReportDelivery.objects.get(user=user, month=month) if taken else None


def report_email(user, month: datetime.date) -> EmailMessage:
    """The e-mail of ``month``'s report for ``user``: the XLSX and the PDF from one report."""
    report = cfo.cfo_report(user=user, month_range=MonthRange(month, month))
    label = report.month_range.label
    message = EmailMessage(
        subject=f"[Valuegate] CFO report {label}",
        body=(
            f"The CFO report for {label} is attached: every table as an XLSX workbook and a "
            "one-page summary as a PDF (the three CFO figures, the value-leakage waterfall, the "
            "use cases that moved stage and the open stop-loss flags).\n\n"
            "You get this e-mail because you subscribed on the CFO report page; unsubscribe there."
        ),
        to=[user.email],
    )
    message.attach(
        exports.filename(report, "xlsx"), exports.xlsx_bytes(report), exports.XLSX_CONTENT_TYPE
    )
    message.attach(
        cfo_summary_pdf.filename(report),
        cfo_summary_pdf.render_summary_pdf(report, viewer=user),
        "application/pdf",
    )
    return message


def send_monthly_reports(today: datetime.date | None = None) -> int:
    """E-mail last month's report to every subscriber not yet sent it; returns how many."""
    month = report_month(today or clock.today())
    sent = 0
    for user in subscribers():
        delivery = _claim(user, month)
        if delivery is None:
            continue
        try:
            report_email(user, month).send()
        except Exception:
            delivery.delete()  # the next run tries again
            log.exception("CFO report %s for user %s not sent", month, user.pk)
            continue
        delivery.sent_at = clock.now()
        delivery.save(update_fields=["sent_at"])
        sent += 1
    return sent
