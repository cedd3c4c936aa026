"""The OTLP ingest's write side: an ``ExportTraceServiceRequest`` from one ingest key becomes
counts (``reviews.telemetry_counts`` says what each span counts for) in the aggregates of
``reviews.telemetry_models``. Raw spans are not kept.

Exactly once: the span ids of a batch are inserted first (``INSERT … ON CONFLICT DO NOTHING
RETURNING``); only the spans that were new add to the per-day aggregates, so a batch sent twice
(an exporter's retry) or two overlapping requests count each span once. Trace flags (AI call,
error, rework) are OR-ed into one row per trace, users into one salted hash per ISO week:
distinct counts stay exact across batches. The aggregates are increments (``ON CONFLICT DO
UPDATE SET n = n + excluded.n``), safe under concurrent requests, on PostgreSQL and SQLite.

Versions: each model and prompt version of the new spans is inserted once per use case
(``TelemetryVersion``, one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per batch); the rows the
insert returns are new, and a new one that is not the use case's first of its kind is proposed
as a change-log entry (``usecases.change_proposals``). A concurrent batch naming the same version
waits on the unique index and gets nothing back: one proposal, whoever races.

Spans are rejected (``partial_success``) when the key does not cover their use case, when they
name no valid trace/span id or start time, or when they started before the de-duplication window
(``VALUEGATE_TELEMETRY["window_days"]``) or more than a day in the future.
"""

import collections
import contextlib
import dataclasses
import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction

from usecases import change_proposals, clock, economics
from usecases.models import ChangeKind, UseCase

from .telemetry_counts import UNKNOWN_MODEL, SpanFacts, attributes, resource_use_case, span_facts
from .telemetry_models import (
    IngestKey,
    TelemetryDay,
    TelemetrySpan,
    TelemetryTokens,
    TelemetryTrace,
    TelemetryUser,
    TelemetryVersion,
)

CHUNK = 400


@dataclasses.dataclass
class IngestResult:
    accepted: int = 0
    counted: int = 0  # accepted and not seen before
    rejected: int = 0
    reasons: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def reject(self, reason: str, n: int = 1) -> None:
        self.rejected += n
        self.reasons[reason] += n

    @property
    def message(self) -> str:
        return "; ".join(f"{n} × {reason}" for reason, n in sorted(self.reasons.items()))


def week_of(day: datetime.date) -> str:
    iso = day.isocalendar()
    return economics.format_iso_week(iso.year, iso.week)


def user_hash(use_case_id: int, week: str, user: str) -> str:
    """A salted hash of a user id, per use case and week: no id in the database, and the same
    person cannot be followed from one week or use case to the next."""
    salt = settings.VALUEGATE_TELEMETRY["user_salt"] or f"telemetry-users:{settings.SECRET_KEY}"
    message = f"{use_case_id}\x1f{week}\x1f{user}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


def window_start(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=settings.VALUEGATE_TELEMETRY["window_days"])


def _use_case_of(key: IngestKey, named, known: set[int]) -> int | str:
    """The use case id the spans of a resource count for, or why they are rejected."""
    if key.use_case_id is not None:
        if named is not None and named != key.use_case_id:
            return "spans of a use case this key does not cover (valuegate.use_case.id)"
        return key.use_case_id
    if named is None:
        return "spans without valuegate.use_case.id (a portfolio key needs it)"
    if not isinstance(named, int) or named not in known:
        return "spans of an unknown use case (valuegate.use_case.id)"
    return named


def facts_by_use_case(key: IngestKey, request, result: IngestResult, today: datetime.date):
    """{use case id: [SpanFacts]} of the request's acceptable spans; the rest counted in
    ``result`` as rejected."""
    resources = [(attributes(rs.resource.attributes), rs) for rs in request.resource_spans]
    named = {resource_use_case(attrs) for attrs, _ in resources}
    known = set(
        UseCase.objects.filter(pk__in=[n for n in named if isinstance(n, int)]).values_list(
            "pk", flat=True
        )
    )
    earliest, latest = window_start(today), today + datetime.timedelta(days=1)
    found: dict[int, list[SpanFacts]] = collections.defaultdict(list)
    for attrs, resource_spans in resources:
        spans = [span for scope in resource_spans.scope_spans for span in scope.spans]
        use_case_id = _use_case_of(key, resource_use_case(attrs), known)
        if isinstance(use_case_id, str):
            result.reject(use_case_id, len(spans))
            continue
        for span in spans:
            facts = span_facts(span, attrs)
            if isinstance(facts, str):
                result.reject(facts)
            elif facts.day < earliest:
                result.reject(f"spans that started before {earliest} (the ingest window)")
            elif facts.day > latest:
                result.reject("spans that start in the future")
            else:
                found[use_case_id].append(facts)
                result.accepted += 1
    return found


