"""Redis (the Celery broker) down: the web keeps working and no e-mail is lost.

The broker is a real outage, not a mock: the Celery app publishes to ``redis://127.0.0.1:6390``
where nothing listens (checked first). While it is down, pages answer, a weekly review that
breaches the stop-loss is saved through the web form and through the API — no 500, each request
within a couple of seconds — and the stop-loss notifications are stored in the inbox with their
e-mail pending (``emailed_at`` empty). When the broker is back, the periodic e-mail sweep
(``usecases.tasks.send_pending_notification_emails``, beat every 5 minutes) sends every one of
them: in-process here (both backends), through a real worker on the test Redis in the
``worker``/``postgres`` test.
"""

import datetime
import os
import socket
import time
from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from portfolio.celery import app
from reviews.models import Flag, FlagKind, WeeklyReview
from tests.conftest import api_token, make_use_case, make_user
from tests.faults import ensure_default_policy
from tests.worker_support import celery_worker, sent_emails, wait_for
from usecases import clock, economics
from usecases.models import Notification, Stage
from usecases.tasks import send_pending_notification_emails

DOWN_HOST, DOWN_PORT = "127.0.0.1", 6390
DOWN_URL = f"redis://{DOWN_HOST}:{DOWN_PORT}/0"
#: What a page or a submission may take while the broker is down (a healthy one: well under).
MAX_SECONDS = 2.0
EMAIL_SWEEP = "usecases.tasks.send_pending_notification_emails"

#: Rework 300 of 800 outputs = 37.5%, above the default policy's 15%: a stop-loss breach.
BREACHING_WEEK = dict(
    active_users=80,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=300,
    exceptions=10,
    minutes_saved_per_task="3.00",
    rework_minutes_per_output="5.00",
    quality_score="85",
    backlog=40,
    declared_hours_saved="0",
)


def _nothing_listens(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) != 0


@contextmanager
def _broker(url: str | None):
    """Publish to ``url`` for real (``None``: the suite's in-process eager mode).

    Set as ``broker_write_url``, the setting publishing reads first: Celery's ``broker_url``
    prefers a ``CELERY_BROKER_URL`` environment variable (which the test commands set) over the
    configured value, so changing ``broker_url`` alone kept publishing to the healthy test broker.
    """
    assert "CELERY_BROKER_WRITE_URL" not in os.environ, "it would win over broker_write_url"
    conf = app.conf
    saved = {
        "broker_write_url": conf.get("broker_write_url"),
        "task_always_eager": conf.task_always_eager,
    }
    app._after_fork()  # forget pooled connections to the previous broker
    if url is None:
        conf.update(task_always_eager=True)
    else:
        conf.update(broker_write_url=url, task_always_eager=False)
    try:
        yield
    finally:
        app._after_fork()
        conf.update(saved)


@pytest.fixture
def broker_down():
    assert _nothing_listens(DOWN_HOST, DOWN_PORT), f"something listens on {DOWN_URL}"
    with _broker(DOWN_URL):
        # The first publish of a process builds its connection pool (about a second, with a
        # healthy broker too): done here, so the timings below measure the outage alone. It
        # must fail: the app really publishes to the dead broker, not to the suite's one.
        with pytest.raises(OperationalError):
            app.send_task("valuegate.warm-up", retry_policy={"max_retries": 0})
        yield


@pytest.fixture
def portfolio(django_db_serialized_rollback, transactional_db):
    """A use case in rollout, its value owner and contributor, and a PMO of three.

    Real time throughout (a worker process cannot share a frozen clock, and the e-mail sweep
    skips notifications older than two days): the weeks are the last two complete ones."""
    ensure_default_policy()
    owner = make_user("olivia")
    contributor = make_user("carl")
    pmo = [make_user(name, "PMO") for name in ("pia", "paul", "petra")]
    today = clock.today()
    use_case = make_use_case(owner=owner, live_since=today - datetime.timedelta(days=180))
    use_case.contributors.add(contributor)
    return owner, contributor, pmo, use_case


