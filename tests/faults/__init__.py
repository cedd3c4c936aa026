"""Fault tolerance: the broker down, a worker killed mid-sweep, concurrent submissions."""

from tests.conftest import restore_migrated_reference_data


def ensure_default_policy() -> None:
    """The default stop-loss policy comes from a data migration that an earlier
    ``transaction=True`` test may have flushed: put it back (idempotent)."""
    restore_migrated_reference_data()
