"""Ingest keys of the OTLP endpoint: made by a use case's value owner or the PMO (portfolio keys:
the PMO only), shown once, stored as a SHA-256 digest (a key is 256 random bits: no stretching
needed), revoked, never deleted (the list says who revoked which key when)."""

import datetime
import hashlib
import secrets
from hmac import compare_digest

from django.db import transaction
from django.utils import timezone

from usecases import clock

from .telemetry_models import IngestKey

KEY_PREFIX = "vgi_"
#: Characters of the key kept in clear to find its row (the prefix and 8 random characters).
LOOKUP_LENGTH = 12
#: ``last_used_at`` is written at most this often per key (not on every batch).
USE_NOTED_EVERY = datetime.timedelta(minutes=5)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def ingest_key_create(*, user, use_case, label: str = "") -> tuple[str, IngestKey]:
    """A new key for ``use_case`` (None: the portfolio): ``(key, row)``; the key is shown once."""
    key = KEY_PREFIX + secrets.token_hex(32)
    row = IngestKey.objects.create(
        use_case=use_case,
        label=label,
        prefix=key[:LOOKUP_LENGTH],
        digest=digest_of(key),
        created_by=user,
    )
    return key, row


@transaction.atomic
def ingest_key_revoke(*, user, key: IngestKey) -> IngestKey:
    """Revoke ``key`` (idempotent: a revoked key keeps its first revocation)."""
    updated = IngestKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=user
    )
    if updated:
        key.refresh_from_db()
    return key


def ingest_key_authenticate(raw: str) -> IngestKey | None:
    """The live key ``raw`` names, or None (unknown, malformed or revoked)."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200 or not raw.isascii():
        return None
    digest = digest_of(raw)
    for row in IngestKey.objects.filter(prefix=raw[:LOOKUP_LENGTH], revoked_at__isnull=True):
        if compare_digest(row.digest, digest):
            now = timezone.now()
            if row.last_used_at is None or now - row.last_used_at > USE_NOTED_EVERY:
                IngestKey.objects.filter(pk=row.pk).update(last_used_at=now)
            return row
    return None
