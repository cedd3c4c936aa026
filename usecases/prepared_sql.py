"""Fixed-shape ORM reads compiled once per database connection, then run as SQL with each call's
values (issues 16 and 20: the use case page and the navigation on every page).

Building and compiling a queryset costs far more CPU than running its SQL when the read is small:
measured in one process on the small bench portfolio, the page's telemetry "so far" read (an
``Exists`` and four ``Subquery`` annotations) took 2.2 ms of CPU through the ORM and 0.2 ms as its
compiled SQL on a cursor; a per-month ``GROUP BY`` of one use case's reviews 1.4 ms against 0.2 ms.
A ``PreparedQuery`` keeps the ORM as the only author of the SQL: ``build`` returns the queryset
(``values_list``) exactly as it would be written, it is compiled once per connection (so once per
thread and vendor: PostgreSQL in production, SQLite in the quick tests) with a distinctive
*sentinel* value in place of each argument, and each call runs that SQL with the sentinels
replaced by the call's values and the rows converted by the compiler's own converters (what
``QuerySet.values_list`` would return). ``tests/usecases/test_prepared_sql.py`` checks every
prepared read of the app against its queryset.

What a ``build`` may do with its arguments: pass them, unchanged, as lookup values (``field=x``,
``field__gte=x``, ``field__in=[x]``); an argument that is transformed (``x + 1``), inlined in the
SQL or not used is refused when the query is compiled (``ValueError``), never silently wrong.
Arguments are ``int``, ``str``, ``datetime.date`` or an aware ``datetime.datetime``; everything
else in the query is fixed. A datetime reaches the SQL as the database backend adapts it for a
``DateTimeField`` lookup (``connection.ops.adapt_datetimefield_value``: unchanged on PostgreSQL,
text in the connection's time zone on SQLite), so each call's value is adapted by that same
function, and a naive one is refused (the ORM would warn and guess its time zone).

On PostgreSQL these reads, and the review INSERT of ``fastpaths.insert_new_with_history``, are
also *prepared* on the server (``prepared_cursor``; issue 20): their parameters are bound on the
server and PostgreSQL parses each statement once per connection and, after five custom plans,
keeps a generic one when it costs no more. Everything else Django runs stays as Django runs it
(parameters merged on the client, nothing prepared): prepared, the reports' aggregates over
20,000 use cases took generic plans up to 30 % slower (``make bench BENCH_SIZE=xl``).
``DATABASE_PREPARED_STATEMENTS=false`` turns it off (a pooler in transaction mode).
"""

from __future__ import annotations

import datetime
import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

#: The argument types a prepared query takes, and a sentinel of each for the ``i``-th argument:
#: values no real read passes (a negative id within a 32-bit column's range, which Django checks
#: when it compiles the lookup; a date or a moment in the year 1001+; a marked string).
SENTINELS: dict[type, Callable[[int], object]] = {
    int: lambda i: -1_973_100_000 - i,
    datetime.date: lambda i: datetime.date(1001 + i, 2, 3),
    datetime.datetime: lambda i: datetime.datetime(
        1001 + i, 2, 3, 4, 5, 6, 789_012, tzinfo=datetime.UTC
    ),
    str: lambda i: f"\u27e8prepared-sql-{i}\u27e9",
}


class _Preparing:
    """Mixed into Django's server-binding psycopg cursor (``prepared_cursor``)."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


@functools.cache
def _preparing_cursor_class():
    # Imported on first use: the PostgreSQL backend (and psycopg) only where it is the database.
    from django.db.backends.postgresql.base import ServerBindingCursor

    return type("PreparingCursor", (_Preparing, ServerBindingCursor), {})


def prepared_cursor(connection):
    """A cursor of ``connection`` (Django's wrapper: the same execute wrappers, error mapping
    and query log) whose statements PostgreSQL prepares the first time this connection runs
    them, parameters bound on the server; on another database, or with prepared statements off
    (``DATABASE_PREPARED_STATEMENTS=false``), ``connection.cursor()``. For statements of fixed
    shape run many times with different values."""
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _preparing_cursor_class()(connection.connection)
    if connection.queries_logged:
        return _LoggedWithValues(raw, connection)
    return connection.make_cursor(raw)


class _LoggedWithValues(CursorDebugWrapper):
    """Django's logging cursor wrapper for ``prepared_cursor``: the statement is logged with its
    values merged in (``ops.compose_sql``), as Django logs its own; the backend's
    ``last_executed_query`` knows only client-bound statements."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


#: How an argument reaches the SQL: as it is, as ``str()`` of it, as the backend adapts a datetime.
_AS_IS, _AS_TEXT, _AS_DATETIME = "as is", "as text", "as datetime"


@dataclass(frozen=True)
class _Plan:
    sql: str
    #: Per parameter: (argument name or None for a constant, how it is passed, the constant).
    params: tuple[tuple[str | None, str, object], ...]
    compiler: object
    converters: dict
    #: For a read of model instances: how ``ModelIterable`` builds them (else None).
    models: _Models | None = None


