"""One pass over the portfolio's missing reviews for the pages that show a window of them with
their counts: the PMO's overdue tracker (a page of rows and every value owner's count), the
overdue API (a page and the total) and My work (the first rows, the owners' counts and how many
are escalated to the PMO).

Each of them used to read the union of every period of the look-back
(``cadence.missing_reviews``) two or three times: the rows, the owners' counts, the counts per
period. At 20,000 use cases a pass takes ~115 ms. ``overdue_digest`` asks for all of it in ONE
statement: the union is a common table expression that PostgreSQL computes once (a CTE read
twice is materialised), and from it come the window of rows, numbered in the tracker's order
(``missing_rows.ROW_ORDER``), and the counts grouped by value owner and by "escalated".

``OverdueWindow`` hands that window to a paginator (Django's, as the page uses, and DRF's, as the
API uses): its ``count()`` is the digest of the page the request asks for, and slicing that page
costs no further statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .cadence import PMO_AFTER_DAYS_OVERDUE, OwnerCount, owner_counts
from .missing_rows import ROW_FIELDS, ROW_ORDER, MissingRows, ordering, typed

#: A requested page number whose window would start past this many rows is not guessed: the
#: first page's digest is read (and the paginator's answer for that number then reads its rows).
#: It keeps OFFSET far from bigint and the guess from a number no portfolio has.
MAX_GUESSED_OFFSET = 10**9
OWNER_COLUMNS = ("owner_username", "owner_first_name", "owner_last_name")


@dataclass(frozen=True)
class OverdueDigest:
    #: The window asked for: row dicts (``missing_rows.ROW_FIELDS``) in the order asked for.
    rows: list[dict]
    #: Every value owner with a row, most first (the ownerless as username "").
    owners: list[OwnerCount]
    #: Rows ``escalate_after`` or more days overdue.
    escalated: int

    @property
    def total(self) -> int:
        return sum(owner.count for owner in self.owners)


EMPTY = OverdueDigest(rows=[], owners=[], escalated=0)


def overdue_digest(
    rows: MissingRows,
    *,
    offset: int = 0,
    limit: int,
    escalate_after: int = PMO_AFTER_DAYS_OVERDUE,
    order: tuple[str, ...] = ROW_ORDER,
) -> OverdueDigest:
    """``rows[offset:offset + limit]`` of ``cadence.missing_reviews``'s rows in ``order``
    (row fields, "-" for descending), with every value owner's count and the escalated count of
    all of them: one statement, one pass."""
    if rows.is_empty():
        return EMPTY
    inner, params = rows.sql_with_params(ordered=False)
    quote = connection.ops.quote_name
    fields = ", ".join(quote(name) for name in ROW_FIELDS)
    window_order = ordering(order)
    owner = ", ".join(quote(name) for name in OWNER_COLUMNS)
    counted = ", ".join(quote(name) if name in OWNER_COLUMNS else "NULL" for name in ROW_FIELDS)
    sql = (
        f"WITH missing AS ({inner}) "  # noqa: S608 - names quoted, values are parameters
        f"SELECT * FROM (SELECT {fields}, ROW_NUMBER() OVER (ORDER BY {window_order}) AS position, "
        f"CAST(NULL AS boolean) AS escalated, CAST(NULL AS bigint) AS n "
        f"FROM missing ORDER BY {window_order} LIMIT %s OFFSET %s) window_rows "
        f"UNION ALL "
        f"SELECT {counted}, NULL, escalated, COUNT(*) FROM ("
        f"SELECT {owner}, {quote('days_overdue')} >= %s AS escalated FROM missing"
        f") tagged GROUP BY {owner}, escalated"
    )
    with rows.cursor() as cursor:
        cursor.execute(sql, (*params, limit, offset, escalate_after))
        fetched = cursor.fetchall()
    width = len(ROW_FIELDS)
    username, first, last = (ROW_FIELDS.index(name) for name in OWNER_COLUMNS)
    window, per_owner, escalated_total = [], {}, 0
    for row in fetched:
        position, is_escalated, n = row[width:]
        if position is not None:
            window.append((position, typed(dict(zip(ROW_FIELDS, row[:width], strict=True)))))
            continue
        key = (row[username], row[first], row[last])
        per_owner[key] = per_owner.get(key, 0) + n
        if is_escalated:
            escalated_total += n
    return OverdueDigest(
        rows=[row for _position, row in sorted(window, key=lambda pair: pair[0])],
        owners=owner_counts((*key, n) for key, n in per_owner.items()),
        escalated=escalated_total,
    )


class OverdueWindow:
    """``cadence.missing_reviews``'s rows as a paginator's object list that passes over the
    union once. ``page`` is the page number the request asks for (as given: text, or None);
    ``count()`` reads the digest of that page, and the paginator's slice of it is the digest's
    rows. Any other slice (a number out of range, which Django's ``get_page`` turns into the
    last page; DRF's "last") reads its own rows: a second pass, only then."""

    def __init__(self, rows, *, page, per_page: int):
        self.rows = rows
        self.per_page = per_page
        self.offset = (_guessed_number(page, per_page) - 1) * per_page
        self._digest: OverdueDigest | None = None

    @property
    def digest(self) -> OverdueDigest:
        if self._digest is None:
            self._digest = overdue_digest(self.rows, offset=self.offset, limit=self.per_page)
        return self._digest

    def count(self) -> int:
        return self.digest.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("an OverdueWindow is sliced by its paginator, never indexed")
        start, stop = key.start or 0, key.stop
        if start == self.offset and stop is not None and stop - start <= self.per_page:
            return self.digest.rows[: stop - start]
        return list(self.rows[key])


def _guessed_number(page, per_page: int) -> int:
    """The page number the paginator will most likely serve: ``page`` as a positive integer,
    else 1 (Django's ``get_page`` serves page 1 for what is not a number)."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        return 1
    if number < 1 or (number - 1) * per_page > MAX_GUESSED_OFFSET:
        return 1
    return number
