"""The weekly reviews summed per use case and month (``models.WeeklyMonthSum``): the triggers
that keep the sums on PostgreSQL, and which rows the portfolio reads add up.

The sums are kept by the database: statement-level AFTER INSERT / UPDATE / DELETE triggers with
transition tables and a TRUNCATE trigger on the weekly reviews' table, so every write path (the
API, the forms, corrections, the bulk import, withdrawals, the admin, ``bulk_create``,
``QuerySet.update``/``delete``, the benchmark's COPY) keeps them exact, with no Python to forget.
One statement's rows are applied in one upsert per (use case, month) they touch: + the new rows,
− the old ones (an UPDATE that moves a review to another use case or month moves it in the sums);
a sum whose count falls to 0 is deleted.

Each sum also holds its atom's rounded amount of every weekly step, in cents (``CENTS``: the
``economics.WEEKLY_AMOUNTS`` forms over the ``economics.WEIGHTS`` terms, weighted by the use
case's business case and rounded half-up, as ``money.Figures.of_weighted_sums`` rounds), set by
the same upsert and recomputed for a use case's atoms by statement-level triggers on the
business cases' table (``WEIGH_FUNCTION``), so the portfolio's rounded figures are plain sums.

The SQL is generated from ``economics.WEEKLY_QUANTITIES``, ``WEIGHTS`` and ``WEEKLY_AMOUNTS``
(``trigger_sql``); the latest migration that installed it (``reviews.0016``; ``reviews.0015``
before the cents) freezes the text, and a test fails when the two disagree (a changed quantity,
weight or form needs a migration that installs the new text and back-fills the sums).

Reads: on PostgreSQL the portfolio's sums per use case and month (``reviews.selectors``, the
dashboard's range sums and sort keys) add up these rows; elsewhere (SQLite: no triggers) they
add up the reviews as before. Either way the same quantity expressions (``WeeklyRead``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, Model

from usecases import economics
from usecases.models import BusinessCase, UseCase

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
USE_CASES_TABLE = UseCase._meta.db_table
BUSINESS_CASES_TABLE = BusinessCase._meta.db_table
#: Each atom's rounded amount per weekly step (``economics.WEEKLY_AMOUNTS``), in cents: the
#: column of ``WeeklyMonthSum`` that holds it.
CENTS = {step: f"cents_{step}" for step in economics.WEEKLY_AMOUNTS}
#: The function and the triggers on the business cases' table that re-weigh their use case's
#: atoms (the weights are the business case's).
WEIGH_FUNCTION = f"{TABLE}_weigh"
WEIGH_TRIGGERS = {
    f"{TABLE}_bc_ins": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    f"{TABLE}_bc_upd": (
        "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    f"{TABLE}_bc_del": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
}
WEIGH_TRUNCATE_TRIGGER = f"{TABLE}_bc_trunc"


def cents_sql(form: dict[str, int], divisor: int) -> str:
    """SQL for a form (SQL expression → coefficient) ÷ ``divisor``, rounded half-up (a tie away
    from zero) to a whole number of cents: sign × floor((200 |x| + d) / 2d). Exact whatever the
    digits: DIV is NUMERIC's exact integer division, where ROUND(x / 60, 2) would round a
    quotient cut at its first 16 or so digits (1000000000.0049999998… would become
    1000000000.01)."""
    x = " + ".join(f"{int(c)} * COALESCE({expression}, 0)" for expression, c in form.items())
    return f"SIGN({x}) * DIV(ABS({x}) * 200 + {int(divisor)}, {2 * int(divisor)})"


def _weighted_sql(term: economics.Term, sums: str, weights: str) -> str:
    """One atom's share of ``term`` (``economics.WEIGHTS``): its quantity's sum (``sums``'s
    column) × the business case's columns (``weights``, NULL without one: the COALESCE of
    ``cents_sql`` makes it 0, as the engine's all-zero business case) × the coefficient."""
    factors = [f"{sums}.{term.quantity}", *(f"{weights}.{f}" for f in term.factors)]
    if term.coefficient != 1:
        factors.append(str(int(term.coefficient)))
    return " * ".join(factors)


