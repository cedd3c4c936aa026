"""The reminder task in a REAL Celery worker process (prefork, 4 processes) on the test Redis and
the test PostgreSQL database: run twice and concurrently, it creates exactly one notification and
sends exactly one e-mail per recipient and period.

Replayed day: Monday 1 June 2026. The use case is live since 1 May 2026 and has its weekly reviews
up to 2026-W21; 2026-W22 (25–31 May) and May 2026 are missing, so its value owner and its
contributor are each reminded of both: 4 notifications, 4 e-mails. A second use case has submitted
everything and gets nothing.
"""

import datetime

import pytest
from celery import group
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tests.conftest import make_use_case, make_user
from tests.reviews.cadence_helpers import add_monthly, add_weekly
from tests.worker_support import celery_worker, sent_emails, wait_for
from usecases.models import Notification

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

DAY = "2026-06-01"
TASK = "reviews.tasks.send_review_reminders"
SWEEP = "usecases.tasks.send_pending_notification_emails"


@pytest.fixture
def owing(db):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    owner, contributor = make_user("olivia"), make_user("carl")
    use_case = make_use_case(owner=owner, live_since=datetime.date(2026, 5, 1))
    use_case.contributors.add(contributor)
    for week in ("2026-W18", "2026-W19", "2026-W20", "2026-W21"):
        add_weekly(use_case, week)
    done = make_use_case(
        "Up to date", owner=make_user("oscar"), live_since=datetime.date(2026, 5, 1)
    )
    for week in ("2026-W19", "2026-W20", "2026-W21", "2026-W22"):
        add_weekly(done, week)
    add_monthly(done, "2026-05")
    return use_case


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reminders_run_twice_and_concurrently_notify_and_email_once(owing, tmp_path):
    with celery_worker(tmp_path, concurrency=4) as worker:
        producer = worker.producer
        producer.send_task(TASK, kwargs={"on": DAY})
        producer.send_task(TASK, kwargs={"on": DAY})
        group(producer.signature(TASK, kwargs={"on": DAY}) for _ in range(2)).apply_async()

        wait_for(lambda: len(sent_emails(worker.mail_dir)) >= 4, timeout=90, worker=worker)
        worker.wait_idle()
        log = worker.log()

    assert log.count(f"Task {TASK}[") >= 4 + 4  # 4 received + 4 succeeded
    assert "Traceback" not in log, log[-4000:]

    expected = {
        ("olivia", "weekly_reminder", "2026-W22"),
        ("olivia", "monthly_reminder", "2026-05"),
        ("carl", "weekly_reminder", "2026-W22"),
        ("carl", "monthly_reminder", "2026-05"),
    }
    rows = list(Notification.objects.values_list("recipient__username", "kind", "period"))
    assert sorted(rows) == sorted(expected)  # exactly one each
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert set(Notification.objects.values_list("subject_id", flat=True)) == {owing.pk}

    messages = sent_emails(worker.mail_dir)
    sent = sorted((m["To"], m["Subject"].strip().split(" of ")[0]) for m in messages)
    assert sent == [
        ("carl@example.com", "Monthly review 2026-05"),
        ("carl@example.com", "Weekly review 2026-W22"),
        ("olivia@example.com", "Monthly review 2026-05"),
        ("olivia@example.com", "Weekly review 2026-W22"),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_email_sweeps_send_each_email_once(owing, tmp_path):
    """Four sweeps at once over the same 24 unsent notifications: the conditional-UPDATE claim
    lets exactly one of them send each e-mail."""
    users = [make_user(f"user{i}") for i in range(12)]
    Notification.objects.bulk_create(  # rows whose senders never ran (say, a worker died)
        Notification(
            recipient=user,
            kind=kind,
            subject_type=ContentType.objects.get_for_model(owing),
            subject_id=owing.pk,
            period="2026-W22",
            title=f"{kind} for {user.username}",
        )
        for user in users
        for kind in ("weekly_reminder", "weekly_overdue")
    )
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 24
    with celery_worker(tmp_path, concurrency=4) as worker:
        group(worker.producer.signature(SWEEP) for _ in range(6)).apply_async()
        wait_for(lambda: len(sent_emails(worker.mail_dir)) >= 24, timeout=90, worker=worker)
        worker.wait_idle()
        log = worker.log()
    assert "Traceback" not in log, log[-4000:]
    messages = sent_emails(worker.mail_dir)
    assert len(messages) == 24
    assert len({(m["To"], m["Subject"].strip()) for m in messages}) == 24
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
