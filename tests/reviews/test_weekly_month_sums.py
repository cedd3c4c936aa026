"""The weekly reviews' sums per use case and month (``reviews.month_sums``, ``WeeklyMonthSum``),
kept by PostgreSQL's triggers, always equal ``GROUP BY use_case_id, month_start`` over the
reviews, whatever wrote them; and the portfolio figures read from them equal the engine's.

A property test over random sequences of writes through every path that changes weekly reviews
(the submission service, its corrections of figures, ``save()`` moving a review to another week
or use case, ``delete()``, ``bulk_create``, ``QuerySet.update``/``delete``, the bulk importer), with
the sums checked after each write; two transactions adding to the same use case and month at
once; TRUNCATE; the SQL the migration froze against the SQL generated from
``economics.WEEKLY_QUANTITIES`` now.

Each atom's rounded cents per weekly step (``month_sums.CENTS``) always equal the engine's
rounding of that atom with its business case: the same property test also creates, saves,
updates and deletes business cases (none: zero weights) and writes huge values and negative
amounts (more tasks with AI than in total, a reclaimable share above 1); half-cent ties; a
business case changed while a review of its use case is added in another transaction.
"""

import datetime
import importlib
import threading
import time
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio import dashboard
from reviews import bulk_import, month_sums, selectors
from reviews.models import MonthlyReview, WeeklyMonthSum, WeeklyReview, weekly_period_dates
from reviews.services import weekly_review_correct, weekly_review_submit
from tests.conftest import make_use_case
from usecases import economics, money
from usecases.models import BusinessCase

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("reviews.migrations.0015_weekly_month_sums")
#: The migration that installed the SQL in use now (the cents).
LATEST = importlib.import_module("reviews.migrations.0016_weekly_month_cents")
TODAY = timezone.make_aware(datetime.datetime(2026, 11, 25, 10, 0))
#: Weeks on both sides of month boundaries (W31 and W35 are Thursday-of-the-month edges).
WEEKS = [f"2026-W{n:02d}" for n in range(30, 48)]
START, END = datetime.date(2026, 7, 1), datetime.date(2026, 11, 1)
RANGE = dashboard.MonthRange(START, END)


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the sums are kept by PostgreSQL's triggers")


minutes = st.decimals(min_value=0, max_value=999, places=2, allow_nan=False)
figures = st.fixed_dictionaries(
    {
        "active_users": st.integers(0, 100),
        "target_users": st.integers(100, 100),
        "tasks_total": st.integers(1000, 5000),
        "tasks_with_ai": st.integers(50, 1000),
        "reworked_outputs": st.integers(0, 50),
        "exceptions": st.integers(0, 50),
        "minutes_saved_per_task": minutes,
        "rework_minutes_per_output": minutes,
        "quality_score": st.decimals(min_value=0, max_value=100, places=2),
        "backlog": st.integers(0, 100),
    }
)
#: Anything the columns hold, beyond what the forms accept: more tasks with AI than in total
#: (a negative adoption gap), the largest counts and minutes.
huge_figures = st.fixed_dictionaries(
    {
        "tasks_total": st.integers(0, 2**31 - 1),
        "tasks_with_ai": st.integers(0, 2**31 - 1),
        "reworked_outputs": st.integers(0, 2**31 - 1),
        "minutes_saved_per_task": st.decimals(0, Decimal("999999.99"), places=2),
        "rework_minutes_per_output": st.decimals(0, Decimal("999999.99"), places=2),
    }
)
#: A business case's weights, up to its columns' limits (a reclaimable share above 1: a
#: negative translation gap; the validators stop it in the forms, not in the database).
weights = st.fixed_dictionaries(
    {
        "baseline_minutes_per_task": st.decimals(0, Decimal("999999.99"), places=2),
        "pilot_effort_reduction": st.decimals(0, Decimal("9.9999"), places=4),
        "hourly_cost": st.decimals(0, Decimal("99999999.99"), places=2),
        "reclaimable_share": st.decimals(0, Decimal("9.9999"), places=4),
    }
)
use_case_index = st.integers(0, 2)
week = st.sampled_from(WEEKS)
operations = st.one_of(
    st.tuples(st.just("submit"), use_case_index, week, figures),
    st.tuples(st.just("correct"), st.integers(0, 50), figures),
    st.tuples(st.just("move"), st.integers(0, 50), use_case_index, week),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("bulk_create"), use_case_index, st.lists(st.tuples(week, figures))),
    st.tuples(st.just("update"), use_case_index, st.integers(0, 1000), minutes),
    st.tuples(st.just("delete_month"), use_case_index, st.sampled_from(WEEKS[::4])),
    st.tuples(st.just("import"), use_case_index, st.lists(st.tuples(week, figures), max_size=3)),
    st.tuples(st.just("business_case"), use_case_index, minutes),
    st.tuples(st.just("huge"), use_case_index, st.lists(st.tuples(week, huge_figures))),
    st.tuples(st.just("bc_save"), use_case_index, weights),
    st.tuples(st.just("bc_delete"), use_case_index),
    st.tuples(st.just("bc_update_all"), weights),
)


