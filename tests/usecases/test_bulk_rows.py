"""usecases.bulk_rows.insert_missing: the rows whose key is new, in two queries whatever their
number (the step shared by ``notify.notify_many`` and ``alerts.publish_many``)."""

import pytest
from django.contrib.contenttypes.models import ContentType

from usecases.bulk_rows import insert_missing
from usecases.models import Notification

pytestmark = pytest.mark.django_db

KEY = ("recipient_id", "kind", "subject_type_id", "subject_id", "period")


def row(user, use_case, period, title="t"):
    return Notification(
        recipient_id=user.pk,
        kind="weekly_reminder",
        subject_type_id=ContentType.objects.get_for_model(use_case).pk,
        subject_id=use_case.pk,
        period=period,
        title=title,
    )


def test_inserts_only_the_new_keys_last_duplicate_kept(
    owner, contributor, use_case, django_assert_num_queries
):
    ContentType.objects.get_for_model(use_case)  # cached: not counted below
    insert_missing(Notification, KEY, [row(owner, use_case, "2026-W20", "old")])
    rows = [
        row(owner, use_case, "2026-W20", "again"),
        row(contributor, use_case, "2026-W20", "first"),
        row(contributor, use_case, "2026-W20", "second"),
        row(owner, use_case, "2026-W21"),
    ]
    with django_assert_num_queries(2):
        new = insert_missing(Notification, KEY, rows)
    assert [(n.recipient_id, n.period, n.title) for n in new] == [
        (contributor.pk, "2026-W20", "second"),
        (owner.pk, "2026-W21", "t"),
    ]
    assert sorted(Notification.objects.values_list("recipient_id", "period", "title")) == sorted(
        [
            (owner.pk, "2026-W20", "old"),
            (contributor.pk, "2026-W20", "second"),
            (owner.pk, "2026-W21", "t"),
        ]
    )
    with django_assert_num_queries(1):
        assert insert_missing(Notification, KEY, rows) == []


def test_no_rows_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_missing(Notification, KEY, []) == []