def cents_sql_of(sums: str, weights: str) -> dict[str, str]:
    """Each ``CENTS`` column's value in SQL: the atom's amount of the step (``WEEKLY_AMOUNTS``'
    form over the ``WEIGHTS`` terms of ``sums``, a row with the quantities' columns, and
    ``weights``, the business case's row), rounded to cents (``cents_sql``): what
    ``money.Figures.of_weighted_sums`` rounds."""
    return {
        column: cents_sql(
            {
                _weighted_sql(economics.WEIGHTS[name], sums, weights): coefficient
                for name, coefficient in economics.WEEKLY_AMOUNTS[step].items()
            },
            economics.WEEKLY_AMOUNT_DIVISOR,
        )
        for step, column in CENTS.items()
    }


def _weighed(sums: str, use_case: str) -> str:
    """``FROM`` … the quantities ``sums`` (a derived table) and their use case's business case
    (``w``, NULL without one)."""
    return f"FROM {sums} LEFT JOIN {BUSINESS_CASES_TABLE} w ON w.use_case_id = {use_case}"


def _lock_sql(sources, mode: str) -> str:
    """Lock the use cases of ``sources``' rows (transition tables) in id order: a review's
    statement takes FOR KEY SHARE, a business case's FOR UPDATE, so one waits for the other
    to commit and then reads it with its next statement's snapshot (READ COMMITTED)."""
    ids = " UNION ".join(f"SELECT r.use_case_id FROM {source} r" for source in sources)
    return f"PERFORM 1 FROM {USE_CASES_TABLE} WHERE id IN ({ids}) ORDER BY id FOR {mode};"


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
    the same pairs lock them in the same order), each pair's ``CENTS`` computed from its new
    sums and its business case in the same upsert, then delete the touched sums left at 0."""
    deltas = " UNION ALL ".join(_delta_sql(source, sign) for source, sign in sources)
    touched = " UNION ".join(f"SELECT r.use_case_id, r.month_start FROM {s} r" for s, _ in sources)
    columns = (COUNT, *economics.WEEKLY_QUANTITIES)
    sums = ", ".join(f"SUM(d.{column}) AS {column}" for column in columns)
    nonzero = " OR ".join(f"SUM(d.{column}) <> 0" for column in columns)
    added = ", ".join(f"s.{column} + EXCLUDED.{column} AS {column}" for column in columns)
    keys = ", ".join(KEYS)
    inserted = ", ".join(cents_sql_of("g", "w").values())
    updated = (
        ", ".join(f"n.{column}" for column in columns)
        + ", "
        + ", ".join(cents_sql_of("n", "w").values())
    )
    grouped = (
        f"(SELECT d.use_case_id, d.month_start, {sums} FROM ({deltas}) AS d "
        f"GROUP BY d.use_case_id, d.month_start HAVING {nonzero}) AS g"
    )
    every = ", ".join((*columns, *CENTS.values()))
    return (
        f"INSERT INTO {TABLE} AS s ({keys}, {every})\n"
        f"      SELECT g.*, {inserted}\n"
        f"      {_weighed(grouped, 'g.use_case_id')}\n"
        f"      ORDER BY g.use_case_id, g.month_start\n"
        f"      ON CONFLICT ({keys}) DO UPDATE SET ({every}) = (\n"
        f"        SELECT {updated}\n"
        f"        {_weighed(f'(SELECT {added}) AS n', 's.use_case_id')});\n"
        f"    DELETE FROM {TABLE} WHERE {COUNT} = 0 AND ({keys}) IN ({touched});"
    )


def _reweigh_sql(where: str = "") -> str:
    """Recompute the ``CENTS`` of the sums (``where``: which) from their quantities and their
    use case's business case as it is now."""
    quantities = ", ".join(f"s.{name}" for name in economics.WEEKLY_QUANTITIES)
    cents = ", ".join(cents_sql_of("n", "w").values())
    return (
        f"UPDATE {TABLE} AS s SET ({', '.join(CENTS.values())}) = (\n"
        f"      SELECT {cents}\n"
        f"      {_weighed(f'(SELECT {quantities}) AS n', 's.use_case_id')}){where};"
    )