def pick(index):
    """The index-th weekly review (modulo their number), None when there is none."""
    reviews = list(WeeklyReview.objects.order_by("pk"))
    return reviews[index % len(reviews)] if reviews else None


def free_weeks(use_case, weeks):
    taken = set(WeeklyReview.objects.filter(use_case=use_case).values_list("week", flat=True))
    return [w for w in dict.fromkeys(weeks) if w not in taken]


def apply(operation, use_cases, owner):
    kind, *args = operation
    if kind == "submit":
        uc, week, values = use_cases[args[0]], args[1], args[2]
        if free_weeks(uc, [week]):
            weekly_review_submit(user=owner, use_case=uc, week=week, data=values)
    elif kind == "correct" and (review := pick(args[0])):
        weekly_review_correct(
            user=owner, review=review, data=args[1], expected_version=review.version
        )
    elif kind == "move" and (review := pick(args[0])):
        review.use_case = use_cases[args[1]]
        if free_weeks(review.use_case, [args[2]]):
            review.week = args[2]  # save() sets its month
            review.save()
    elif kind == "delete" and (review := pick(args[0])):
        review.delete()
    elif kind == "bulk_create":
        uc = use_cases[args[0]]
        wanted = dict(args[1])
        rows = []
        for w in free_weeks(uc, list(wanted)):
            week_start, month_start = weekly_period_dates(w)
            rows.append(
                WeeklyReview(
                    use_case=uc, week=w, week_start=week_start, month_start=month_start, **wanted[w]
                )
            )
        WeeklyReview.objects.bulk_create(rows)
    elif kind == "update":  # one UPDATE of all of a use case's reviews
        WeeklyReview.objects.filter(use_case=use_cases[args[0]]).update(
            tasks_with_ai=args[1], minutes_saved_per_task=args[2]
        )
    elif kind == "delete_month":
        month = weekly_period_dates(args[1])[1]
        WeeklyReview.objects.filter(use_case=use_cases[args[0]], month_start=month).delete()
    elif kind == "import":
        uc = use_cases[args[0]]
        wanted = dict(args[1])
        rows = [
            (number, {"week": w, **{k: str(v) for k, v in wanted[w].items()}})
            for number, w in enumerate(free_weeks(uc, list(wanted)), start=2)
        ]
        if rows:
            result = bulk_import.weekly_reviews_import(
                user=owner, use_case=uc, rows=rows, commit=True
            )
            assert result.committed, result.errors
    elif kind == "business_case":
        BusinessCase.objects.filter(use_case=use_cases[args[0]]).update(hourly_cost=args[1])
    elif kind == "huge":  # bulk_create of values no form accepts
        uc = use_cases[args[0]]
        wanted = dict(args[1])
        rows = []
        for w in free_weeks(uc, list(wanted)):
            week_start, month_start = weekly_period_dates(w)
            values = FIGURES | wanted[w]
            rows.append(
                WeeklyReview(
                    use_case=uc, week=w, week_start=week_start, month_start=month_start, **values
                )
            )
        WeeklyReview.objects.bulk_create(rows)
    elif kind == "bc_save":  # created (INSERT) or saved (UPDATE of every column) by save()
        business_case = BusinessCase.objects.filter(use_case=use_cases[args[0]]).first()
        business_case = business_case or BusinessCase(use_case=use_cases[args[0]])
        for name, value in args[1].items():
            setattr(business_case, name, value)
        business_case.save()
    elif kind == "bc_delete":
        BusinessCase.objects.filter(use_case=use_cases[args[0]]).delete()
    elif kind == "bc_update_all":  # one UPDATE of several use cases' business cases
        BusinessCase.objects.filter(use_case__in=use_cases).update(**args[0])


