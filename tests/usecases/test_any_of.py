"""``__any_of`` (``usecases.any_of``): the rows and the refusals of ``__in`` for every list, with
the list sent to PostgreSQL as one array parameter."""

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from reviews.models import Flag
from tests.conftest import make_use_case
from usecases.models import UseCase


@pytest.fixture
def cases(db):
    return [make_use_case(name) for name in ("Alpha", "Beta", "Gamma", "Delta")]


def _pks(queryset):
    return sorted(queryset.values_list("pk", flat=True))


def _outcome(lookup, values):
    try:
        with transaction.atomic():  # a refusal by the database leaves the test's transaction
            return ("rows", _pks(UseCase.objects.filter(**{f"pk__{lookup}": values})))
    except Exception as exc:  # the refusal itself is compared
        return ("refused", type(exc))


@pytest.mark.django_db
def test_the_rows_and_refusals_are_those_of_in(cases):
    a, b, c, _d = (case.pk for case in cases)
    lists = [
        [a],
        [a, c],
        [c, a, c, a],  # duplicates
        [a, None, b],  # None matches nothing
        [None],
        [],
        [str(a), b],  # text of digits, prepared as the field prepares it
        [f"{a}.0"],
        [10**12, a],  # a key no row has, beyond 32 bits
        [2**63],  # beyond bigint: no row, as __in (which compares it as a numeric)
        [2**63, b, -(2**63) - 1],
        ["١٢"],  # Arabic-Indic digits: int() reads them as __in does
        ["abc"],
        [float("inf")],
        ["1e400"],
        ["\ud800"],  # a lone surrogate
        ["5\x00"],
        [-1, 0],
        (a, b),
        {b, c},
    ]
    for values in lists:
        assert _outcome("any_of", values) == _outcome("in", values), values


@pytest.mark.django_db
def test_a_list_is_one_parameter_on_postgresql(cases):
    ids = [case.pk for case in cases] + list(range(10**6, 10**6 + 500))
    with CaptureQueriesContext(connection) as ctx:
        assert _pks(UseCase.objects.filter(pk__any_of=ids)) == sorted(c.pk for c in cases)
    [query] = ctx.captured_queries
    if connection.vendor == "postgresql":
        assert "= ANY(" in query["sql"] and " IN (" not in query["sql"]
        sql, params = UseCase.objects.filter(pk__any_of=ids).query.sql_with_params()
        assert len(params) == 1 and sorted(params[0]) == sorted(ids)
    else:
        assert " IN (" in query["sql"]


@pytest.mark.django_db
def test_a_subquery_an_expression_and_a_foreign_key(cases):
    """A queryset stays ``__in``'s subquery; an expression among the values is compiled in its
    place; a foreign key is filtered through its target, on its own column (no join)."""
    subquery = UseCase.objects.filter(name__in=["Beta", "Gamma"]).values("pk")
    assert _pks(UseCase.objects.filter(pk__any_of=subquery)) == sorted(c.pk for c in cases[1:3])
    assert _pks(UseCase.objects.filter(pk__any_of=[F("pk")])) == sorted(c.pk for c in cases)
    flags = Flag.objects.filter(use_case__pk__any_of=[cases[0].pk])
    sql = str(flags.query)
    assert "JOIN" not in sql
    assert list(flags) == []
