"""usecases.notify: one row per (recipient, kind, subject, period); e-mail claimed, leased, retried.

E-mails go through Django's locmem backend (``mail.outbox``); a failing mail server is a real SMTP
backend pointed at a closed port. Celery tasks run in-process (tests/conftest.py).
"""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.conftest import make_user
from usecases import notify
from usecases.models import Notification

T0 = timezone.make_aware(datetime.datetime(2026, 5, 18, 9, 0))
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
BROKEN_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def remind(recipient, subject, period="2026-W20", kind="weekly_reminder"):
    return notify.notify(
        recipient=recipient,
        kind=kind,
        subject=subject,
        period=period,
        title=f"Weekly review {period} is due",
        body="Please submit it.",
        url="/reviews/use-cases/1/weekly/new/?week=2026-W20",
    )


@pytest.mark.django_db
def test_notify_creates_once_and_emails_after_commit(
    owner, use_case, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first, created = remind(owner, use_case)
        assert created and mail.outbox == []  # nothing before commit
    assert len(callbacks) == 1
    again, created_again = remind(owner, use_case)
    assert (again.pk, created_again) == (first.pk, False)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Weekly review 2026-W20 is due"
    assert "http://127.0.0.1:8000/reviews/use-cases/1/weekly/new/?week=2026-W20" in message.body
    assert "/inbox/" in message.body
    first.refresh_from_db()
    assert first.emailed_at == T0 and first.email_attempts == 1


@pytest.mark.django_db
def test_other_period_kind_or_recipient_is_another_notification(owner, contributor, use_case):
    remind(owner, use_case)
    remind(owner, use_case, period="2026-W21")
    remind(owner, use_case, kind="weekly_overdue")
    remind(contributor, use_case)
    assert Notification.objects.count() == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rolled_back_notification_is_neither_kept_nor_emailed(owner, use_case):
    with pytest.raises(RuntimeError), transaction.atomic():
        remind(owner, use_case)
        raise RuntimeError("the change it was about failed")
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_email_address_no_email(use_case, django_capture_on_commit_callbacks):
    silent = make_user("silent")
    silent.email = ""
    silent.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        remind(silent, use_case)
    assert callbacks == [] and mail.outbox == []
    assert notify.send_pending_emails() == 0


@pytest.mark.django_db
def test_a_claimed_email_is_sent_by_one_sender_only(owner, use_case, frozen):
    n, _ = remind(owner, use_case)  # no commit in this test: nothing sent yet
    assert notify.send_notification_email(n.pk) is True
    assert notify.send_notification_email(n.pk) is False
    assert notify.send_pending_emails() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_sender_died_after_claiming_sweep_resends_after_the_lease(
    owner, use_case, frozen, settings
):
    n, _ = remind(owner, use_case)
    # A worker claimed the row and died before sending: the lease is live, emailed_at empty.
    Notification.objects.filter(pk=n.pk).update(email_claimed_at=T0, email_attempts=1)
    assert notify.send_pending_emails() == 0
    assert notify.send_notification_email(n.pk) is False
    frozen.shift(datetime.timedelta(seconds=settings.VALUEGATE_EMAIL_LEASE + 1))
    assert notify.send_pending_emails() == 1
    assert notify.send_pending_emails() == 0
    assert len(mail.outbox) == 1
    n.refresh_from_db()
    assert n.emailed_at is not None and n.email_attempts == 2


@pytest.mark.django_db
def test_failed_send_is_retried_after_the_lease_then_given_up(owner, use_case, frozen, settings):
    settings.MAILERS = BROKEN_SMTP
    n, _ = remind(owner, use_case)
    assert notify.send_notification_email(n.pk) is False  # connection refused, logged
    n.refresh_from_db()
    assert n.emailed_at is None and n.email_attempts == 1 and n.email_claimed_at == T0
    settings.MAILERS = LOCMEM
    assert notify.send_pending_emails() == 0  # within the lease: not yet
    frozen.shift(datetime.timedelta(seconds=settings.VALUEGATE_EMAIL_LEASE + 1))
    assert notify.send_pending_emails() == 1
    assert len(mail.outbox) == 1

    other, _ = remind(owner, use_case, period="2026-W21")
    Notification.objects.filter(pk=other.pk).update(
        email_attempts=settings.VALUEGATE_EMAIL_MAX_ATTEMPTS
    )
    assert notify.send_pending_emails() == 0  # out of attempts: stays in the inbox only


@pytest.mark.django_db
def test_old_notifications_are_not_emailed_late(owner, use_case, frozen, settings):
    remind(owner, use_case)
    frozen.shift(datetime.timedelta(hours=settings.VALUEGATE_EMAIL_MAX_AGE_HOURS, minutes=1))
    assert notify.send_pending_emails() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_inactive_recipient_is_not_emailed(owner, use_case):
    remind(owner, use_case)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert notify.send_pending_emails() == 0


@pytest.mark.django_db
def test_notify_many_inserts_only_new_rows_and_emails_them_once(
    owner, contributor, use_case, other_use_case, django_capture_on_commit_callbacks
):
    drafts = [
        notify.draft(
            recipient_id=user.pk,
            kind="weekly_reminder",
            subject=uc,
            period="2026-W20",
            title=f"Remind {user} of {uc}",
        )
        for user in (owner, contributor)
        for uc in (use_case, other_use_case)
    ]
    remind(owner, use_case)  # exists already: not created again, title kept
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.notify_many(drafts + drafts[:1]) == 3
    assert Notification.objects.count() == 4
    assert Notification.objects.filter(title="Weekly review 2026-W20 is due").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "carl@example.com",
        "carl@example.com",
        "olivia@example.com",
        "olivia@example.com",
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notify.notify_many(drafts) == 0
    assert callbacks == [] and len(mail.outbox) == 4
    assert notify.notify_many([]) == 0