@contextlib.contextmanager
def bounded(*, writes: bool = True):
    """A transaction that waits for no lock and runs no statement longer than the settings say
    (PostgreSQL: ``lock_timeout_ms``, ``statement_timeout_ms``, for this transaction only): a row
    held by another transaction (the purge, a long write) or a slow statement ends in an
    ``OperationalError`` — the endpoint's 503 with ``Retry-After`` — not in a request that hangs
    until gunicorn kills its worker. Nothing of it is kept, so the exporter's retry counts once.
    SQLite has no such settings: it waits at most its ``timeout`` for the write lock
    (``portfolio.settings``), and reads (``writes=False``) take no transaction there (its
    transactions take the write lock at BEGIN)."""
    if connection.vendor != "postgresql":
        with transaction.atomic() if writes else contextlib.nullcontext():
            yield
        return
    config = settings.VALUEGATE_TELEMETRY
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), "
                "set_config('statement_timeout', %s, true)",
                [f"{config['lock_timeout_ms']}ms", f"{config['statement_timeout_ms']}ms"],
            )
        yield


def ingest(*, key: IngestKey, request, today: datetime.date | None = None) -> IngestResult:
    """Count the spans of ``request`` (an ``ExportTraceServiceRequest``) sent with ``key``: one
    ``bounded`` transaction per use case."""
    today = today or clock.today()
    result = IngestResult()
    with bounded(writes=False):
        found = facts_by_use_case(key, request, result, today)
    for use_case_id, facts in found.items():
        with bounded():
            new = _new_spans(use_case_id, facts)
            result.counted += len(new)
            if new:
                _add(use_case_id, new)
                _versions(use_case_id, new)
    return result


# --- SQL: portable upserts (PostgreSQL and SQLite both have ON CONFLICT … RETURNING) ----------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(value: datetime.date):
    return connection.ops.adapt_datefield_value(value)


def _moment(value: datetime.datetime | None):
    return connection.ops.adapt_datetimefield_value(value) if value else None


def _insert(model, columns, rows, conflict, update="DO NOTHING", returning=""):
    """``INSERT INTO model (columns) VALUES rows ON CONFLICT (conflict) update [RETURNING]``,
    in chunks; the rows returned."""
    table = _table(model)
    out = []
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([placeholders] * len(chunk))
            + f" ON CONFLICT ({', '.join(conflict)}) {update.format(t=table)}"
            + (f" RETURNING {returning}" if returning else "")
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                out.extend(cursor.fetchall())
    return out


def _new_spans(use_case_id: int, facts: list[SpanFacts]) -> list[SpanFacts]:
    unique = {(f.trace_id, f.span_id): f for f in facts}  # a span twice in one batch: once
    inserted = _insert(
        TelemetrySpan,
        ("use_case_id", "trace_id", "span_id", "day"),
        [(use_case_id, t, s, _date(f.day)) for (t, s), f in unique.items()],
        ("use_case_id", "trace_id", "span_id"),
        returning="trace_id, span_id",
    )
    return [unique[(t, s)] for t, s in inserted]