@dataclass(frozen=True)
class _Models:
    """What ``django.db.models.query.ModelIterable`` derives from the compiler, derived once."""

    model: type
    start: int
    end: int
    init_list: list[str]
    populators: list
    annotation_col_map: dict
    fetch_mode: object

    def instances(self, rows, db: str) -> list:
        objects = []
        for row in rows:
            obj = self.model.from_db(
                db, self.init_list, row[self.start : self.end], fetch_mode=self.fetch_mode
            )
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


class PreparedQuery:
    """A read of fixed shape: ``PreparedQuery(build, use_case_id=int, start=datetime.date)``;
    ``query(use_case_id=7, start=...)`` returns the rows of ``build(use_case_id=7, start=...)``
    (a queryset on the default database) as a list: of tuples for a ``values_list()`` read, of
    model instances (``select_related`` and annotations included, as ``ModelIterable`` builds
    them) for a read of a model. One statement, no queryset built. Not for a read with
    ``prefetch_related`` (a second query) or a fetch mode that tracks peers."""

    def __init__(self, build: Callable[..., QuerySet], **arguments: type):
        unknown = {name: kind for name, kind in arguments.items() if kind not in SENTINELS}
        if unknown:
            raise TypeError(
                f"unsupported argument types {unknown}; expected int, str, date or datetime"
            )
        self.build = build
        self.arguments = arguments
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, **values) -> list[tuple]:
        if values.keys() != self.arguments.keys():
            raise TypeError(f"expected {sorted(self.arguments)}, got {sorted(values)}")
        connection = connections[DEFAULT_DB_ALIAS]
        plan = self._plans.get(connection)
        if plan is None:
            plan = self._plans[connection] = self.compile(connection)
        for name, kind in self.arguments.items():
            if kind is datetime.datetime:
                value = values[name]
                if not isinstance(value, datetime.datetime):
                    raise TypeError(f"{name!r} must be a datetime, not {type(value).__name__}")
                if settings.USE_TZ and value.utcoffset() is None:
                    raise ValueError(f"{name!r} must be an aware datetime (USE_TZ is on)")
        adapt = connection.ops.adapt_datetimefield_value
        params = [
            constant
            if name is None
            else values[name]
            if how == _AS_IS
            else str(values[name])
            if how == _AS_TEXT
            else adapt(values[name])
            for name, how, constant in plan.params
        ]
        with prepared_cursor(connection) as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        if plan.models is not None:
            return plan.models.instances(rows, DEFAULT_DB_ALIAS)
        return [tuple(row) for row in rows]

    # --- compiling ------------------------------------------------------------------------------

    def sentinels(self) -> dict[str, object]:
        return {name: SENTINELS[kind](i) for i, (name, kind) in enumerate(self.arguments.items())}

    def compile(self, connection) -> _Plan:
        """The SQL of ``build`` with the sentinels, and where each argument goes in it."""
        sentinels = self.sentinels()
        queryset = self.build(**sentinels)
        query = queryset.query
        iterable = queryset._iterable_class
        if (
            queryset.db != DEFAULT_DB_ALIAS
            or iterable not in (ValuesListIterable, ModelIterable)
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or queryset._fetch_mode.track_peers
        ):
            raise ValueError(
                "a prepared query is a values_list() or model read of the default database, "
                "without prefetch_related"
            )
        compiler = query.get_compiler(connection=connection)
        sql, compiled = compiler.as_sql()
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_extra_select or compiler.has_composite_fields(fields):
            raise ValueError("a prepared query selects no extra columns and no composite key")
        # The text each sentinel may reach the SQL as: str() of it, or a datetime as adapted.
        texts = {
            name: (
                (_AS_DATETIME, connection.ops.adapt_datetimefield_value(sentinel))
                if isinstance(sentinel, datetime.datetime)
                else (_AS_TEXT, str(sentinel))
            )
            for name, sentinel in sentinels.items()
        }
        found = set()
        params = []
        for value in compiled:
            for name, sentinel in sentinels.items():
                if type(value) is type(sentinel) and value == sentinel:
                    params.append((name, _AS_IS, None))
                    break
                how, text = texts[name]
                if isinstance(value, str) and isinstance(text, str) and value == text:
                    params.append((name, how, None))
                    break
            else:
                params.append((None, _AS_IS, value))
                continue
            found.add(name)
        for name, sentinel in sentinels.items():
            text = texts[name][1]
            if name not in found or str(sentinel) in sql or (isinstance(text, str) and text in sql):
                raise ValueError(
                    f"the argument {name!r} does not reach the SQL as a parameter unchanged"
                )
        # As ``SQLCompiler.results_iter`` (what ``values_list`` runs): its converters.
        models = None
        if iterable is ModelIterable:
            info = compiler.klass_info
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            models = _Models(
                model=info["model"],
                start=start,
                end=end,
                init_list=[column[0].target.attname for column in compiler.select[start:end]],
                populators=get_related_populators(
                    info, compiler.select, DEFAULT_DB_ALIAS, queryset._fetch_mode
                ),
                annotation_col_map=dict(compiler.annotation_col_map or {}),
                fetch_mode=queryset._fetch_mode,
            )
        return _Plan(
            sql=sql,
            params=tuple(params),
            compiler=compiler,
            converters=compiler.get_converters(fields),
            models=models,
        )
