"""Bulk inserts keyed by a unique constraint: insert the rows whose key is not there yet.

``insert_missing`` serves the in-app notifications (``notify.notify_many``) and the chat
deliveries (``alerts.publish`` and ``alerts.publish_many``): rows with the same key keep the
last one; one query reads the keys that exist already, one inserts the rest with ``ON CONFLICT
DO NOTHING`` (a concurrent run that inserted the same keys meanwhile wins silently).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Model


def insert_missing(model: type[Model], key: Sequence[str], rows: Iterable[Model]) -> list[Model]:
    """Insert those of ``rows`` (unsaved ``model`` instances) whose ``key`` (attribute names of
    the unique constraint, ``_id`` for a foreign key) no row has yet; the rows this call tried to
    insert (new as far as it could see). No query for no rows; two otherwise, or one when every
    key exists already."""

    def key_of(row: Model) -> tuple:
        return tuple(getattr(row, name) for name in key)

    rows = list({key_of(row): row for row in rows}.values())
    if not rows:
        return []
    existing = set(
        model._default_manager.filter(
            **{f"{name}__in": {getattr(row, name) for row in rows} for name in key}
        ).values_list(*key)
    )
    new = [row for row in rows if key_of(row) not in existing]
    if new:
        model._default_manager.bulk_create(new, ignore_conflicts=True)
    return new
