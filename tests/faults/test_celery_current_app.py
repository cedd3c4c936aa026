"""A Celery app created by one test must not take over the tasks of the next.

Celery makes every app it creates the current one, and shared tasks (``@shared_task``) resolve
to the current app at each call. tests/worker_support.py creates a producer app for each real
worker; before tests/conftest.py made the project app current again around every test, each
``.delay()`` after a worker test went through that producer: not eager, published to the stopped
worker's queue on the test Redis, so e-mails after commit and the e-mail sweep silently never ran
(``tests/reviews tests/api tests/faults/test_redis_down.py`` failed with an empty outbox).

Now the producer is created with ``set_as_current=False`` and the conftest fixture restores the
project app around every test (either alone would do). The two tests below run in this order: the
first creates a producer (and makes a stray app current, as a careless test would), the second
checks the next test is not affected. Both ask for ``db``: pytest-django runs the database tests
before the others, and keeps a module's order within each group.
"""

from celery import Celery, current_app
from celery.result import EagerResult

from portfolio.celery import app
from reviews.tasks import send_review_reminders
from tests.worker_support import make_producer
from usecases.tasks import send_pending_notification_emails


def test_1_a_producer_app_does_not_take_over_a_stray_app_does(db):
    producer = make_producer("valuegate-test-current-app")
    producer.close()  # no connection was opened: nothing to clean on the broker
    assert current_app.main == app.main
    assert send_pending_notification_emails.app is app
    stray = Celery("valuegate-test-stray")  # set_as_current defaults to True
    assert send_pending_notification_emails.app is stray  # what the fixture undoes


def test_2_the_next_test_runs_the_project_tasks_in_process(db, mailoutbox):
    assert current_app.main == app.main
    assert send_pending_notification_emails.app is app
    assert send_review_reminders.app is app
    result = send_pending_notification_emails.delay()
    assert isinstance(result, EagerResult)  # ran here, not published to a broker
    assert result.get() == 0
