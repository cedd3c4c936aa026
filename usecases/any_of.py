"""``__any_of``: ``IN`` a list of values, passed to PostgreSQL as ONE array.

``pk__in=[…500 ids…]`` is 500 parameters; repeated in each of the look-back's 32 periods of the
missing reviews (``reviews.cadence``), a data steward's My work sent 16,000. psycopg scans the
statement's text for every placeholder on every execution (it caches none of a statement that
long) and PostgreSQL parses and plans 16,000 constants: ~40 ms and ~25 ms of that page at
20,000 use cases (benchmarks/README.md). ``pk__any_of=[…]`` is ``"id" = ANY(%s::bigint[])``
with the list as one parameter on PostgreSQL — the form PostgreSQL itself rewrites ``IN (…)``
into, so the plan is the same — and exactly ``__in`` on every other database (SQLite).

Registered on integer fields (``apps.UsecasesConfig.ready``), the keys of every model here; a
foreign key is reached through its target: ``use_case__pk__any_of`` (no join: Django filters
on the foreign key's own column). A list only: a queryset or an expression is ``__in``'s
subquery, unchanged.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        if not values or any(hasattr(value, "resolve_expression") for value in values):
            # As ``__in``: no row can match (``EmptyResultSet``, raised by ``In``), or an
            # expression among the values, each compiled in its place.
            return super().as_sql(compiler, connection)
        field = self.lhs.output_field
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        array = list(
            dict.fromkeys(
                value
                for value in (field.get_db_prep_value(v, connection, prepared=True) for v in values)
                # A value beyond the column's type equals no row (``__in`` compares it as a
                # numeric); in the array it would fail the cast.
                if (low is None or value >= low) and (high is None or value <= high)
            )
        )
        if not array:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        cast = field.cast_db_type(connection)
        return f"{lhs_sql} = ANY(%s::{cast}[])", (*lhs_params, array)
