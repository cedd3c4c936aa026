"""The missing reviews of ``cadence.missing_reviews`` as one SQL statement, and the lazy,
queryset-like object that reads it.

The statement is a ``UNION ALL`` of one ``SELECT`` per period of the look-back (26 weeks and 6
months): each the same query over the use cases, only the period's values differ (its first
day, label, due date and days overdue). Built and compiled through the ORM one by one, the 32
querysets cost ~25 ms of Python on every page that shows missing reviews — the overdue tracker,
My work, the review forms — which was more than their SQL at 2,000 use cases.

So the ORM builds and compiles each kind's ``SELECT`` twice, for a period and for the one
before it (``compiled_union``; once when the same SQL was seen before in the process). The
parameters that differ between the two compiles are the period's, and each is matched to the
period value it holds. Every other parameter (the filters) is the same in both and stays as it
is. Each period's ``SELECT`` is that SQL with its own values in those places.
The rows are exactly those of the querysets (``tests/reviews/test_missing_rows.py``
compares them, filter by filter).

Rows of a few listed use cases (``prepared``: a value owner's My work, a review form's period,
the checks after a review) are read on a statement PostgreSQL prepares once per connection
(``usecases.prepared_sql.prepared_cursor``): merged with its values, the 32 ``SELECT``s are
parsed and planned again on every read. ``make bench``'s My work of a value owner: that
statement alone takes 8.4 ms so at 2,000 use cases (7.8 ms at 20,000), the page's ten
statements 2.8 ms (4.9 ms) prepared. The portfolio-wide reads stay as Django runs them: a
generic plan is not chosen for 20,000 use cases unmeasured.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from django.db import connection

from usecases.prepared_sql import prepared_cursor

#: The columns of a missing-review row (a dict).
ROW_FIELDS = (
    "use_case_id",
    "use_case_name",
    "business_unit",
    "kind",
    "period",
    "period_start",
    "due_on",
    "days_overdue",
    "value_owner_id",
    "owner_username",
    "owner_first_name",
    "owner_last_name",
    "owner_is_active",
)
#: The order of missing-review rows: oldest due date first, then by use case name.
ROW_ORDER = ("due_on", "use_case_name", "kind", "use_case_id")
DATE_FIELDS = ("period_start", "due_on")
#: Rows fetched at a time by ``MissingRows.iterator`` (the CSV export).
CHUNK = 2000


def ordering(order: Iterable[str]) -> str:
    """Row fields as an ``ORDER BY`` list: quoted, "-" read as descending."""
    parts = []
    for name in order:
        field = name.removeprefix("-")
        if field not in ROW_FIELDS:
            raise ValueError(f"{field!r} is not a column of the missing-review rows")
        parts.append(connection.ops.quote_name(field) + (" DESC" if name.startswith("-") else ""))
    return ", ".join(parts)


def typed(row: dict) -> dict:
    """A row as the ORM types it: a cursor on SQLite returns dates as text and booleans as 0/1
    (PostgreSQL's are typed already)."""
    for name in DATE_FIELDS:
        if isinstance(row[name], str):
            row[name] = datetime.date.fromisoformat(row[name])
    if row["owner_is_active"] is not None:
        row["owner_is_active"] = bool(row["owner_is_active"])
    return row


@dataclass(frozen=True)
class MissingRows:
    """Missing-review rows (dicts of ``ROW_FIELDS``), read when iterated, sliced (LIMIT and
    OFFSET) or counted, like a queryset of dicts. ``union`` is the unordered statement ("": no
    period or no use case, no rows and no query); ``prepared``: read, and what is built over it
    read, on a prepared statement (``cursor``)."""

    union: str = ""
    params: tuple = ()
    order: tuple[str, ...] = ROW_ORDER
    prepared: bool = False

    def cursor(self):
        """The cursor for a statement over these rows."""
        return prepared_cursor(connection) if self.prepared else connection.cursor()

    def is_empty(self) -> bool:
        return not self.union

    def order_by(self, *fields: str) -> MissingRows:
        ordering(fields)  # an unknown field fails here, not when read
        return replace(self, order=fields or ROW_ORDER)

    def sql_with_params(self, *, ordered: bool = True) -> tuple[str, tuple]:
        if not ordered:
            return self.union, self.params
        return f"{self.union} ORDER BY {ordering(self.order)}", self.params

    def count(self) -> int:
        if self.is_empty():
            return 0
        with self.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.union}) missing", self.params)  # noqa: S608
            return cursor.fetchone()[0]

    def __getitem__(self, key: slice) -> list[dict]:
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("missing-review rows are sliced, as [start:stop]")
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError("negative indexing is not supported")
        if self.is_empty() or (stop is not None and stop <= start):
            return []
        sql, params = self.sql_with_params()
        if stop is None:  # SQLite has no OFFSET without a LIMIT
            sql += " LIMIT -1 OFFSET %s" if connection.vendor == "sqlite" else " OFFSET %s"
            params = (*params, start)
        else:
            sql += " LIMIT %s OFFSET %s"
            params = (*params, stop - start, start)
        return self._read(sql, params)

    def __iter__(self) -> Iterator[dict]:
        return iter(self._read(*self.sql_with_params()) if not self.is_empty() else [])

    def iterator(self) -> Iterator[dict]:
        """Every row, made into dicts ``CHUNK`` at a time (the CSV export; the driver holds the
        statement's result, ~5 MB for 17,620 rows at 20,000 use cases)."""
        if self.is_empty():
            return
        with self.cursor() as cursor:
            cursor.execute(*self.sql_with_params())
            names = [column[0] for column in cursor.description]
            while chunk := cursor.fetchmany(CHUNK):
                yield from (typed(dict(zip(names, row, strict=True))) for row in chunk)

    def _read(self, sql: str, params: tuple) -> list[dict]:
        with self.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [typed(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def compiled_union(
    periods: Iterable,
    *,
    select: Callable,
    values: Callable[[object], dict],
) -> tuple[str, tuple]:
    """``UNION ALL`` of ``select(period)`` (a values queryset) for every period, compiled by
    the ORM twice per kind of period (``kind``; ``previous``: the period before it), not once
    per period. ``values(period)`` is the period's values the queryset is built from, by name;
    each must differ from the previous period's. Raises ``EmptyResultSet`` as the ORM does when
    the queryset cannot have a row (an empty list of ids)."""
    templates: dict[str, tuple[str, tuple, tuple]] = {}
    parts, params = [], []
    for period in periods:
        if period.kind not in templates:
            templates[period.kind] = _template(period, select=select, values=values)
        sql, base, slots = templates[period.kind]
        given = _adapted(values(period))
        filled = list(base)
        for index, name in slots:
            filled[index] = _like(base[index], given[name])
        parts.append(sql)
        params.extend(filled)
    return " UNION ALL ".join(parts), tuple(params)


#: The period values' places (``_template``'s slots) by (``select``, kind, SQL): the same SQL of
#: the same ``select`` has its period's values in the same places, whatever the filters' values
#: (they are parameters too, not text). Found once per process, then the second compile is
#: skipped. Bounded: emptied when full (a list of ids of each length is another SQL).
_SLOTS: dict[tuple, tuple] = {}
_SLOTS_KEPT = 256


def _template(period, *, select, values) -> tuple[str, tuple, tuple]:
    """(SQL, parameters, [(index, value name)]) of ``select`` for ``period``'s kind."""
    sql, here = select(period).query.sql_with_params()
    given = _adapted(values(period))
    key = (select.__module__, select.__qualname__, connection.vendor, period.kind, sql)
    slots = _SLOTS.get(key)
    if slots is not None and all(_same(given[name], here[index]) for index, name in slots):
        return sql, tuple(here), slots
    slots = _slots(period, sql, here, given, select=select)
    if len(_SLOTS) >= _SLOTS_KEPT:
        _SLOTS.clear()
    _SLOTS[key] = slots
    return sql, tuple(here), slots


def _slots(period, sql: str, here: tuple, given: dict, *, select) -> tuple:
    """Where ``period``'s values are among the parameters ``here`` of its SELECT ``sql``: the
    parameters that differ from the previous period's compile, each matched to its value."""
    other_sql, before = select(period.previous).query.sql_with_params()
    if sql != other_sql or len(here) != len(before):
        raise RuntimeError("a period's SELECT must differ from another's by its values only")
    slots = []
    for index, (mine, theirs) in enumerate(zip(here, before, strict=True)):
        if mine == theirs:
            continue
        names = [name for name, value in given.items() if _same(value, mine)]
        if len(names) != 1:
            raise RuntimeError(f"parameter {index} of the period's SELECT is not one of its values")
        slots.append((index, names[0]))
    return tuple(slots)


def _adapted(values: dict) -> dict:
    """The values as the ORM passes them to the database (a date: as the backend adapts it)."""
    return {
        name: connection.ops.adapt_datefield_value(value)
        if isinstance(value, datetime.date)
        else value
        for name, value in values.items()
    }


def _same(value, parameter) -> bool:
    """``parameter`` (as the ORM passed it) holds ``value``: equal, and not text against a date
    or a number (psycopg's ``Int4`` equals the ``int`` it wraps)."""
    return isinstance(value, str) == isinstance(parameter, str) and value == parameter


def _like(parameter, value):
    """``value`` passed as the ORM passed ``parameter``: an integer in the same wrapper (psycopg's
    ``Int4`` for an integer ``Value``), anything else as adapted."""
    kind = type(parameter)
    if isinstance(parameter, int) and not isinstance(parameter, bool) and kind is not int:
        return kind(value)
    return value
