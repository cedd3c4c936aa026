"""The rounding rule in SQL (``reviews.selectors.rounded_figures``) gives the engine's figures
rounded in Python (``usecases.money``, docs/figures.md): every use case's month rounded half-up
(a tie away from zero) on its own, every other figure the sum of those rounded months.

Random portfolios with negative values (minutes, hourly costs, shares and costs below zero, more
tasks with AI than tasks: a negative adoption gap) and amounts that make half cents exactly
(0.3 of money × 60 is a tie), grouped every way the pages group them at once. On PostgreSQL the
atoms are rounded in SQL, exactly, whatever their size; SQLite (binary floats) takes the Python
path, exact for figures of ordinary size: the first property runs on both, the second on
PostgreSQL with amounts of any size.
"""

import datetime
import decimal
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviews.models import MonthlyReview
from reviews.selectors import rounded_figures
from tests.portfolio.test_sql_equals_engine import build
from usecases import economics, money
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 8, 1), datetime.date(2026, 10, 1)
WEEKS = [f"2026-W{n:02d}" for n in range(30, 46)]  # late July to early November: some outside
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
UNITS = ["Claims", "Finance", "Ops"]
#: Every grouping the pages ask for, in one call (the atoms themselves among them).
GROUPINGS = (
    ("use_case_id", "month_start"),
    ("use_case_id",),
    ("business_unit",),
    ("month_start",),
    (),
    ("use_case_id", "business_unit"),
)


def signed(high, places):
    return st.decimals(min_value=-high, max_value=high, places=places, allow_nan=False)


def either(*values):
    return st.sampled_from([Decimal(v) for v in values])


def portfolios(*, tasks, minutes, hourly, baseline, fraction, cost):
    """Random portfolios; each strategy argument is a strategy of that kind of number."""
    week = st.fixed_dictionaries(
        {
            "active_users": st.integers(0, 50),
            "target_users": st.integers(0, 50),
            "tasks_total": tasks,
            "tasks_with_ai": tasks,  # may exceed tasks_total: a negative adoption gap
            "reworked_outputs": tasks,
            "exceptions": st.just(0),
            "minutes_saved_per_task": minutes,
            "rework_minutes_per_output": minutes,
            "quality_score": st.just(Decimal("88")),
            "backlog": st.just(0),
        }
    )
    business_case = st.none() | st.fixed_dictionaries(
        {
            "baseline_minutes_per_task": baseline,
            "pilot_effort_reduction": fraction,
            "hourly_cost": hourly,
            "reclaimable_share": fraction,
        }
    )
    use_case = st.fixed_dictionaries(
        {
            "business_case": business_case,
            "unit": st.sampled_from(UNITS),
            "weeks": st.dictionaries(st.sampled_from(WEEKS), week, max_size=6),
            "months": st.dictionaries(
                st.sampled_from(MONTHS),
                st.fixed_dictionaries({name: cost for name in economics.COST_FIELDS}),
                max_size=3,
            ),
        }
    )
    return st.lists(use_case, min_size=1, max_size=4)


#: Figures of ordinary size (every weighted sum within 15 significant digits: what SQLite's
#: floats give back exactly), with many ties: an hourly cost of 0.30 makes 1 minute a half cent.
ORDINARY = portfolios(
    tasks=st.integers(0, 99),
    minutes=either("1", "-1", "3", "0.5", "0.01", "-2.50") | signed(9, 2),
    hourly=either("0.30", "-0.30", "0.90", "1.50", "33.33") | signed(9, 2),
    baseline=either("10", "3.3", "-7.5") | signed(9, 1),
    fraction=either("0.5", "0.3", "1", "0", "-0.5") | signed(1, 1),
    cost=either("0", "0.01", "-0.01", "100.05", "-333.33") | signed(9999, 2),
)
#: Any size the columns hold: sums of 20 significant digits and more.
ANY_SIZE = portfolios(
    tasks=st.integers(0, 2_000_000_000),
    minutes=either("1", "-1", "0.05", "0.01") | signed(999_999, 2),
    hourly=either("0.30", "-0.30", "0.77", "61.30") | signed(99_999_999, 2),
    baseline=either("10", "3.33", "-7.5") | signed(999_999, 2),
    fraction=either("0.5", "0.3333", "1", "0", "-0.6667") | signed(9, 4),
    cost=either("0", "0.01", "-0.01", "100.05") | signed(9_999_999_999, 2),
)