def sums_from_reviews() -> dict:
    """The sums as ``GROUP BY use_case_id, month_start`` over the reviews computes them."""
    quantities = {
        f"sum_{name}": Sum(month_sums.REVIEWS.quantity(name))
        for name in economics.WEEKLY_QUANTITIES
    }
    rows = (
        WeeklyReview.objects.order_by()
        .values("use_case_id", "month_start")
        .annotate(sum_review_count=Count("pk"), **quantities)
    )
    return {
        (r.pop("use_case_id"), r.pop("month_start")): {
            name.removeprefix("sum_"): value for name, value in r.items()
        }
        for r in rows
    }


def stored_sums() -> dict:
    rows = WeeklyMonthSum.objects.values(
        "use_case_id", "month_start", "review_count", *economics.WEEKLY_QUANTITIES
    )
    return {(r.pop("use_case_id"), r.pop("month_start")): r for r in rows}


def assert_sums_equal_the_reviews():
    assert stored_sums() == sums_from_reviews()
    assert stored_cents() == cents_from_the_engine()


def inputs_of(use_case_id) -> economics.BusinessCaseInputs:
    """The use case's business case as the engine reads it (all zero without one)."""
    business_case = BusinessCase.objects.filter(use_case_id=use_case_id).first()
    return (business_case or BusinessCase()).inputs()


def stored_cents() -> dict:
    rows = WeeklyMonthSum.objects.values("use_case_id", "month_start", *month_sums.CENTS.values())
    return {(r.pop("use_case_id"), r.pop("month_start")): r for r in rows}


def cents_from_the_engine() -> dict:
    """Each atom's weekly steps as the engine rounds them (``money.Figures.of_period`` of its
    weekly reviews' totals and its business case), in cents."""
    weeks = defaultdict(list)
    for review in WeeklyReview.objects.all():
        weeks[(review.use_case_id, review.month_start)].append(review.figures())
    inputs = {}
    result = {}
    for atom, figures in weeks.items():
        if atom[0] not in inputs:
            inputs[atom[0]] = inputs_of(atom[0])
        totals = economics.PeriodTotals.from_weeks_and_costs(figures, [])
        rounded = money.Figures.of_period(totals, inputs[atom[0]])
        result[atom] = {
            column: getattr(rounded, step) * 100 for step, column in month_sums.CENTS.items()
        }
    return result


