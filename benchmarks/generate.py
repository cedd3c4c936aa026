"""Fill a fresh, migrated PostgreSQL database with a generated portfolio (``make bench``).

Full size (issue 9): 2,000 use cases × 104 weekly reviews and 24 monthly reviews each, with their
business cases, value owners, contributors, model/prompt changes and checklists. The reviews go
in with PostgreSQL ``COPY`` (psycopg's ``cursor.copy()``), the rest with ``bulk_create``; the
tables are analysed at the end, as autovacuum would after such a load.

The data is deterministic (``--seed``) and plausible rather than uniform noise: adoption ramps
up after go-live, backlogs shrink, a small share of use cases breaches the default stop-loss
policy at its latest week or shows an early-warning signal, so the sweep has real work to do.
Weeks end with the week before the last complete ISO week, and months with the last complete
month. The last complete week is left free for the submission load (``submission_week``: only a
week that has ended may be submitted, issue 14); from its Tuesday due date on it is the only
overdue review, nothing older is.

Run through ``scripts/bench.sh``; on its own::

    DATABASE_URL=postgres://…/valuegate_bench python -m benchmarks.generate --size small

It refuses a database whose name does not start with ``valuegate_bench`` or that already holds
use cases.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import operator
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

BENCH_DB_PREFIX = "valuegate_bench"
#: The password of every generated user (the bench logs in through the token endpoint).
BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway database
PMO_USERNAME = "bench-pmo"
BUSINESS_UNITS = (
    "Claims",
    "Customer Service",
    "Finance",
    "HR",
    "IT Operations",
    "Legal",
    "Logistics",
    "Marketing",
    "Procurement",
    "Risk",
    "Sales",
    "Underwriting",
)
WORKFLOWS = (
    "invoice matching",
    "ticket triage",
    "contract review",
    "claims intake",
    "offer drafting",
    "knowledge search",
    "call summaries",
    "supplier onboarding",
    "fraud screening",
    "CV screening",
)


@dataclass(frozen=True)
class Size:
    use_cases: int
    weeks: int
    months: int
    owners: int
    #: Data stewards, each a contributor on every ``stewards``-th use case: the load client
    #: submits as them (one token per thread).
    stewards: int


SIZES = {
    "full": Size(use_cases=2000, weeks=104, months=24, owners=250, stewards=8),
    "small": Size(use_cases=60, weeks=16, months=5, owners=12, stewards=4),
    # Issue 20: ten times the full size (2.08 M weekly reviews), generated in under 5 minutes.
    "xl": Size(use_cases=20000, weeks=104, months=24, owners=2500, stewards=40),
}


def steward_username(index: int) -> str:
    return f"bench-steward-{index + 1:02d}"


# --- periods ------------------------------------------------------------------------------------


def week_label(monday: datetime.date) -> str:
    iso_year, iso_week, _ = monday.isocalendar()
    return f"{iso_year}-W{iso_week:02d}"


def submission_week(today: datetime.date) -> datetime.date:
    """Monday of the last complete week before ``today``: the week the load client submits
    (``benchmarks.measure``); the generated reviews end the week before."""
    return today - datetime.timedelta(days=today.weekday() + 7)


def review_weeks(today: datetime.date, count: int) -> list[datetime.date]:
    """Mondays of the ``count`` ISO weeks ending with the week before ``submission_week``."""
    last = submission_week(today) - datetime.timedelta(weeks=1)
    return [last - datetime.timedelta(weeks=count - 1 - i) for i in range(count)]


def review_months(today: datetime.date, count: int) -> list[datetime.date]:
    """First days of the ``count`` calendar months ending with the last complete month."""
    from usecases import economics

    return [economics.add_months(today, -n) for n in range(count, 0, -1)]


# --- bulk writes --------------------------------------------------------------------------------


def _column_defaults(model, now: datetime.datetime) -> list[tuple[str, str, object]]:
    """(attname, column, default) of every concrete column but the primary key; ``default`` is
    ``_REQUIRED`` where the caller must give a value."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        elif field.has_default():
            default = field.get_default()
        elif field.null:
            default = None
        else:
            default = _REQUIRED
        columns.append((field.attname, field.column, default))
    return columns