def engine_atoms(built, units) -> dict[tuple, money.Figures]:
    """``{(use case, month, business unit): Figures}``: each use case's month in the range from
    the engine (``PeriodTotals`` summed in Python, ``waterfall``) rounded by ``usecases.money``."""
    reviews = defaultdict(lambda: ([], []))
    for (uc, bc, weekly, monthly), unit in zip(built, units, strict=True):
        for review in weekly:
            reviews[(uc.pk, review.month_start, unit, bc)][0].append(review.figures())
        for review in monthly:
            reviews[(uc.pk, review.month_start, unit, bc)][1].append(review.costs())
    return {
        (pk, month, unit): money.Figures.of_period(
            economics.PeriodTotals.from_weeks_and_costs(weeks, costs), bc
        )
        for (pk, month, unit, bc), (weeks, costs) in reviews.items()
        if START <= month <= END
    }


def expected(atoms: dict[tuple, money.Figures], grouping) -> dict[tuple, money.Figures]:
    position = {"use_case_id": 0, "month_start": 1, "business_unit": 2}
    groups = defaultdict(list)
    for key, figures in atoms.items():
        groups[tuple(key[position[name]] for name in grouping)].append(figures)
    return {key: money.total(members) for key, members in groups.items()}


def check(portfolio):
    with transaction.atomic():
        built = build(portfolio)
        units = [spec["unit"] for spec in portfolio]
        for (uc, *_), unit in zip(built, units, strict=True):
            UseCase.objects.filter(pk=uc.pk).update(business_unit=unit)
        atoms = engine_atoms(built, units)
        with CaptureQueriesContext(connection) as queries:
            got = rounded_figures(start=START, end=END, groupings=GROUPINGS)
        assert len(queries) == 2  # the weekly and the monthly reviews, whatever the groupings
        for grouping, figures in zip(GROUPINGS, got, strict=True):
            want = expected(atoms, grouping)
            assert figures.keys() == want.keys(), grouping
            for key, value in figures.items():
                assert value == want[key], (grouping, key, value, want[key])
            for value in figures.values():  # cents, never more digits
                for name in money.ROUNDED_STEPS:
                    assert getattr(value, name) == getattr(value, name).quantize(money.CENT)
        # A subset of the use cases (a subquery, as the pages pass it), on its own.
        some = [uc.pk for uc, *_ in built[::2]]
        # A page's rows (use_case_rows): the groupings by use case keep only those use cases,
        # the others every atom, in the same two queries; no rows at all: none of them.
        for rows in (some, []):
            with CaptureQueriesContext(connection) as queries:
                page = rounded_figures(
                    start=START, end=END, groupings=GROUPINGS, use_case_rows=iter(rows)
                )
            assert len(queries) == 2
            for grouping, figures, whole in zip(GROUPINGS, page, got, strict=True):
                if "use_case_id" in grouping:
                    position = grouping.index("use_case_id")
                    whole = {k: v for k, v in whole.items() if k[position] in rows}
                assert figures == whole, grouping
        (subset,) = rounded_figures(
            start=START,
            end=END,
            use_case_ids=UseCase.objects.filter(pk__in=some).values("pk"),
            groupings=(("use_case_id",),),
        )
        assert subset == {
            key: figures
            for key, figures in expected(atoms, ("use_case_id",)).items()
            if key[0] in some
        }
        transaction.set_rollback(True)


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(portfolio=ORDINARY)
def test_rounded_figures_equal_the_engine_rounded_in_python(portfolio):
    check(portfolio)


@pytest.mark.postgres
@SETTINGS
@given(portfolio=ANY_SIZE)
def test_rounded_in_sql_equal_the_engine_at_any_size(portfolio):
    check(portfolio)


def week(tasks_total, tasks_with_ai, minutes, reworked=0, rework_minutes="0"):
    return {
        "active_users": 1,
        "target_users": 1,
        "tasks_total": tasks_total,
        "tasks_with_ai": tasks_with_ai,
        "reworked_outputs": reworked,
        "exceptions": 0,
        "minutes_saved_per_task": Decimal(minutes),
        "rework_minutes_per_output": Decimal(rework_minutes),
        "quality_score": Decimal("88"),
        "backlog": 0,
    }


HALF_CENTS = {  # 0.30 an hour: one minute is half a cent
    "baseline_minutes_per_task": Decimal("10"),
    "pilot_effort_reduction": Decimal("0.5"),
    "hourly_cost": Decimal("0.30"),
    "reclaimable_share": Decimal("0.5"),
}