def assert_figures_equal_the_engine(use_cases, pmo):
    """The portfolio reads (from the sums) against the engine over the reviews themselves."""
    ids = [uc.pk for uc in use_cases]
    weekly = list(WeeklyReview.objects.filter(use_case_id__in=ids))
    monthly = list(MonthlyReview.objects.filter(use_case_id__in=ids))
    inputs = {uc.pk: inputs_of(uc.pk) for uc in use_cases}
    engine = {}
    for review in weekly:
        engine.setdefault(review.use_case_id, {}).setdefault(review.month_start, ([], []))[
            0
        ].append(review.figures())
    for review in monthly:
        engine.setdefault(review.use_case_id, {}).setdefault(review.month_start, ([], []))[
            1
        ].append(review.costs())
    totals = {
        pk: {m: economics.PeriodTotals.from_weeks_and_costs(*wc) for m, wc in months.items()}
        for pk, months in engine.items()
    }
    assert selectors.monthly_totals(start=START, end=END, use_case_ids=ids) == totals
    # The rounding rule: each atom rounded by the engine, summed per use case.
    by_use_case, by_month, grand = selectors.rounded_figures(
        start=START,
        end=END,
        use_case_ids=ids,
        groupings=(("use_case_id",), ("month_start",), ()),
    )
    atoms = {
        (pk, month): money.Figures.of_period(t, inputs[pk])
        for pk, months in totals.items()
        for month, t in months.items()
    }
    expected = defaultdict(list)
    for (pk, month), figures in atoms.items():
        expected[("use_case_id", pk)].append(figures)
        expected[("month_start", month)].append(figures)
    assert by_use_case == {(pk,): money.total(expected[("use_case_id", pk)]) for pk in totals}
    assert by_month == {
        (month,): money.total(expected[("month_start", month)])
        for month in {m for months in totals.values() for m in months}
    }
    assert grand == ({(): money.total(atoms.values())} if atoms else {})
    # The weighted sums and the dashboard's net value sort key.
    weighted = selectors.weighted_totals(start=START, end=END, group_by=("use_case_id",))
    for pk, months in totals.items():
        period = sum(months.values(), economics.PeriodTotals())
        assert weighted[(pk,)] == economics.weighted(period, inputs[pk])
    rows = dashboard.with_figures(dashboard.table_queryset(pmo), RANGE).annotate(
        net_key=dashboard.sort_key("net_value")
    )
    for row in rows:
        months = totals.get(row.pk)
        if months is None:
            assert row.net_key is None
            continue
        period = sum(months.values(), economics.PeriodTotals())
        assert row.net_key == economics.linear_value(
            economics.NET_VALUE_X60, period, inputs[row.pk]
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=10))
def test_the_sums_equal_the_reviews_after_every_write(owner, pmo, steps):
    needs_postgresql()
    with time_machine.travel(TODAY, tick=False), transaction.atomic():
        use_cases = [make_use_case(f"Summed {i}", owner=owner) for i in range(3)]
        costs = dict.fromkeys(economics.COST_FIELDS, Decimal(0)) | {"run_cost": Decimal("12.34")}
        MonthlyReview.objects.create(use_case=use_cases[0], month="2026-09", **costs)
        for step in steps:
            apply(step, use_cases, owner)
            assert_sums_equal_the_reviews()
        assert_figures_equal_the_engine(use_cases, pmo)
        transaction.set_rollback(True)


def test_a_month_without_reviews_has_no_sums(owner):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    review = WeeklyReview.objects.create(use_case=uc, week="2026-W40", **FIGURES)
    assert WeeklyMonthSum.objects.filter(use_case=uc).count() == 1
    review.delete()
    assert not WeeklyMonthSum.objects.exists()


def test_truncate_empties_the_sums(owner):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    WeeklyReview.objects.create(use_case=uc, week="2026-W40", **FIGURES)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending checks
        cursor.execute(f"TRUNCATE {month_sums.REVIEWS_TABLE} CASCADE")
    assert not WeeklyMonthSum.objects.exists()