_REQUIRED = object()


def copy_rows(model, rows: Iterable[dict], *, now: datetime.datetime) -> int:
    """``COPY`` ``rows`` (dicts by attname) into ``model``'s table; missing columns take the
    field's default. Returns the number of rows.

    The table's secondary indexes, unique and foreign key constraints are dropped for the load
    and built once after it (``deferred_keys``): maintaining eight indexes and queueing a
    deferred foreign key check per row cost more than the COPY itself at 2 M rows. The rows are
    streamed: nothing holds more than one row."""
    from django.db import connection

    columns = _column_defaults(model, now)
    names = ", ".join(connection.ops.quote_name(column) for _, column, _ in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    statement = f"COPY {table} ({names}) FROM STDIN"
    required = [attname for attname, _, default in columns if default is _REQUIRED]
    with (
        deferred_keys(model._meta.db_table),
        connection.cursor() as cursor,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            values = [row.get(attname, default) for attname, _, default in columns]
            if _REQUIRED in values:
                missing = [a for a in required if a not in row]
                raise ValueError(f"{model.__name__}.{missing[0]} needs a value")
            copy.write_row(values)
            count += 1
    return count


def copy_text(value) -> str:
    """``value`` as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_lines(
    model,
    fields: tuple[str, ...],
    lines: Iterable[str],
    *,
    now: datetime.datetime,
    constants: dict | None = None,
) -> int:
    """``COPY`` into ``model``'s table lines already in COPY's text format: each line the
    values of ``fields`` (attnames), tab-separated, without the newline; every other column
    takes ``constants[attname]`` or the field's default, the same on every row. The fast path of
    the 2 M weekly reviews (``copy_rows`` adapts every value of every row in Python). Written
    in chunks of a few thousand lines; returns the number of rows."""
    from django.db import connection

    constants = constants or {}
    rest = []
    for attname, column, default in _column_defaults(model, now):
        if attname in fields:
            continue
        value = constants.get(attname, default)
        if value is _REQUIRED:
            raise ValueError(f"{model.__name__}.{attname} needs a value")
        rest.append((column, copy_text(value)))
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    columns = [by_attname[name] for name in fields] + [column for column, _ in rest]
    tail = "".join(f"\t{text}" for _, text in rest) + "\n"
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    chunk: list[str] = []
    with (
        deferred_keys(model._meta.db_table),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for line in lines:
            chunk.append(line)
            if len(chunk) == 5000:
                copy.write(tail.join(chunk) + tail)
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write(tail.join(chunk) + tail)
            count += len(chunk)
    return count


@contextlib.contextmanager
def deferred_keys(table: str):
    """Drop ``table``'s secondary indexes, its unique and its foreign key constraints, run the
    body (a bulk load), then create them again from their own definitions
    (``pg_get_indexdef``/``pg_get_constraintdef``): one sort per index and one join per foreign
    key instead of one index insertion and one queued trigger event per row. The primary key
    stays. Inside the caller's transaction: a failed load leaves the schema as it was."""
    from django.db import connection

    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # Checks still queued from earlier inserts run now: ALTER TABLE refuses a table with
        # pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
            [table],
        )
        constraints = cursor.fetchall()  # unique ones first: a foreign key may lean on one
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint k WHERE k.conrelid = i.indrelid"
            "  AND k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition, _kind in reversed(constraints):  # foreign keys first
            cursor.execute(
                f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # Index builds sort in memory (the session's default, 64 MB, spills at 2 M rows).
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition, _kind in constraints:
            cursor.execute(
                f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                f"{definition}"
            )


# --- the portfolio ------------------------------------------------------------------------------


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def fraction(value: float) -> Decimal:
    return Decimal(f"{min(max(value, 0.0), 1.0):.4f}")


@dataclass
class Plan:
    """What the generator decided for one use case (the reviews are drawn from it)."""

    pk: int
    target_users: int
    tasks_per_user: float
    minutes_saved: float
    adoption_level: float
    rework_level: float
    exception_level: float
    quality_level: float
    backlog_start: float
    change_week: int | None  # index of the week of the latest model change
    changes: list[tuple[datetime.date, int]]  # (effective date, model change pk), oldest first
    breach: str | None  # "rework" / "adoption" at the latest week
    backlog_stalls: bool
    quality_drops: bool


STAGE_WEIGHTS = (
    ("rollout", 35),
    ("scaled", 45),
    ("redesign", 8),
    ("on_hold", 5),
    ("stopped", 4),
    ("pilot", 3),
)
FUNDING_OF_STAGE = {
    "rollout": "conditional",
    "scaled": "funded",
    "redesign": "conditional",
    "on_hold": "frozen",
    "stopped": "ended",
    "pilot": "conditional",
}


def generate(
    *, size: Size, today: datetime.date, seed: int = 9, analyze: bool = True, log=print
) -> dict[str, int]:
    """Create the portfolio; return the number of rows per table. ``analyze``: VACUUM ANALYZE
    the tables afterwards (impossible inside a transaction, e.g. a test's)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from simple_history.utils import bulk_create_with_history

    from reviews.models import MonthlyReview, WeeklyMonthSum, WeeklyReview
    from usecases.models import (
        Answer,
        BusinessCase,
        ChecklistAnswer,
        ChecklistItem,
        ModelChange,
        UseCase,
    )
    from usecases.roles import PMO

    rng = random.Random(seed)
    now = datetime.datetime.now(tz=datetime.UTC)
    weeks = review_weeks(today, size.weeks)
    months = review_months(today, size.months)
    counts: dict[str, int] = {}
    User = get_user_model()

    with transaction.atomic():
        # Users: one PMO, the value owners and the data stewards; one hash for all (a hash costs
        # ~0.5 s by design).
        password = make_password(BENCH_PASSWORD)
        users = [
            User(username=PMO_USERNAME, email="pmo@bench.invalid", password=password),
            *(
                User(
                    username=f"bench-owner-{i + 1:03d}",
                    first_name="Owner",
                    last_name=f"{i + 1:03d}",
                    email=f"owner{i + 1}@bench.invalid",
                    password=password,
                )
                for i in range(size.owners)
            ),
            *(
                User(
                    username=steward_username(i),
                    email=f"steward{i + 1}@bench.invalid",
                    password=password,
                )
                for i in range(size.stewards)
            ),
        ]
        User.objects.bulk_create(users)
        pmo = User.objects.get(username=PMO_USERNAME)
        pmo.groups.add(Group.objects.get_or_create(name=PMO)[0])
        owners = list(User.objects.filter(username__startswith="bench-owner-").order_by("username"))
        stewards = list(
            User.objects.filter(username__startswith="bench-steward-").order_by("username")
        )
        counts["users"] = len(users)

        # Use cases (with their first history record, as created through the app).
        stages = [s for s, w in STAGE_WEIGHTS for _ in range(w)]
        long = size.weeks > settings.VALUEGATE_CADENCE_LOOKBACK_WEEKS + 17
        use_cases = []
        for i in range(size.use_cases):
            stage = rng.choice(stages)
            # Live by the first generated week: every week is a week in production. A longer
            # history only where it lies beyond the cadence's look-back (no older gap is overdue).
            live_since = weeks[0] - datetime.timedelta(days=rng.randrange(0, 120) if long else 0)
            scaled_on = None
            if stage == "scaled":
                scaled_on = weeks[rng.randrange(size.weeks // 4, size.weeks)]
            use_cases.append(
                UseCase(
                    name=f"UC-{i + 1:04d} {rng.choice(WORKFLOWS)}",
                    description="Generated for the benchmark.",
                    business_unit=BUSINESS_UNITS[i % len(BUSINESS_UNITS)],
                    workflow=rng.choice(WORKFLOWS),
                    stage=stage,
                    value_owner=owners[i % len(owners)],
                    target_users=rng.randrange(20, 400),
                    live_since=live_since,
                    scaled_on=scaled_on,
                    funding_status=FUNDING_OF_STAGE[stage],
                )
            )
        bulk_create_with_history(use_cases, UseCase, batch_size=1000, default_user=pmo)
        use_cases = list(UseCase.objects.order_by("pk"))
        counts["use cases"] = len(use_cases)
        through = UseCase.contributors.through
        through.objects.bulk_create(
            [
                through(usecase_id=uc.pk, user_id=stewards[i % len(stewards)].pk)
                for i, uc in enumerate(use_cases)
            ],
            batch_size=5000,
        )

        # Business cases and model/prompt changes.
        business_cases, changes, plans = [], [], {}
        for uc in use_cases:
            tasks_per_user = rng.uniform(5, 40)
            minutes = rng.uniform(4, 30)
            effort = rng.uniform(0.2, 0.5)
            business_cases.append(
                BusinessCase(
                    use_case=uc,
                    baseline_tasks_per_week=money(uc.target_users * tasks_per_user),
                    baseline_minutes_per_task=money(minutes),
                    baseline_source=rng.choice(("production", "production", "pilot")),
                    hourly_cost=money(rng.uniform(40, 95)),
                    pilot_effort_reduction=fraction(effort),
                    reclaimable_share=fraction(rng.uniform(0.3, 0.8)),
                    adoption_pessimistic=fraction(rng.uniform(0.4, 0.55)),
                    adoption_base=fraction(rng.uniform(0.6, 0.75)),
                    adoption_optimistic=fraction(rng.uniform(0.8, 0.95)),
                    planned_monthly_run_cost=money(rng.uniform(300, 4000)),
                    planned_monthly_support_cost=money(rng.uniform(200, 2500)),
                    planned_monthly_maintenance_cost=money(rng.uniform(100, 1500)),
                    one_off_integration_cost=money(rng.uniform(5000, 80000)),
                    one_off_training_cost=money(rng.uniform(1000, 20000)),
                )
            )
            change_week = None
            changes.append(
                ModelChange(
                    use_case=uc,
                    version_label="v1",
                    kind="model",
                    effective_date=uc.live_since,
                    description="Go-live model and prompt.",
                    created_by=pmo,
                )
            )
            if size.weeks >= 8 and rng.random() < 0.6:
                change_week = rng.randrange(max(2, size.weeks - 30), size.weeks - 1)
                changes.append(
                    ModelChange(
                        use_case=uc,
                        version_label="v2",
                        kind=rng.choice(("prompt", "model", "config")),
                        effective_date=weeks[change_week],
                        description="Prompt library update.",
                        created_by=pmo,
                    )
                )
            draw = rng.random()
            plans[uc.pk] = Plan(
                pk=uc.pk,
                target_users=uc.target_users,
                tasks_per_user=tasks_per_user,
                minutes_saved=minutes * effort * rng.uniform(0.6, 1.1),
                adoption_level=rng.uniform(0.68, 0.95),
                rework_level=rng.uniform(0.02, 0.11),
                exception_level=rng.uniform(0.01, 0.06),
                quality_level=rng.uniform(72, 94),
                backlog_start=rng.uniform(600, 3000),
                change_week=change_week,
                changes=[],
                breach=("rework" if draw < 0.02 else "adoption" if draw < 0.04 else None),
                backlog_stalls=rng.random() < 0.04,
                quality_drops=change_week is not None and rng.random() < 0.05,
            )
        bulk_create_with_history(business_cases, BusinessCase, batch_size=1000, default_user=pmo)
        bulk_create_with_history(changes, ModelChange, batch_size=1000, default_user=pmo)
        for change in ModelChange.objects.order_by("effective_date", "pk").values_list(
            "use_case_id", "effective_date", "pk"
        ):
            plans[change[0]].changes.append((change[1], change[2]))
        counts["business cases"] = len(business_cases)
        counts["model changes"] = len(changes)

        # Checklists: 15 answers per use case.
        items = list(ChecklistItem.values)
        answers = list(Answer.values)
        checklist = (
            {
                "use_case_id": uc.pk,
                "item": item,
                "answer": rng.choice(answers),
                "evidence": "",
                "updated_by_id": pmo.pk,
            }
            for uc in use_cases
            for item in items
        )
        counts["checklist answers"] = copy_rows(ChecklistAnswer, checklist, now=now)

        started = time.perf_counter()
        counts["weekly reviews"] = copy_lines(
            WeeklyReview,
            weekly_fields(),
            weekly_lines(plans.values(), weeks, rng=rng, stewards=stewards),
            now=now,
            constants=REVIEW_CONSTANTS | {"submitted_at": now, "updated_at": now},
        )
        counts["monthly reviews"] = copy_lines(
            MonthlyReview,
            MONTHLY_FIELDS,
            monthly_lines(plans.values(), months, rng=rng, stewards=stewards),
            now=now,
            constants=REVIEW_CONSTANTS | {"submitted_at": now, "updated_at": now},
        )
        copied = time.perf_counter() - started
        log(
            f"generate: COPY of {counts['weekly reviews']:,} weekly + "
            f"{counts['monthly reviews']:,} monthly reviews in {copied:.1f} s"
        )

    if not analyze:
        return counts
    # What autovacuum would do after such a load (the planner needs the statistics).
    with connection.cursor() as cursor:
        for model in (
            UseCase,
            BusinessCase,
            ModelChange,
            ChecklistAnswer,
            WeeklyReview,
            WeeklyMonthSum,  # filled by the weekly reviews' triggers during their COPY
            MonthlyReview,
        ):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


#: The weekly review columns the generator writes around the KPIs (the rest:
#: ``REVIEW_CONSTANTS`` and the fields' defaults).
WEEKLY_KEYS = ("use_case_id", "week", "week_start", "month_start")
WEEKLY_WHO = ("model_version_id", "submitted_by_id", "updated_by_id")


def weekly_fields() -> tuple[str, ...]:
    """The columns ``weekly_lines`` writes, in order: the keys, every KPI of the model's one list
    (``WeeklyReview.KPI_FIELDS``), the version and who. A function: the model is read after
    ``django.setup()``."""
    from reviews.models import WeeklyReview

    return (*WEEKLY_KEYS, *WeeklyReview.KPI_FIELDS, *WEEKLY_WHO)


#: The columns the monthly generator writes, in their order.
MONTHLY_FIELDS = (
    "use_case_id",
    "month",
    "month_start",
    "training_cost",
    "support_cost",
    "integration_cost",
    "run_cost",
    "maintenance_cost",
    "other_cost",
    "submitted_by_id",
    "updated_by_id",
)
REVIEW_CONSTANTS = {"notes": "", "user_barriers": "", "version": 1}  # user_barriers: weekly


def weekly_lines(
    plans: Iterable[Plan], weeks: list[datetime.date], *, rng, stewards
) -> Iterator[str]:
    """The weekly reviews, ``weekly_fields()`` of each as one COPY text line (no newline), in
    that order whatever the order below (a KPI added to the model and not given a value here is
    a ``KeyError`` naming it)."""
    from reviews.models import weekly_period_dates

    in_order = operator.itemgetter(*weekly_fields())

    periods = [
        (week_label(monday), *(d.isoformat() for d in weekly_period_dates(week_label(monday))))
        for monday in weeks
    ]
    sundays = [monday + datetime.timedelta(days=6) for monday in weeks]
    uniform, gauss = rng.uniform, rng.gauss
    last = len(weeks) - 1
    for plan in plans:
        steward = stewards[plan.pk % len(stewards)].pk
        backlog = plan.backlog_start
        change_index = 0
        target = plan.target_users
        for i, (label, week_start, month_start) in enumerate(periods):
            # Adoption ramps up over the first ten weeks, then hovers.
            ramp = min(1.0, 0.55 + 0.045 * i)
            adoption = min(0.99, plan.adoption_level * ramp + uniform(-0.03, 0.03))
            rework = max(0.0, plan.rework_level + uniform(-0.015, 0.015))
            if i == last and plan.breach == "adoption":
                adoption = uniform(0.4, 0.55)
            if i == last and plan.breach == "rework":
                rework = uniform(0.18, 0.3)
            active = max(1, round(target * adoption))
            tasks_total = max(10, round(active * plan.tasks_per_user * uniform(0.9, 1.1)))
            tasks_with_ai = round(tasks_total * uniform(0.7, 0.95))
            reworked = min(tasks_with_ai, round(tasks_with_ai * rework))
            exceptions = round(tasks_total * max(0.0, plan.exception_level + gauss(0, 0.004)))
            quality = plan.quality_level + uniform(-2, 2)
            if plan.quality_drops and plan.change_week is not None and i >= plan.change_week:
                quality -= 9
            # The backlog shrinks about 1 % a week (it stalls for the last weeks of a few).
            if not (plan.backlog_stalls and i >= last - 4):
                backlog *= uniform(0.985, 0.995)
            else:
                backlog *= 1.01
            minutes_saved = plan.minutes_saved * uniform(0.9, 1.1)
            changes = plan.changes
            while change_index + 1 < len(changes) and changes[change_index + 1][0] <= sundays[i]:
                change_index += 1
            version = changes[change_index][1] if changes else "\\N"
            rework_minutes = uniform(3, 15)
            quality = min(100.0, max(0.0, quality))
            declared = tasks_with_ai * minutes_saved / 60 * uniform(1.0, 1.3)
            values = {
                "use_case_id": plan.pk,
                "week": label,
                "week_start": week_start,
                "month_start": month_start,
                "active_users": active,
                "target_users": target,
                "tasks_total": tasks_total,
                "tasks_with_ai": tasks_with_ai,
                "reworked_outputs": reworked,
                "exceptions": exceptions,
                "minutes_saved_per_task": f"{minutes_saved:.2f}",
                "rework_minutes_per_output": f"{rework_minutes:.2f}",
                "quality_score": f"{quality:.2f}",
                "backlog": round(backlog),
                "declared_hours_saved": f"{declared:.2f}",
                "model_version_id": version,
                "submitted_by_id": steward,
                "updated_by_id": steward,
            }
            yield "\t".join(map(str, in_order(values)))


def monthly_lines(
    plans: Iterable[Plan], months: list[datetime.date], *, rng, stewards
) -> Iterator[str]:
    """The monthly reviews, ``MONTHLY_FIELDS`` of each as one COPY text line (no newline)."""
    uniform = rng.uniform
    for plan in plans:
        steward = stewards[plan.pk % len(stewards)].pk
        scale = plan.target_users / 100
        for i, month in enumerate(months):
            early = i < 3
            training = uniform(500, 4000) * scale if early else 0
            support = uniform(200, 1800) * scale
            integration = uniform(1000, 9000) if early else 0
            run = uniform(150, 1500) * scale
            maintenance = uniform(100, 1200)
            other = uniform(0, 300)
            yield (
                f"{plan.pk}\t{month.year:04d}-{month.month:02d}\t{month.isoformat()}\t"
                f"{training:.2f}\t{support:.2f}\t{integration:.2f}\t{run:.2f}\t"
                f"{maintenance:.2f}\t{other:.2f}\t{steward}\t{steward}"
            )


def check_database() -> str:
    """The bench database's name; refuse any other database or a non-empty one."""
    from django.db import connection

    from usecases.models import UseCase

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(name).startswith(BENCH_DB_PREFIX):
        raise SystemExit(
            f"generate: refusing database {name!r} ({connection.vendor}): the benchmark only "
            f"fills a PostgreSQL database named {BENCH_DB_PREFIX}*"
        )
    if UseCase.objects.exists():
        raise SystemExit(f"generate: database {name!r} already holds use cases")
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    import django

    django.setup()
    from usecases import clock

    name = check_database()
    size = SIZES[args.size]
    started = time.perf_counter()
    counts = generate(size=size, today=clock.today(), seed=args.seed)
    elapsed = time.perf_counter() - started
    rows = sum(counts.values())
    detail = ", ".join(f"{n:,} {what}" for what, n in counts.items())
    print(f"generate: {args.size} portfolio in {name}: {rows:,} rows ({detail}) in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
