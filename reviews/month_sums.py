"""The weekly reviews summed per use case and month (``models.WeeklyMonthSum``): the triggers
that keep the sums on PostgreSQL, and which rows the portfolio reads add up.

The sums are kept by the database: statement-level AFTER INSERT / UPDATE / DELETE triggers with
transition tables and a TRUNCATE trigger on the weekly reviews' table, so every write path (the
API, the forms, corrections, the bulk import, withdrawals, the admin, ``bulk_create``,
``QuerySet.update``/``delete``, the benchmark's COPY) keeps them exact, with no Python to forget.
One statement's rows are applied in one upsert per (use case, month) they touch: + the new rows,
− the old ones (an UPDATE that moves a review to another use case or month moves it in the sums);
a sum whose count falls to 0 is deleted.

The SQL is generated from ``economics.WEEKLY_QUANTITIES`` (``trigger_sql``); migration
``reviews.0015`` freezes the text it installed, and a test fails when the two disagree (a changed
quantity needs a migration that installs the new text and back-fills the sums).

Reads: on PostgreSQL the portfolio's sums per use case and month (``reviews.selectors``, the
dashboard's range sums and sort keys) add up these rows; elsewhere (SQLite: no triggers) they
add up the reviews as before. Either way the same quantity expressions (``WeeklyRead``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, Model

from usecases import economics

from .models import WeeklyMonthSum, WeeklyReview

DEC = DecimalField(max_digits=30, decimal_places=6)

TABLE = WeeklyMonthSum._meta.db_table
REVIEWS_TABLE = WeeklyReview._meta.db_table
FUNCTION = f"{TABLE}_apply"
#: The triggers on the weekly reviews' table and the statements they fire on.
TRIGGERS = {
    f"{TABLE}_ins": "AFTER INSERT ON {reviews} REFERENCING NEW TABLE AS new_rows",
    f"{TABLE}_upd": (
        "AFTER UPDATE ON {reviews} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    f"{TABLE}_del": "AFTER DELETE ON {reviews} REFERENCING OLD TABLE AS old_rows",
}
TRUNCATE_TRIGGER = f"{TABLE}_trunc"
KEYS = ("use_case_id", "month_start")
COUNT = "review_count"


def _delta_sql(source: str, sign: str) -> str:
    """One transition table's rows as signed deltas: count ±1, each quantity ± its product."""
    quantities = ", ".join(
        f"{sign}({' * '.join(f'r.{column}::numeric' for column in factors)}) AS {name}"
        for name, factors in economics.WEEKLY_QUANTITIES.items()
    )
    return f"SELECT r.use_case_id, r.month_start, {sign}1 AS {COUNT}, {quantities} FROM {source} r"


def _apply_sql(sources: list[tuple[str, str]]) -> str:
    """Add the deltas of ``sources`` (transition table, sign) to the sums: one upsert over the
    (use case, month) pairs whose delta is not all zero, in key order (two statements touching
    the same pairs lock them in the same order), then delete the touched sums left at 0."""
    deltas = " UNION ALL ".join(_delta_sql(source, sign) for source, sign in sources)
    touched = " UNION ".join(f"SELECT r.use_case_id, r.month_start FROM {s} r" for s, _ in sources)
    columns = (COUNT, *economics.WEEKLY_QUANTITIES)
    sums = ", ".join(f"SUM(d.{column})" for column in columns)
    nonzero = " OR ".join(f"SUM(d.{column}) <> 0" for column in columns)
    added = ", ".join(f"{column} = s.{column} + EXCLUDED.{column}" for column in columns)
    keys = ", ".join(KEYS)
    return (
        f"INSERT INTO {TABLE} AS s ({keys}, {', '.join(columns)})\n"
        f"      SELECT d.use_case_id, d.month_start, {sums}\n"
        f"      FROM ({deltas}) AS d\n"
        f"      GROUP BY d.use_case_id, d.month_start HAVING {nonzero}\n"
        f"      ORDER BY d.use_case_id, d.month_start\n"
        f"      ON CONFLICT ({keys}) DO UPDATE SET {added};\n"
        f"    DELETE FROM {TABLE} WHERE {COUNT} = 0 AND ({keys}) IN ({touched});"
    )


def trigger_sql() -> str:
    """The function and the triggers, from ``economics.WEEKLY_QUANTITIES`` (idempotent: the
    function replaced, the triggers dropped and created)."""
    branches = {
        "INSERT": [("new_rows", "+")],
        "UPDATE": [("old_rows", "-"), ("new_rows", "+")],
        "DELETE": [("old_rows", "-")],
    }
    body = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n    {_apply_sql(sources)}"
        for i, (op, sources) in enumerate(branches.items())
    )
    statements = [
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n  IF TG_OP = 'TRUNCATE' THEN\n    DELETE FROM {TABLE};\n    RETURN NULL;\n"
        f"  END IF;\n  {body}\n  END IF;\n  RETURN NULL;\nEND;\n$$;"
    ]
    for name, when in TRIGGERS.items():
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {REVIEWS_TABLE};")
        statements.append(
            f"CREATE TRIGGER {name} {when.format(reviews=REVIEWS_TABLE)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();"
        )
    statements.append(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {REVIEWS_TABLE};")
    statements.append(
        f"CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON {REVIEWS_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();"
    )
    return "\n".join(statements)


def backfill_sql() -> str:
    """The sums computed afresh from the reviews (after the triggers exist: the migration runs
    both in one transaction, which holds the lock on the reviews' table from the first DDL)."""
    return f"DELETE FROM {TABLE};\n" + _apply_sql([(REVIEWS_TABLE, "+")])


def drop_sql() -> str:
    """What ``trigger_sql`` created, removed."""
    return "\n".join(
        [
            *(f"DROP TRIGGER IF EXISTS {name} ON {REVIEWS_TABLE};" for name in TRIGGERS),
            f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {REVIEWS_TABLE};",
            f"DROP FUNCTION IF EXISTS {FUNCTION}();",
        ]
    )


# --- reads ----------------------------------------------------------------------------------------


def review_product(names):
    """The SQL product of a review's fields ``names`` (a single field stays a plain column)."""
    expression = F(names[0])
    if len(names) == 1:
        return expression
    for name in names[1:]:
        expression = expression * F(name)
    return ExpressionWrapper(expression, output_field=DEC)


@dataclass(frozen=True)
class WeeklyRead:
    """Where the sums of the weekly reviews per use case and month are read: ``model``'s rows
    (filterable by ``use_case``, ``month_start``, ``use_case__…``), each adding ``quantity(name)``
    to a ``PeriodTotals`` quantity of ``economics.WEEKLY_QUANTITIES``."""

    model: type[Model]
    summed: bool

    def quantity(self, name: str):
        """What one row adds to the quantity ``name``."""
        if self.summed:
            return F(name)
        return review_product(economics.WEEKLY_QUANTITIES[name])


REVIEWS = WeeklyRead(WeeklyReview, summed=False)
SUMS = WeeklyRead(WeeklyMonthSum, summed=True)


def weekly_read() -> WeeklyRead:
    """``SUMS`` on PostgreSQL (kept by its triggers), else ``REVIEWS``."""
    return SUMS if connection.vendor == "postgresql" else REVIEWS
