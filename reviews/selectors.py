"""Reads over reviews, aggregated in SQL (one GROUP BY query per review kind, whatever the range
or portfolio size), handed to the pure economics engine.

Months are identified by their first day (``datetime.date``); weekly reviews carry the month of
their Thursday in ``month_start``. The portfolio's weekly sums per use case and month read the
weekly reviews already summed per use case and month on PostgreSQL (``month_sums``: kept by
triggers), the reviews themselves elsewhere; the same sums either way.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value

from usecases import economics, money
from usecases.models import BusinessCase, UseCase
from usecases.prepared_sql import PreparedQuery

from . import month_sums
from .models import MonthlyReview, WeeklyReview
from .month_sums import REVIEWS, SUMS, WeeklyRead, weekly_read

Month = datetime.date  # first day of a calendar month


# Annotation names carry a prefix: an annotation named like a field would shadow it in F().
#: The weekly ``PeriodTotals`` fields, summed as the engine adds them up
#: (``economics.WEEKLY_QUANTITIES``: the product of a review's fields).
def _weekly_sums_of(read: WeeklyRead) -> dict:
    return {f"sum_{name}": Sum(read.quantity(name)) for name in economics.WEEKLY_QUANTITIES}


WEEKLY_SUMS = _weekly_sums_of(REVIEWS)
#: The same sums over ``month_sums.SUMS`` (what ``WeeklyRead`` reads: the reviews or their sums).
_WEEKLY_SUMS_BY_READ = {REVIEWS: WEEKLY_SUMS, SUMS: _weekly_sums_of(SUMS)}
COST_FIELDS = MonthlyReview.COST_FIELDS
MONTHLY_SUMS = {f"sum_{name}": Sum(name) for name in COST_FIELDS}


#: ``PeriodTotals`` fields filled from the weekly sums, in ``WEEKLY_SUMS`` order.
WEEKLY_TOTALS = tuple(name.removeprefix("sum_") for name in WEEKLY_SUMS)


def _weekly_sums(weekly, group_by: tuple[str, ...], read: WeeklyRead = REVIEWS):
    """``(*group_by values, *WEEKLY_SUMS)`` tuples of the weekly rows ``weekly`` (of ``read``)."""
    sums = _WEEKLY_SUMS_BY_READ[read]
    return weekly.order_by().values(*group_by).annotate(**sums).values_list(*group_by, *sums)


def _totals(weekly_sums, costs) -> economics.PeriodTotals:
    """One ``PeriodTotals`` from a weekly sums tuple and a costs tuple (either may be None)."""
    values = dict(zip(WEEKLY_TOTALS, weekly_sums, strict=True)) if weekly_sums else {}
    if costs:
        values.update(zip(COST_FIELDS, costs, strict=True))
    return economics.PeriodTotals(**values)


def reviews_in(start: Month, end: Month, use_case_ids, read: WeeklyRead = REVIEWS):
    """The weekly rows (of ``read``: the reviews or their sums per month) and the monthly
    reviews in [start, end], of ``use_case_ids`` (None: all)."""
    weekly = read.model.objects.filter(month_start__gte=start, month_start__lte=end)
    monthly = MonthlyReview.objects.filter(month_start__gte=start, month_start__lte=end)
    if use_case_ids is not None:
        weekly = weekly.filter(use_case_id__in=use_case_ids)
        monthly = monthly.filter(use_case_id__in=use_case_ids)
    return weekly, monthly


def _cost_sums(monthly, group_by: tuple[str, ...]):
    """``(*group_by values, *MONTHLY_SUMS)`` tuples of the monthly reviews ``monthly``."""
    return (
        monthly.order_by()
        .values(*group_by)
        .annotate(**MONTHLY_SUMS)
        .values_list(*group_by, *MONTHLY_SUMS)
    )


PER_MONTH = ("use_case_id", "month_start")


def _one_use_case(reviews, use_case_id: int, start: Month, end: Month):
    return reviews.filter(use_case_id=use_case_id, month_start__gte=start, month_start__lte=end)


#: One use case's weekly sums and costs per month (the use case page, the economics API), each
#: compiled once (``usecases.prepared_sql``): the same querysets as the portfolio's, filtered by
#: ``use_case_id = x`` for ``IN (x)``; 1.4 ms of CPU each through the ORM, 0.2 ms prepared.
ONE_USE_CASE_WEEKLY_SUMS = PreparedQuery(
    lambda use_case_id, start, end: _weekly_sums(
        _one_use_case(WeeklyReview.objects, use_case_id, start, end), PER_MONTH
    ),
    use_case_id=int,
    start=datetime.date,
    end=datetime.date,
)
ONE_USE_CASE_COST_SUMS = PreparedQuery(
    lambda use_case_id, start, end: _cost_sums(
        _one_use_case(MonthlyReview.objects, use_case_id, start, end), PER_MONTH
    ),
    use_case_id=int,
    start=datetime.date,
    end=datetime.date,
)


def monthly_totals_and_reviewed(
    *, start: Month, end: Month, use_case_ids=None
) -> tuple[dict[int, dict[Month, economics.PeriodTotals]], set[tuple[int, Month]]]:
    """``monthly_totals`` and the (use_case_id, month) pairs among them that have a monthly
    review (what the 90-day figure needs), from the same two queries."""
    if (
        isinstance(use_case_ids, list | tuple)
        and len(use_case_ids) == 1
        and isinstance(use_case_ids[0], int)
    ):
        one = {"use_case_id": use_case_ids[0], "start": start, "end": end}
        weekly_rows = ONE_USE_CASE_WEEKLY_SUMS(**one)
        cost_rows = ONE_USE_CASE_COST_SUMS(**one)
    else:
        read = weekly_read()
        weekly, monthly = reviews_in(start, end, use_case_ids, read)
        weekly_rows = _weekly_sums(weekly, PER_MONTH, read)
        cost_rows = _cost_sums(monthly, PER_MONTH)
    sums = {(row[0], row[1]): row[2:] for row in weekly_rows}
    # Summed, never keyed row by row: were there two monthly reviews of a use case and month
    # (the database refuses them since reviews.0005), both would count, not the last one read.
    costs = {(row[0], row[1]): row[2:] for row in cost_rows}
    result: dict[int, dict[Month, economics.PeriodTotals]] = defaultdict(dict)
    for key in sums.keys() | costs.keys():
        result[key[0]][key[1]] = _totals(sums.get(key), costs.get(key))
    return dict(result), set(costs)


def monthly_totals(
    *, start: Month, end: Month, use_case_ids=None
) -> dict[int, dict[Month, economics.PeriodTotals]]:
    """``{use_case_id: {month: PeriodTotals}}`` for every month in [start, end] that has a weekly
    or a monthly review. ``use_case_ids`` may be a list or a queryset of ids (a subquery);
    ``None`` means the whole portfolio. Two queries: the weekly sums and the monthly costs, each
    summed per use case and month."""
    return monthly_totals_and_reviewed(start=start, end=end, use_case_ids=use_case_ids)[0]


#: SQL for ``economics.WeightedTotals``: each weekly review weighted by its use case's business
#: case (joined; a use case without one weighs 0, as the engine's all-zero business case does),
#: term by term as ``economics.WEIGHTS`` says. Fractions and money are exact NUMERIC products on
#: PostgreSQL.
WEIGHTED_DEC = DecimalField(max_digits=40, decimal_places=12)
_BC = "use_case__business_case__"


def weighted_term(term: economics.Term, read: WeeklyRead = REVIEWS):
    """One weekly row's share of ``term`` in SQL: its quantity (``WEEKLY_QUANTITIES``; a review's
    product, or a month's sum of them) × the business case columns named by the term's factors
    × its coefficient. The factors are the use case's, the same for all its weeks, so a month's
    sum weighted once equals its reviews weighted one by one (exact NUMERIC products)."""
    expression = read.quantity(term.quantity)
    for factor in term.factors:
        expression = expression * F(_BC + factor)
    if term.coefficient != 1:
        expression = expression * Value(term.coefficient)
    return ExpressionWrapper(expression, output_field=WEIGHTED_DEC)


#: The weighted product of each weekly review, per weekly ``economics.WeightedTotals`` field.
def _weighted_of(read: WeeklyRead) -> dict:
    return {
        name: weighted_term(term, read)
        for name, term in economics.WEIGHTS.items()
        if term.is_weekly
    }


WEIGHTED_WEEKLY = _weighted_of(REVIEWS)
WEIGHTED_WEEKLY_SUMS = {f"w_{name}": Sum(product) for name, product in WEIGHTED_WEEKLY.items()}
#: ``WEIGHTED_WEEKLY`` per ``WeeklyRead``.
_WEIGHTED_BY_READ = {REVIEWS: WEIGHTED_WEEKLY, SUMS: _weighted_of(SUMS)}


def _weighted_sums(read: WeeklyRead) -> dict:
    return {f"w_{name}": Sum(product) for name, product in _WEIGHTED_BY_READ[read].items()}


def _weighted(weekly_values, cost_values) -> economics.WeightedTotals:
    values = {}
    if weekly_values is not None:
        values.update(zip(WEIGHTED_WEEKLY, weekly_values, strict=True))
    if cost_values is not None:
        values.update(zip(COST_FIELDS, cost_values, strict=True))
    return economics.WeightedTotals(**values)


def weighted_totals_with_subset(
    *, start: Month, end: Month, use_case_ids=None, subset_ids=None
) -> tuple[economics.WeightedTotals | None, economics.WeightedTotals | None]:
    """The weighted sums of the reviews in [start, end] of ``use_case_ids`` (as in
    ``weighted_totals`` without grouping) and of the ``subset_ids`` among them (a subquery),
    in the same two aggregate queries (conditional aggregates). None where there is no review
    (the subset's is always None without ``subset_ids``)."""
    read = weekly_read()
    weighted_weekly = _WEIGHTED_BY_READ[read]
    weekly, monthly = reviews_in(start, end, use_case_ids, read)
    weekly_aggregates = {f"a_{n}": Sum(p) for n, p in weighted_weekly.items()}
    cost_aggregates = {f"a_{n}": Sum(n) for n in COST_FIELDS}
    if subset_ids is not None:
        in_subset = Q(use_case_id__in=subset_ids)
        weekly_aggregates |= {
            f"s_{n}": Sum(p, filter=in_subset) for n, p in weighted_weekly.items()
        }
        weekly_aggregates["s_reviews"] = Count("pk", filter=in_subset)
        cost_aggregates |= {f"s_{n}": Sum(n, filter=in_subset) for n in COST_FIELDS}
        cost_aggregates["s_reviews"] = Count("pk", filter=in_subset)
    weekly_sums = weekly.order_by().aggregate(**weekly_aggregates, a_reviews=Count("pk"))
    cost_sums = monthly.order_by().aggregate(**cost_aggregates, a_reviews=Count("pk"))

    def pick(prefix):
        weeks = weekly_sums.get(f"{prefix}reviews")
        months = cost_sums.get(f"{prefix}reviews")
        if not weeks and not months:
            return None
        return _weighted(
            [weekly_sums[f"{prefix}{n}"] for n in WEIGHTED_WEEKLY] if weeks else None,
            [cost_sums[f"{prefix}{n}"] for n in COST_FIELDS] if months else None,
        )

    return pick("a_"), pick("s_")


#: What ``weighted_totals`` may group by (paths valid from both review models).
WEIGHTED_GROUPS = ("use_case_id", "month_start", "use_case__business_unit")


def weighted_totals(
    *, start: Month, end: Month, use_case_ids=None, group_by: tuple[str, ...] = ()
) -> dict[tuple, economics.WeightedTotals]:
    """``{group key: WeightedTotals}`` of the reviews in [start, end], weighted in SQL by each
    use case's business case, grouped by ``group_by`` (names from ``WEIGHTED_GROUPS``; the key is
    the tuple of their values, ``()`` without grouping). Only groups with a review appear. Two
    aggregate queries whatever the portfolio size; ``use_case_ids`` as in ``monthly_totals``."""
    unknown = set(group_by) - set(WEIGHTED_GROUPS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}; choose from {WEIGHTED_GROUPS}")
    read = weekly_read()
    weekly, monthly = reviews_in(start, end, use_case_ids, read)
    width = len(group_by)

    def rows(queryset, sums):
        queryset = queryset.order_by()
        if group_by:
            queryset = queryset.values(*group_by).annotate(**sums)
            return queryset.values_list(*group_by, *sums)
        values = queryset.aggregate(**sums, reviews=Count("pk"))
        return [tuple(values[k] for k in sums)] if values["reviews"] else []

    weekly_rows = {row[:width]: row[width:] for row in rows(weekly, _weighted_sums(read))}
    cost_rows = {row[:width]: row[width:] for row in rows(monthly, MONTHLY_SUMS)}
    return {
        key: _weighted(weekly_rows.get(key), cost_rows.get(key))
        for key in weekly_rows.keys() | cost_rows.keys()
    }


#: What ``rounded_figures`` may group the rounded atoms by: each name and the path it reads
#: (valid from both review models).
FIGURE_KEYS = {
    "use_case_id": "use_case_id",
    "month_start": "month_start",
    "business_unit": "use_case__business_unit",
}
#: The atom of the rounding rule: one use case's one calendar month.
ATOM = ("use_case_id", "month_start")


def rounded_figures(
    *,
    start: Month,
    end: Month,
    use_case_ids=None,
    groupings: tuple[tuple[str, ...], ...],
    use_case_rows=None,
) -> list[dict[tuple, money.Figures]]:
    """The rounding rule (``usecases.money``, docs/figures.md) over the reviews in [start, end]:
    each use case's month (the atom) weighted by its business case and rounded half-up to the
    cent on its own, then the rounded atoms summed per group. One ``{key: Figures}`` per
    grouping of ``groupings`` (each a tuple of ``FIGURE_KEYS`` names, its key the tuple of their
    values; ``()`` is the grand total, keyed ``()``); only groups with a review appear.
    ``use_case_ids`` as in ``monthly_totals``. ``use_case_rows`` (an iterable of use case ids;
    None: all): the groupings by ``use_case_id`` keep only these use cases' rows, the other
    groupings still sum every use case of ``use_case_ids`` (e.g. a portfolio's total and one
    page's rows).

    Two queries (the weekly and the monthly reviews) whatever the portfolio size or the number
    of groupings. On PostgreSQL the atoms are rounded and summed in SQL (``_grouped_in_sql``:
    exact NUMERIC, one query with GROUPING SETS per review kind, a page's rows read apart from
    the totals; the weekly side sums each atom's cents as the database stored them,
    ``month_sums.CENTS``); on another database (SQLite,
    whose decimals are binary floats) in Python (``_rounded_in_python``), to the same figures."""
    for grouping in groupings:
        unknown = set(grouping) - set(FIGURE_KEYS)
        if unknown:
            raise ValueError(f"cannot group by {sorted(unknown)}; choose from {list(FIGURE_KEYS)}")
    if not groupings:
        return []
    if use_case_rows is not None:
        use_case_rows = [int(pk) for pk in use_case_rows]  # read once (an iterator, a queryset)
    if connection.vendor != "postgresql":
        weekly, monthly = reviews_in(start, end, use_case_ids)
        return _rounded_in_python(weekly, monthly, groupings, use_case_rows)
    weekly, monthly = reviews_in(start, end, use_case_ids, SUMS)
    keys = _keys_of(groupings)
    weekly_sums = _grouped_in_sql(
        _stored_atom_rows(weekly, keys),
        _ROUNDED_WEEKLY,
        tuple(month_sums.CENTS.values()),
        groupings,
        use_case_rows,
    )
    cost_sums = _grouped_in_sql(
        _review_rows(monthly, COST_FIELDS, keys),
        _COSTS,
        economics.COST_FIELDS_BY_STEP,
        groupings,
        use_case_rows,
    )
    return [
        {
            key: money.Figures(**weeks.get(key, _NO_WEEKLY), **costs.get(key, _NO_COSTS))
            for key in weeks.keys() | costs.keys()
        }
        for weeks, costs in zip(weekly_sums, cost_sums, strict=True)
    ]


#: The weekly steps in SQL over the weekly sums per atom (``month_sums.SUMS``): each atom's
#: amount of the step (``economics.WEEKLY_AMOUNTS``) weighted and rounded to cents by the
#: database when the atom or its business case was written (``month_sums.CENTS``), the cents
#: summed.
_ROUNDED_WEEKLY = {step: f"SUM(atoms.{column}) * 0.01" for step, column in month_sums.CENTS.items()}
#: The cost steps in SQL. A monthly cost is entered in cents (two decimal places: checked by
#: ``tests/reviews/test_rounded_figures.py``), so rounding an atom's costs changes nothing and
#: the reviews' costs are summed as they are.
_COSTS = {
    step: f"COALESCE(SUM(atoms.{name}), 0)"
    for step, name in zip(economics.COST_STEPS, economics.COST_FIELDS_BY_STEP, strict=True)
}
_NO_WEEKLY = dict.fromkeys(_ROUNDED_WEEKLY, money.ZERO)
_NO_COSTS = dict.fromkeys(_COSTS, money.ZERO)


def _keys_of(groupings) -> tuple[str, ...]:
    """The atom's keys, then every other key a grouping names (in ``FIGURE_KEYS`` order)."""
    named = {key for grouping in groupings for key in grouping}
    return ATOM + tuple(key for key in FIGURE_KEYS if key in named and key not in ATOM)


def _keyed(reviews, keys: tuple[str, ...]):
    return reviews.order_by().annotate(**{f"k_{key}": F(FIGURE_KEYS[key]) for key in keys})


def _atom_rows(reviews, sums, keys: tuple[str, ...]):
    """The reviews' ``sums`` per atom: a ``values`` queryset of ``k_<key>`` columns for ``keys``
    (the atom's and the groupings' keys) and the sums."""
    return _keyed(reviews, keys).values(*(f"k_{key}" for key in keys)).annotate(**sums)


def _stored_atom_rows(sums, keys: tuple[str, ...]):
    """``_atom_rows`` of the weekly sums per atom (``month_sums.SUMS``): already one row per
    (use case, month), unique, each with its steps' cents stored (``month_sums.CENTS``), read as
    they are: no GROUP BY, no business case, no arithmetic."""
    return _keyed(sums, keys).values(*(f"k_{key}" for key in keys), *month_sums.CENTS.values())


def _review_rows(reviews, fields, keys: tuple[str, ...]):
    """One row per review: its ``k_<key>`` columns and ``fields``."""
    return _keyed(reviews, keys).values(*(f"k_{key}" for key in keys), *fields)


def _grouped_in_sql(
    rows, columns: dict[str, str], summed: tuple[str, ...], groupings, use_case_rows=None
) -> list[dict[tuple, dict]]:
    """PostgreSQL: ``columns`` (name → an expression of ``SUM(atoms.<c>)`` for ``c`` of the
    subquery ``rows``' columns ``summed``) per grouping, in one query: GROUP BY GROUPING SETS,
    ``GROUPING()`` telling the rows apart. ``use_case_rows`` (ids; None: all): only these use
    cases' rows of the groupings by use case.

    With ``use_case_rows`` (a page of a table: 50 of 2,000 use cases) the query has two parts,
    ``UNION ALL``: the groupings by use case over the listed use cases' atoms only (read through
    the (use case, month) index), and the other groupings over the atoms first summed by those
    groupings' keys together (e.g. one row per business unit and month): a sum of sums is the
    same sum, and PostgreSQL keeps one small hash table instead of one per grouping with a group
    per use case (the CFO report's 12 months, its weekly statement under EXPLAIN ANALYZE on
    the full benchmark database: 64 → 35 ms; benchmarks/README, 2026-12-04, late night)."""
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # use_case_ids=[]: no query, as the ORM runs none
        return [{} for _ in groupings]

    def keys_in(sets) -> list[str]:  # the keys ``sets`` group by, in ``FIGURE_KEYS`` order
        return [key for key in FIGURE_KEYS if any(key in g for g in sets)]

    used = keys_in(groupings)
    paged = [g for g in groupings if "use_case_id" in g] if use_case_rows is not None else []
    whole = [g for g in groupings if g not in paged]
    parts, part_params, decoders = [], [], {}

    def part(source: str, sets: list, where: str = "") -> str:
        """One SELECT of the UNION: its number, its ``GROUPING()`` mask, every used key (NULL
        where this part does not group by it), the columns."""
        keys = keys_in(sets)
        number = len(parts)
        for grouping in sets:  # GROUPING(): a 1 bit for each key the row is not grouped by
            mask = sum(1 << (len(keys) - 1 - i) for i, k in enumerate(keys) if k not in grouping)
            decoders[(number, mask)] = grouping
        mask_sql = f"GROUPING({', '.join(f'k_{key}' for key in keys)})" if keys else "0"
        selected = "".join(f"k_{key}, " if key in keys else "NULL, " for key in used)
        aggregates = ", ".join(f'{sql} AS "{name}"' for name, sql in columns.items())
        group_sets = ", ".join(f"({', '.join(f'k_{key}' for key in g)})" for g in sets)
        return (
            f"SELECT {number}, {mask_sql}, {selected}{aggregates} FROM {source}{where} "
            f"GROUP BY GROUPING SETS ({group_sets}) HAVING COUNT(*) > 0"
        )

    if paged:
        ids = list(use_case_rows)
        listed = ", ".join(["%s"] * len(ids)) or "NULL"
        parts.append(part("atoms", paged, f" WHERE k_use_case_id IN ({listed})"))
        part_params += ids
    if whole:
        source = "atoms"
        keys = [f"k_{key}" for key in keys_in(whole)]
        if paged and "k_use_case_id" not in keys:  # summed by the coarser keys first
            sums = ", ".join(f"SUM(atoms.{c}) AS {c}" for c in summed)
            source = (
                f"(SELECT {''.join(f'{k}, ' for k in keys)}{sums} FROM atoms "
                f"GROUP BY {', '.join(keys) or '()'} HAVING COUNT(*) > 0) AS atoms"
            )
        parts.append(part(source, whole))
    query = f"WITH atoms AS NOT MATERIALIZED ({inner}) " + " UNION ALL ".join(parts)
    result = {g: {} for g in groupings}
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *part_params))
        for row in cursor.fetchall():
            grouping = decoders[(row[0], row[1])]
            values = dict(zip(used, row[2 : 2 + len(used)], strict=True))
            key = tuple(values[k] for k in grouping)
            result[grouping][key] = dict(zip(columns, row[2 + len(used) :], strict=True))
    return [result[g] for g in groupings]


