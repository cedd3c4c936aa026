"""The monthly CFO report task in a REAL Celery worker process (prefork, 4 processes) on the test
Redis and PostgreSQL: four runs at once send each subscriber exactly one e-mail, with the XLSX and
the PDF attached."""

import pytest
from celery import group
from django.db import connection

from portfolio.models import CfoReportDelivery, CfoReportSubscription
from tests.conftest import make_use_case, make_user
from tests.portfolio.test_dashboard import add_month, add_week
from tests.worker_support import celery_worker, sent_emails, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

TASK = "portfolio.tasks.send_monthly_cfo_reports"
DAY = "2026-12-06"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_send_each_subscriber_one_email(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    use_case = make_use_case(owner=make_user("olivia"))
    add_week(use_case, "2026-W46")
    add_month(use_case, "2026-11")
    leader, pmo = make_user("lena", "Leadership"), make_user("pia", "PMO")
    make_user("otto")  # no role, not subscribed
    for user in (leader, pmo):
        CfoReportSubscription.objects.create(user=user)

    with celery_worker(tmp_path, concurrency=4) as worker:
        producer = worker.producer
        group(producer.signature(TASK, kwargs={"on": DAY}) for _ in range(4)).apply_async()
        wait_for(lambda: len(sent_emails(worker.mail_dir)) >= 2, timeout=90, worker=worker)
        worker.wait_idle()
        log = worker.log()

    assert "Traceback" not in log, log[-4000:]
    assert log.count(f"Task {TASK}[") >= 4 + 4  # 4 received + 4 succeeded
    messages = sent_emails(worker.mail_dir)
    assert sorted(m["To"] for m in messages) == ["lena@example.com", "pia@example.com"]
    for message in messages:
        assert message["Subject"].strip() == "[Valuegate] CFO report Nov 2026"
        names = sorted(part.get_filename() for part in message.iter_attachments())
        assert names == ["cfo-report-2026-11_2026-11.xlsx", "cfo-summary-2026-11.pdf"]
    assert CfoReportDelivery.objects.filter(sent_at__isnull=False).count() == 2