def test_half_cents_go_away_from_zero():
    """Ties, positive and negative, each in its own month: 0.005 → 0.01 and −0.005 → −0.01
    (half-up as ``ROUND_HALF_UP``), never to the even cent or towards +∞."""
    portfolio = [
        {
            "business_case": HALF_CENTS,
            "weeks": {
                # promise 1 × 10 × 0.5 × 0.30 / 60 = 0.025; gross 0.005; translation 0.0025;
                # rework 0.005
                "2026-W32": week(1, 1, "1", reworked=1, rework_minutes="1"),
                # the same with minutes below zero: gross −0.005, rework −0.005
                "2026-W36": week(1, 1, "-1", reworked=1, rework_minutes="-1"),
                # more tasks with AI than tasks: adoption gap −0.025
                "2026-W41": week(0, 1, "0"),
            },
            "months": {},
        }
    ]
    with transaction.atomic():
        (uc, *_), *_ = build(portfolio)
        (atoms,) = rounded_figures(start=START, end=END, groupings=(("month_start",),))
        aug, sep, oct_ = (atoms[(datetime.date(2026, m, 1),)] for m in (8, 9, 10))
        assert (aug.pilot_promise, aug.gross_efficiency, aug.rework) == (
            Decimal("0.03"),
            Decimal("0.01"),
            Decimal("0.01"),
        )
        assert aug.translation_gap == Decimal("0.00")  # 0.0025: below the half cent
        assert (sep.gross_efficiency, sep.rework, sep.translation_gap) == (
            Decimal("-0.01"),
            Decimal("-0.01"),
            Decimal("0.00"),  # −0.0025
        )
        assert (oct_.pilot_promise, oct_.adoption_gap) == (Decimal("0.00"), Decimal("-0.03"))
        # The quarter is the sum of the rounded months (0.03 + 0.03 + 0.00), not the quarter
        # rounded once (0.025 + 0.025 = 0.05).
        (total,) = rounded_figures(start=START, end=END, groupings=((),))
        assert total[()].pilot_promise == Decimal("0.06")
        assert total[()].gross_efficiency == Decimal("0.00")
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_a_near_tie_at_scale_is_rounded_exactly():
    """780,751,711 tasks × 998,039.17 minutes × 0.77 an hour / 60 = 10,000,000,133,489.004998…:
    0.00 cents. PostgreSQL's ROUND(x / 60, 2) divides to the first 4 decimals (…0050) and says
    …489.01; the exact integer division the SQL uses says …489.00, as the engine does."""
    x = Decimal(780_751_711) * Decimal("998039.17") * Decimal("0.77")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ROUND(%s::numeric / 60, 2)", [x])
        assert cursor.fetchone()[0] == Decimal("10000000133489.01")  # the trap is real
    portfolio = [
        {
            "business_case": {
                "baseline_minutes_per_task": Decimal("0"),
                "pilot_effort_reduction": Decimal("0"),
                "hourly_cost": Decimal("0.77"),
                "reclaimable_share": Decimal("0"),
            },
            "weeks": {"2026-W32": week(780_751_711, 780_751_711, "998039.17")},
            "months": {},
        }
    ]
    with transaction.atomic():
        build(portfolio)
        (total,) = rounded_figures(start=START, end=END, groupings=((),))
        with decimal.localcontext(prec=economics.PRECISION):
            assert money.cents(x / 60) == Decimal("10000000133489.00")
        assert total[()].gross_efficiency == Decimal("10000000133489.00")
        assert total[()].translation_gap == Decimal("10000000133489.00")  # R = 0
        transaction.set_rollback(True)


def test_costs_are_cents():
    """SQL sums the monthly costs without rounding each month: that is the rule only while a
    cost is entered in cents."""
    for name in economics.COST_FIELDS:
        assert MonthlyReview._meta.get_field(name).decimal_places == 2, name


def test_no_use_case_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert rounded_figures(
            start=START, end=END, use_case_ids=[], groupings=(("use_case_id",), ())
        ) == [{}, {}]
    assert len(queries) == 0


def test_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="cannot group by"):
        rounded_figures(start=START, end=END, groupings=(("stage",),))
    assert rounded_figures(start=START, end=END, groupings=()) == []


@settings(max_examples=300, deadline=None)
@given(
    sums=st.fixed_dictionaries(
        {name: signed(10**12, 6) for name in ("promise", "promise_with_ai", "saved", "reclaimed")}
        | {"rework": signed(10**12, 6)}
        | {name: signed(10**9, 2) for name in economics.COST_FIELDS}
    )
)
def test_the_amounts_sql_rounds_are_the_waterfall(sums):
    """``economics.WEEKLY_AMOUNTS`` (the forms SQL rounds) are the engine's waterfall steps."""
    totals = economics.WeightedTotals(**sums)
    steps = {step.step: step.amount for step in economics.weighted_waterfall(totals)}
    amounts = dict(
        zip(economics.WEIGHTED_AMOUNT_STEPS, economics.weighted_amounts(totals), strict=True)
    )
    assert amounts == {name: steps[name] for name in economics.WEIGHTED_AMOUNT_STEPS}