def _rounded_in_python(
    weekly, monthly, groupings, use_case_rows=None
) -> list[dict[tuple, money.Figures]]:
    """``rounded_figures`` on a database other than PostgreSQL (SQLite), the one Python path
    left: the atoms' weighted
    sums from SQL (two GROUP BY queries), each atom rounded by ``money.Figures.of_weighted_sums``
    and the atoms added up per grouping here (about 15 µs an atom). SQLite keeps decimals as
    binary floats, so its ROUND cannot round a half cent exactly; Django reads its sums back to
    15 significant digits, the exact decimal for figures of ordinary size."""
    keys = _keys_of(groupings)
    width = len(keys)

    def read(reviews, sums, names):
        return {
            row[:width]: dict(zip(names, row[width:], strict=True))
            for row in _atom_rows(reviews, sums, keys).values_list(
                *(f"k_{key}" for key in keys), *sums
            )
        }

    weekly_rows = read(weekly, WEIGHTED_WEEKLY_SUMS, WEIGHTED_WEEKLY)
    cost_rows = read(monthly, MONTHLY_SUMS, COST_FIELDS)
    atoms = {
        atom: money.Figures.of_weighted_sums(weekly_rows.get(atom), cost_rows.get(atom))
        for atom in weekly_rows.keys() | cost_rows.keys()
    }
    rows = None if use_case_rows is None else set(use_case_rows)
    result = []
    for grouping in groupings:
        positions = [keys.index(key) for key in grouping]
        kept = atoms.items()
        if rows is not None and "use_case_id" in grouping:  # keys[0] is the atom's use case
            kept = [(atom, figures) for atom, figures in kept if atom[0] in rows]
        groups: dict[tuple, list[money.Figures]] = defaultdict(list)
        for atom, figures in kept:
            groups[tuple(atom[i] for i in positions)].append(figures)
        result.append({key: money.total(members) for key, members in groups.items()})
    return result