def _add(use_case_id: int, facts: list[SpanFacts]) -> None:
    days: dict = collections.defaultdict(lambda: [0, 0, 0.0, 0, None])
    tokens: dict = collections.defaultdict(lambda: [0, 0])
    traces: dict = {}
    users: set = set()
    for f in facts:
        day = days[f.day]
        day[0] += 1
        day[1] += f.ai_call
        day[2] += sum(f.quality)
        day[3] += len(f.quality)
        last = f.end or f.start
        day[4] = last if day[4] is None or last > day[4] else day[4]
        if f.model and (f.input_tokens or f.output_tokens):
            tokens[(f.day, f.model)][0] += f.input_tokens
            tokens[(f.day, f.model)][1] += f.output_tokens
        if f.ai_call or f.error or f.rework:
            seen = traces.get(f.trace_id, (f.day, False, False, False))
            traces[f.trace_id] = (
                min(seen[0], f.day),
                seen[1] or f.ai_call,
                seen[2] or f.error,
                seen[3] or f.rework,
            )
        if f.user:
            week = week_of(f.day)
            users.add((week, user_hash(use_case_id, week, f.user)))
    _insert(
        TelemetryDay,
        ("use_case_id", "day", "spans", "ai_calls", "quality_sum", "quality_count", "last_span_at"),
        [(use_case_id, _date(d), *v[:4], _moment(v[4])) for d, v in sorted(days.items())],
        ("use_case_id", "day"),
        "DO UPDATE SET spans = {t}.spans + excluded.spans, "
        "ai_calls = {t}.ai_calls + excluded.ai_calls, "
        "quality_sum = {t}.quality_sum + excluded.quality_sum, "
        "quality_count = {t}.quality_count + excluded.quality_count, "
        "last_span_at = CASE WHEN {t}.last_span_at IS NULL "
        "OR excluded.last_span_at > {t}.last_span_at "
        "THEN excluded.last_span_at ELSE {t}.last_span_at END",
    )
    if tokens:
        _insert(
            TelemetryTokens,
            ("use_case_id", "day", "model", "input_tokens", "output_tokens"),
            [(use_case_id, _date(d), m, *v) for (d, m), v in sorted(tokens.items())],
            ("use_case_id", "day", "model"),
            "DO UPDATE SET input_tokens = {t}.input_tokens + excluded.input_tokens, "
            "output_tokens = {t}.output_tokens + excluded.output_tokens",
        )
    if traces:
        _insert(
            TelemetryTrace,
            ("use_case_id", "trace_id", "day", "has_ai", "is_error", "is_rework"),
            [(use_case_id, t, _date(v[0]), *v[1:]) for t, v in sorted(traces.items())],
            ("use_case_id", "trace_id"),
            "DO UPDATE SET has_ai = ({t}.has_ai OR excluded.has_ai), "
            "is_error = ({t}.is_error OR excluded.is_error), "
            "is_rework = ({t}.is_rework OR excluded.is_rework), "
            "day = CASE WHEN excluded.day < {t}.day THEN excluded.day ELSE {t}.day END",
        )
    if users:
        _insert(
            TelemetryUser,
            ("use_case_id", "week", "user_hash"),
            [(use_case_id, w, h) for w, h in sorted(users)],
            ("use_case_id", "week", "user_hash"),
        )


def _versions(use_case_id: int, facts: list[SpanFacts]) -> None:
    """Record the batch's model and prompt versions; propose the new ones (not the first one
    of its kind for the use case: that is its baseline) as change-log entries."""
    first: dict[tuple[str, str], datetime.date] = {}
    for f in facts:
        for kind, value in ((ChangeKind.MODEL, f.model), (ChangeKind.PROMPT, f.prompt_version)):
            if value and value != UNKNOWN_MODEL:
                key = (str(kind), value)
                first[key] = min(first.get(key, f.day), f.day)
    if not first:
        return
    inserted = _insert(
        TelemetryVersion,
        ("use_case_id", "kind", "value", "first_seen"),
        [(use_case_id, k, v, _date(d)) for (k, v), d in sorted(first.items())],
        ("use_case_id", "kind", "value"),
        returning="kind, value",
    )
    if not inserted:
        return
    new = {(k, v) for k, v in inserted}
    known: dict[str, list[tuple[datetime.date, int, str]]] = collections.defaultdict(list)
    for kind, value, seen_on, pk in (
        TelemetryVersion.objects.filter(use_case_id=use_case_id, kind__in={k for k, _ in new})
        .order_by()
        .values_list("kind", "value", "first_seen", "pk")
    ):
        if (kind, value) not in new:
            known[kind].append((seen_on, pk, value))
    proposals = []
    for kind, value in sorted(new):
        older = sorted(known[kind])
        if not older:
            continue  # the use case's first version of this kind: its baseline
        day = first[(kind, value)]
        before = [entry for entry in older if entry[0] <= day] or older[:1]
        proposals.append(
            change_proposals.Seen(kind=kind, previous=before[-1][2], new=value, first_seen=day)
        )
    change_proposals.propose(use_case_id=use_case_id, seen=proposals)