_BRANCHES = {
    "INSERT": ["new_rows"],
    "UPDATE": ["old_rows", "new_rows"],
    "DELETE": ["old_rows"],
}


def _function_sql(name: str, truncate: str, branch) -> str:
    """A statement-level trigger function: ``truncate`` on TRUNCATE, ``branch(op, transition
    tables)`` on INSERT, UPDATE and DELETE."""
    body = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n    {branch(op, sources)}"
        for i, (op, sources) in enumerate(_BRANCHES.items())
    )
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n  IF TG_OP = 'TRUNCATE' THEN\n    {truncate}\n    RETURN NULL;\n"
        f"  END IF;\n  {body}\n  END IF;\n  RETURN NULL;\nEND;\n$$;"
    )


def _triggers_sql(function: str, table: str, triggers: dict, truncate: str) -> list[str]:
    statements = []
    for name, when in triggers.items():
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        statements.append(
            f"CREATE TRIGGER {name} {when.format(reviews=table, table=table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        )
    statements.append(f"DROP TRIGGER IF EXISTS {truncate} ON {table};")
    statements.append(
        f"CREATE TRIGGER {truncate} AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    )
    return statements


def trigger_sql() -> str:
    """The functions and the triggers, from ``economics.WEEKLY_QUANTITIES``, ``WEIGHTS`` and
    ``WEEKLY_AMOUNTS`` (idempotent: the functions replaced, the triggers dropped and created):
    on the weekly reviews, the upsert of their sums and cents; on the business cases, their
    use cases' cents recomputed (a TRUNCATE of the business cases leaves every weight 0).

    Concurrency (READ COMMITTED): a review's statement first locks its use cases FOR KEY SHARE,
    a business case's FOR UPDATE, each in a statement before the one that reads the other's
    table; whichever comes second waits for the first to commit and then reads it (its next
    statement's snapshot), so the cents are computed from the committed sums and weights."""
    signs = {"old_rows": "-", "new_rows": "+"}

    def apply(op, sources):
        return f"{_lock_sql(sources, 'KEY SHARE')}\n    " + _apply_sql(
            [(source, signs[source]) for source in sources]
        )

    def weigh(op, sources):
        ids = " UNION ".join(f"SELECT r.use_case_id FROM {source} r" for source in sources)
        return f"{_lock_sql(sources, 'UPDATE')}\n    " + _reweigh_sql(
            f" WHERE s.use_case_id IN ({ids})"
        )

    return "\n".join(
        [
            _function_sql(FUNCTION, f"DELETE FROM {TABLE};", apply),
            *_triggers_sql(FUNCTION, REVIEWS_TABLE, TRIGGERS, TRUNCATE_TRIGGER),
            _function_sql(WEIGH_FUNCTION, _reweigh_sql(), weigh),
            *_triggers_sql(
                WEIGH_FUNCTION, BUSINESS_CASES_TABLE, WEIGH_TRIGGERS, WEIGH_TRUNCATE_TRIGGER
            ),
        ]
    )


def backfill_sql() -> str:
    """The sums and their cents computed afresh from the reviews and the business cases (after
    the triggers exist: the migration runs both in one transaction, which holds the lock on the
    reviews' table from the first DDL)."""
    return f"DELETE FROM {TABLE};\n" + _apply_sql([(REVIEWS_TABLE, "+")])


def drop_sql() -> str:
    """What ``trigger_sql`` created, removed."""
    return "\n".join(
        [
            *(f"DROP TRIGGER IF EXISTS {name} ON {REVIEWS_TABLE};" for name in TRIGGERS),
            f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {REVIEWS_TABLE};",
            f"DROP FUNCTION IF EXISTS {FUNCTION}();",
            *(
                f"DROP TRIGGER IF EXISTS {name} ON {BUSINESS_CASES_TABLE};"
                for name in WEIGH_TRIGGERS
            ),
            f"DROP TRIGGER IF EXISTS {WEIGH_TRUNCATE_TRIGGER} ON {BUSINESS_CASES_TABLE};",
            f"DROP FUNCTION IF EXISTS {WEIGH_FUNCTION}();",
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