@dataclass(frozen=True)
class UseCaseEconomics:
    start: Month
    end: Month
    totals: economics.PeriodTotals
    figures: money.Figures
    waterfall: list[economics.WaterfallStep]
    by_month: list[tuple[Month, money.Figures]]
    net_value_90_days: economics.NinetyDayValue


def range_figures(
    per_month: dict, bc: economics.BusinessCaseInputs, *, start: Month, end: Month
) -> tuple[list, money.Figures]:
    """The months of [start, end] that have a review (``per_month``: month → PeriodTotals, as
    ``monthly_totals`` gives them for one use case), each with its rounded figures, oldest
    first, and the range's figures: the sum of its rounded months (``usecases.money``)."""
    by_month = [
        (m, money.Figures.of_period(per_month[m], bc))
        for m in sorted(per_month)
        if start <= m <= end
    ]
    return by_month, money.total(f for _, f in by_month)


def use_case_economics(
    use_case: UseCase, *, start: Month, end: Month, business_case: BusinessCase | None = None
) -> UseCaseEconomics:
    """The CFO figures, waterfall, per-month figures and the 90-day figure of one use case for the
    months [start, end], with the current business case, rounded by ``usecases.money``: each
    month on its own, the range and the 90 days as the sums of their months. Three queries
    (business case, weekly sums, monthly sums: the months among the 90-day months that have a
    monthly review come with the monthly sums, which span them); two when the caller passes the
    ``business_case`` it already read (an unsaved one for a use case without)."""
    if business_case is None:
        business_case = BusinessCase.objects.filter(use_case=use_case).first() or BusinessCase(
            use_case=use_case
        )
    bc = business_case.inputs()
    ninety_months = (
        [economics.month_start(m) for m in economics.ninety_day_months(use_case.scaled_on)]
        if use_case.scaled_on
        else []
    )
    query_start = min([start, *ninety_months])
    query_end = max([end, *ninety_months])
    all_months, reviewed_pairs = monthly_totals_and_reviewed(
        start=query_start, end=query_end, use_case_ids=[use_case.pk]
    )
    per_month = all_months.get(use_case.pk, {})
    in_range = {m: t for m, t in per_month.items() if start <= m <= end}
    totals = sum(in_range.values(), economics.PeriodTotals())
    by_month, figures = range_figures(per_month, bc, start=start, end=end)
    reviewed = {m for _, m in reviewed_pairs} & set(ninety_months)
    ninety_net = {
        (m.year, m.month): money.Figures.of_period(
            per_month.get(m, economics.PeriodTotals()), bc
        ).net_value
        for m in reviewed
    }
    return UseCaseEconomics(
        start=start,
        end=end,
        totals=totals,
        figures=figures,
        waterfall=figures.waterfall(),
        by_month=by_month,
        net_value_90_days=economics.net_value_90_days(use_case.scaled_on, ninety_net),
    )
