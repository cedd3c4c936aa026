"""Fault tolerance: the broker down, a worker killed mid-sweep, concurrent submissions."""

import importlib

from django.apps import apps


def ensure_default_policy() -> None:
    """The default stop-loss policy is seeded by a data migration, and a ``transaction=True``
    test before this one flushed it away with everything else: put it back (idempotent)."""
    migration = importlib.import_module("reviews.migrations.0003_default_policy")
    migration.create_default_policy(apps, None)