def _week(days_ago: int) -> str:
    day = clock.today() - datetime.timedelta(days=days_ago)
    return economics.format_iso_week(*economics.iso_week_of(day))


#: The last complete week (the web form) and the one before (the API).
def _weeks() -> tuple[str, str]:
    return _week(7), _week(14)


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _submit_breaches_while_down(owner, contributor, use_case):
    """Pages, then the web form and the API each submit a breaching week, the broker down."""
    web = APIClient()
    web.force_login(owner)
    for url in (
        reverse("portfolio:home"),
        reverse("usecases:detail", args=[use_case.pk]),
        reverse("portfolio:dashboard"),
        reverse("usecases:inbox"),
    ):
        response, seconds = _timed(lambda url=url: web.get(url))
        assert response.status_code == 200, url
        assert seconds < MAX_SECONDS, f"GET {url} took {seconds:.2f}s with the broker down"

    web_week, api_week = _weeks()
    form = {"week": web_week, **BREACHING_WEEK}
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    response, seconds = _timed(lambda: web.post(url, form, format="multipart"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert seconds < MAX_SECONDS, f"the web form took {seconds:.2f}s with the broker down"

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(contributor)}")
    body = {"use_case": use_case.pk, "week": api_week, **BREACHING_WEEK}
    response, seconds = _timed(lambda: api.post("/api/v1/weekly-reviews/", body, format="json"))
    assert response.status_code == 201, response.content.decode()[:2000]
    assert seconds < MAX_SECONDS, f"the API took {seconds:.2f}s with the broker down"


def _assert_stored_not_emailed(owner, pmo, use_case) -> set[tuple[str, str]]:
    weeks = set(_weeks())
    assert set(WeeklyReview.objects.values_list("week", flat=True)) == weeks
    use_case.refresh_from_db()
    assert use_case.stage == Stage.REDESIGN  # the breach applied its action
    flags = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    assert set(flags.values_list("period", flat=True)) == weeks
    rows = Notification.objects.filter(
        kind="stop_loss", subject_type=ContentType.objects.get_for_model(Flag)
    )
    stored = set(rows.values_list("recipient__username", "period"))
    recipients = {owner.username, *(p.username for p in pmo)}
    assert stored == {(name, week) for name in recipients for week in weeks}
    assert not rows.filter(emailed_at__isnull=False).exists()  # pending, for the sweep
    return stored


def test_pages_and_submissions_work_while_the_broker_is_down(portfolio, broker_down):
    owner, contributor, pmo, use_case = portfolio
    _submit_breaches_while_down(owner, contributor, use_case)
    stored = _assert_stored_not_emailed(owner, pmo, use_case)
    assert mail.outbox == []

    with _broker(None):
        # The broker is back: beat's next e-mail sweep runs (here in-process, eagerly).
        send_pending_notification_emails.delay()

    sent = {(m.to[0].split("@")[0], m.subject) for m in mail.outbox}
    assert len(mail.outbox) == len(stored) == 8
    assert {name for name, _ in sent} == {name for name, _ in stored}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.worker
@pytest.mark.postgres
def test_emails_go_out_through_a_worker_when_the_broker_returns(portfolio, broker_down, tmp_path):
    """The same outage, then a real worker on the test Redis runs the sweep beat would send."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    owner, contributor, pmo, use_case = portfolio
    _submit_breaches_while_down(owner, contributor, use_case)
    stored = _assert_stored_not_emailed(owner, pmo, use_case)

    with celery_worker(tmp_path, concurrency=2) as worker:
        worker.producer.send_task(EMAIL_SWEEP)
        wait_for(
            lambda: len(sent_emails(worker.mail_dir)) >= len(stored), timeout=90, worker=worker
        )
        worker.wait_idle()
        log = worker.log()
    assert "Traceback" not in log, log[-4000:]
    messages = sent_emails(worker.mail_dir)
    assert len(messages) == len(stored) == 8
    assert {m["To"].split("@")[0] for m in messages} == {name for name, _ in stored}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