FIGURES = {
    "active_users": 80,
    "target_users": 100,
    "tasks_total": 1000,
    "tasks_with_ai": 800,
    "reworked_outputs": 80,
    "exceptions": 20,
    "minutes_saved_per_task": Decimal("3.50"),
    "rework_minutes_per_output": Decimal("5.00"),
    "quality_score": Decimal("85.00"),
    "backlog": 100,
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_adding_to_the_same_month_are_both_counted(owner):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    WeeklyReview.objects.create(use_case=uc, week="2026-W40", **FIGURES)  # the row exists
    first_inserted = threading.Event()
    errors = []

    def first():  # adds its week and holds the transaction open a moment
        try:
            with transaction.atomic():
                WeeklyReview.objects.create(use_case=uc, week="2026-W41", **FIGURES)
                first_inserted.set()
                time.sleep(0.5)  # the second's upsert waits for this one's row lock
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            first_inserted.set()
            connections.close_all()

    def second():  # adds its week to the same month while the first is still open
        try:
            assert first_inserted.wait(timeout=10)
            with transaction.atomic():
                WeeklyReview.objects.create(use_case=uc, week="2026-W42", **FIGURES)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    (summed,) = WeeklyMonthSum.objects.filter(use_case=uc)
    assert summed.month_start == datetime.date(2026, 10, 1)
    assert summed.review_count == 3
    assert summed.ai_minutes_saved == 3 * 800 * Decimal("3.50")
    assert stored_sums() == sums_from_reviews()


def test_the_migration_installed_the_sql_generated_from_the_weekly_quantities():
    """The latest migration froze the trigger and back-fill SQL; a change of
    ``economics.WEEKLY_QUANTITIES``, ``WEIGHTS`` or ``WEEKLY_AMOUNTS`` (or of the model's
    columns) needs a migration installing the new SQL, and this fails until there is one."""
    assert LATEST.TRIGGER_SQL.strip() == month_sums.trigger_sql()
    assert LATEST.BACKFILL_SQL.strip() == month_sums.backfill_sql()
    assert LATEST.DROP_SQL.strip() == month_sums.drop_sql()
    columns = {f.name for f in WeeklyMonthSum._meta.concrete_fields}
    assert set(economics.WEEKLY_QUANTITIES) <= columns
    assert set(month_sums.CENTS.values()) <= columns
    assert list(month_sums.CENTS) == list(economics.WEEKLY_AMOUNTS)
    scale = {
        f.name: getattr(f, "decimal_places", 0) or 0 for f in WeeklyReview._meta.concrete_fields
    }
    for name, factors in economics.WEEKLY_QUANTITIES.items():  # exact: the product's scale
        assert WeeklyMonthSum._meta.get_field(name).decimal_places >= sum(scale[f] for f in factors)


def test_the_cents_columns_hold_the_widest_atom():
    """The largest atom the columns allow (every quantity and weight at its limit) fits the
    cents' columns: integer digits of the product of the widest quantity's and the weights'
    columns, ÷ 60, × 100."""
    bc = {f.name: f for f in BusinessCase._meta.concrete_fields}
    digits = []
    for term in economics.WEIGHTS.values():
        if not term.is_weekly:
            continue
        quantity = WeeklyMonthSum._meta.get_field(term.quantity)
        integer = quantity.max_digits - quantity.decimal_places
        integer += sum(bc[f].max_digits - bc[f].decimal_places for f in term.factors)
        digits.append(integer + 1)  # a form adds two terms: one more digit; × 100 ÷ 60 < 2 more
    for column in month_sums.CENTS.values():
        field = WeeklyMonthSum._meta.get_field(column)
        assert field.decimal_places == 0
        assert field.max_digits >= max(digits) + 2


def test_the_migration_back_fills_the_sums(owner):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    BusinessCase.objects.filter(use_case=uc).update(hourly_cost=Decimal("61.17"))
    for week in ("2026-W39", "2026-W40", "2026-W44"):
        WeeklyReview.objects.create(use_case=uc, week=week, **FIGURES)
    expected = stored_sums()
    cents = stored_cents()
    WeeklyMonthSum.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(LATEST.BACKFILL_SQL)
    assert stored_sums() == expected == sums_from_reviews()
    assert stored_cents() == cents == cents_from_the_engine()
    assert any(value for row in cents.values() for value in row.values())


@pytest.mark.parametrize(
    ("share", "minutes_saved", "gross", "gap"),
    [
        # 0.30 / 60 = 0.005: a half cent, rounded away from zero; the gap 0.30 × (1 − 2) / 60
        (Decimal(2), Decimal("0.30"), Decimal("0.01"), Decimal("-0.01")),
        # 0.29 / 60 = 0.00483…: 0 cents; the gap −0.29 / 60: −0 cents
        (Decimal(2), Decimal("0.29"), Decimal("0.00"), Decimal("0.00")),
        # 0.90 / 60 = 0.015 → 0.02; × (1 − 1.5) = −0.45 / 60 = −0.0075 → −0.01
        (Decimal("1.5"), Decimal("0.90"), Decimal("0.02"), Decimal("-0.01")),
    ],
)
def test_half_cent_ties_round_away_from_zero_both_ways(owner, share, minutes_saved, gross, gap):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    BusinessCase.objects.filter(use_case=uc).update(
        hourly_cost=Decimal("1.00"), reclaimable_share=share
    )
    figures = FIGURES | {"tasks_with_ai": 1, "minutes_saved_per_task": minutes_saved}
    WeeklyReview.objects.create(use_case=uc, week="2026-W40", **figures)
    (row,) = stored_cents().values()
    assert row["cents_gross_efficiency"] == gross * 100
    assert row["cents_translation_gap"] == gap * 100
    assert stored_cents() == cents_from_the_engine()


def test_a_use_case_without_a_business_case_weighs_zero_and_truncate_keeps_it(owner):
    needs_postgresql()
    uc = make_use_case(owner=owner)
    BusinessCase.objects.filter(use_case=uc).update(hourly_cost=Decimal("80.00"))
    WeeklyReview.objects.create(use_case=uc, week="2026-W40", **FIGURES)
    assert any(stored_cents()[(uc.pk, datetime.date(2026, 10, 1))].values())
    BusinessCase.objects.filter(use_case=uc).delete()
    assert not any(stored_cents()[(uc.pk, datetime.date(2026, 10, 1))].values())
    BusinessCase.objects.create(use_case=uc, hourly_cost=Decimal("80.00"))
    assert stored_cents() == cents_from_the_engine()
    assert any(stored_cents()[(uc.pk, datetime.date(2026, 10, 1))].values())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending checks
        cursor.execute(f"TRUNCATE {month_sums.BUSINESS_CASES_TABLE} CASCADE")
    assert not any(stored_cents()[(uc.pk, datetime.date(2026, 10, 1))].values())
    assert stored_cents() == cents_from_the_engine()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("business_case_first", [True, False])
@pytest.mark.parametrize("write", ["create", "correct", "new_business_case"])
def test_a_business_case_changed_while_a_review_is_written_leaves_the_right_cents(
    owner, business_case_first, write
):
    """Two transactions at once on one use case: one changes its business case (or creates
    it), the other adds a review to a month that has one (or corrects one); whichever writes
    first holds its transaction open a moment. The stored cents are the engine's with the
    committed review and business case, both ways round."""
    needs_postgresql()
    uc = make_use_case(owner=owner)
    if write == "new_business_case":
        BusinessCase.objects.filter(use_case=uc).delete()
    else:
        BusinessCase.objects.filter(use_case=uc).update(hourly_cost=Decimal("50.00"))
    existing = WeeklyReview.objects.create(use_case=uc, week="2026-W40", **FIGURES)
    first_wrote = threading.Event()
    errors = []

    def change_business_case():
        if write == "new_business_case":
            BusinessCase.objects.create(
                use_case=uc, hourly_cost=Decimal("90.00"), reclaimable_share=Decimal("0.5")
            )
        else:
            BusinessCase.objects.filter(use_case=uc).update(
                hourly_cost=Decimal("90.00"), reclaimable_share=Decimal("0.5")
            )

    def add_review():
        if write == "correct":
            WeeklyReview.objects.filter(pk=existing.pk).update(
                tasks_with_ai=900, minutes_saved_per_task=Decimal("7.25")
            )
        else:
            WeeklyReview.objects.create(use_case=uc, week="2026-W41", **FIGURES)

    first_write, second_write = (
        (change_business_case, add_review)
        if business_case_first
        else (add_review, change_business_case)
    )

    def first():  # writes and holds its transaction open a moment
        try:
            with transaction.atomic():
                first_write()
                first_wrote.set()
                time.sleep(0.5)  # the second waits for this one's locks
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            first_wrote.set()
            connections.close_all()

    def second():
        try:
            assert first_wrote.wait(timeout=10)
            with transaction.atomic():
                second_write()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert BusinessCase.objects.get(use_case=uc).hourly_cost == Decimal("90.00")
    assert stored_sums() == sums_from_reviews()
    assert stored_cents() == cents_from_the_engine()
    (row,) = stored_cents().values()
    assert row["cents_translation_gap"] > 0
