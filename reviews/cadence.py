"""The review cadence: which reviews are due, missing and overdue, for the whole portfolio at once.

The rules (DESIGN.md "Cadence, reminders, overdue") and the decisions taken where it is silent:

Weekly review of ISO week W (Monday..Sunday)
    reminder on the Monday after W (Sunday + 1), due on the Tuesday (Sunday + 2), overdue from
    the Wednesday. ``days_overdue = today - due_on``: 1 on the Wednesday; a review is overdue when
    ``days_overdue >= 1``. The PMO is told when ``days_overdue >= 3`` (the Friday after W).
Monthly review of month M
    reminder on the 1st of M + 1, due on the 5th, overdue from the 6th, PMO told from the 8th.
Which use cases owe which periods
    - only use cases whose *current* stage is rollout, scaled or redesign (one put on hold or
      stopped owes nothing any more, not even the gaps it left behind);
    - only periods that start on or after ``live_since``: a period is due when the use case was
      live all of it, so the ISO week holding ``live_since`` counts only when ``live_since`` is its
      Monday, and the month only when it is the 1st. No ``live_since``: nothing is due;
    - look-back: the last ``VALUEGATE_CADENCE_LOOKBACK_WEEKS`` (26) ISO weeks and
      ``VALUEGATE_CADENCE_LOOKBACK_MONTHS`` (6) months that have ended. Older gaps are history,
      not work to chase; the bound also keeps the query small.

How it is computed: the candidate periods are generated here in Python (at most 26 + 6, however
large the portfolio). One SQL statement finds every missing (use case, period) pair: a
``UNION ALL`` of one ``SELECT`` per candidate period over the use cases in a review stage, live by
the period's start, with ``NOT EXISTS`` a review of that period (matched by the period's first
day, ``_review_exists``). The ORM builds each kind's ``SELECT`` (``_period_select``), compiled
twice and repeated per period with the period's values (``reviews.missing_rows``). The result
reads like a lazy queryset of dicts (``MissingRows``): it counts, slices (pagination) and orders
in SQL. Everything takes ``today`` as a parameter; nothing here reads the clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, DateField, Exists, F, IntegerField, OuterRef, Value

from usecases import economics
from usecases.models import UseCase

from .missing_rows import ROW_FIELDS, MissingRows, compiled_union
from .models import MonthlyReview, WeeklyReview

WEEKLY = "weekly"
MONTHLY = "monthly"
KINDS = (WEEKLY, MONTHLY)
KIND_LABELS = {WEEKLY: "Weekly", MONTHLY: "Monthly"}

#: A weekly review is due this many days after its ISO week's Sunday (the Tuesday).
WEEKLY_DUE_AFTER_END = 2
#: A monthly review is due on this day of the next month.
MONTHLY_DUE_DAY = 5
#: The PMO is told when a review is this many days overdue.
PMO_AFTER_DAYS_OVERDUE = 3

#: ``owner`` filter value for use cases without a value owner (no username can contain "(").
NO_OWNER = "(none)"

ONE_DAY = datetime.timedelta(days=1)
#: Missing rows of at most this many listed use cases are read on a prepared statement
#: (``missing_rows``): a value owner's, a review form's, a gate's. PostgreSQL's generic plan
#: for ``id = ANY($1)`` assumes a short array; more ids run as Django runs them.
PREPARED_MAX_IDS = 50


@dataclass(frozen=True)
class Period:
    """One review period (an ISO week or a calendar month) and its cadence dates."""

    kind: str
    label: str  # "2026-W47" or "2026-11"
    start: datetime.date
    end: datetime.date

    @property
    def reminder_on(self) -> datetime.date:
        """The day after the period ends: the Monday after a week, the 1st after a month."""
        return self.end + ONE_DAY

    @property
    def due_on(self) -> datetime.date:
        if self.kind == WEEKLY:
            return self.end + datetime.timedelta(days=WEEKLY_DUE_AFTER_END)
        return self.reminder_on.replace(day=MONTHLY_DUE_DAY)

    @property
    def escalate_on(self) -> datetime.date:
        """The day the PMO is told (``days_overdue`` reaches ``PMO_AFTER_DAYS_OVERDUE``)."""
        return self.due_on + datetime.timedelta(days=PMO_AFTER_DAYS_OVERDUE)

    def days_overdue(self, today: datetime.date) -> int:
        """Days past the due date: 0 on the due date, 1 the day after; negative before it."""
        return (today - self.due_on).days

    def is_overdue(self, today: datetime.date) -> bool:
        return self.days_overdue(today) >= 1

    @property
    def previous(self) -> Period:
        return (
            week_period_of(self.start - ONE_DAY)
            if self.kind == WEEKLY
            else month_period_of(self.start - ONE_DAY)
        )

    @property
    def next(self) -> Period:
        return (
            week_period_of(self.end + ONE_DAY)
            if self.kind == WEEKLY
            else month_period_of(self.end + ONE_DAY)
        )


def week_period(iso_year: int, iso_week: int) -> Period:
    monday, sunday = economics.iso_week_bounds(iso_year, iso_week)
    return Period(WEEKLY, economics.format_iso_week(iso_year, iso_week), monday, sunday)


def month_period(year: int, month: int) -> Period:
    first, last = economics.month_bounds(year, month)
    return Period(MONTHLY, economics.format_month(year, month), first, last)


def week_period_of(day: datetime.date) -> Period:
    return week_period(*economics.iso_week_of(day))


def month_period_of(day: datetime.date) -> Period:
    return month_period(day.year, day.month)


def parse_period(kind: str, label: str) -> Period:
    """``("weekly", "2026-W47")`` or ``("monthly", "2026-11")`` → Period; ValueError otherwise."""
    if kind == WEEKLY:
        return week_period(*economics.parse_iso_week(label))
    if kind == MONTHLY:
        return month_period(*economics.parse_month(label))
    raise ValueError(f"{kind!r} is not a review kind; expected one of {', '.join(KINDS)}")


def ended_periods(kind: str, *, today: datetime.date, count: int) -> list[Period]:
    """The ``count`` most recent periods of ``kind`` that ended before ``today``, newest first."""
    current = week_period_of(today) if kind == WEEKLY else month_period_of(today)
    periods = []
    period = current
    for _ in range(count):
        period = period.previous
        periods.append(period)
    return periods


def last_ended_period(kind: str, *, today: datetime.date) -> Period:
    """The last period of ``kind`` that ended before ``today``: last week, or last month."""
    return ended_periods(kind, today=today, count=1)[0]


def lookback_periods(*, today: datetime.date, kinds: Iterable[str] = KINDS) -> list[Period]:
    """Every period the cadence looks at: the configured number of ended weeks and months."""
    counts = {
        WEEKLY: settings.VALUEGATE_CADENCE_LOOKBACK_WEEKS,
        MONTHLY: settings.VALUEGATE_CADENCE_LOOKBACK_MONTHS,
    }
    return [p for kind in kinds for p in ended_periods(kind, today=today, count=counts[kind])]


def reminder_periods(*, today: datetime.date) -> list[Period]:
    """The periods whose owners and contributors are reminded today, one per kind.

    A reminder goes out on the period's reminder day (the Monday after a week, the 1st after a
    month). If the beat or the worker missed that day, it goes out at the first run after it, as
    long as that is before the next period's reminder day: at any moment exactly the last ended
    week and the last ended month are in their reminder window (once overdue, the reminder says
    so). Older gaps are not reminded again; they stay on the PMO's tracker.
    """
    return [ended_periods(kind, today=today, count=1)[0] for kind in KINDS]


def escalation_periods(*, today: datetime.date) -> list[Period]:
    """The periods the PMO is told about today, one per kind: the latest period whose escalation
    day (``PMO_AFTER_DAYS_OVERDUE`` days overdue) has come. Same catch-up rule as reminders: a
    missed day is made up until the next period reaches its escalation day."""
    periods = []
    for kind in KINDS:
        for period in ended_periods(kind, today=today, count=2):
            if period.escalate_on <= today:
                periods.append(period)
                break
    return periods


# --- missing reviews, in SQL --------------------------------------------------------------------


def _review_exists(period: Period) -> Exists:
    """A review of ``period`` for the outer use case, matched by the period's first day (the
    review's ``week_start`` / ``month_start``, set from its week or month on every save): the
    period's reviews are then one range of the ``(-week_start, use_case)`` index, which the
    planner anti-joins with the use cases in one pass (at 20,000 use cases 10 ms a period,
    against 32-39 ms for a probe per use case of ``(use_case, week)``)."""
    if period.kind == WEEKLY:
        reviews = WeeklyReview.objects.filter(use_case=OuterRef("pk"), week_start=period.start)
    else:
        reviews = MonthlyReview.objects.filter(use_case=OuterRef("pk"), month_start=period.start)
    return Exists(reviews)


def _period_values(period: Period, today: datetime.date) -> dict:
    """What one period's ``SELECT`` is built from (``missing_rows.compiled_union``)."""
    return {
        "start": period.start,
        "label": period.label,
        "due_on": period.due_on,
        "days_overdue": period.days_overdue(today),
    }


def _period_select(use_cases, period: Period, today: datetime.date):
    values = _period_values(period, today)
    return (
        use_cases.filter(live_since__lte=values["start"])
        .exclude(_review_exists(period))
        .order_by()
        .values(
            "business_unit",
            "value_owner_id",
            use_case_id=F("pk"),
            use_case_name=F("name"),
            kind=Value(period.kind, output_field=CharField()),
            period=Value(values["label"], output_field=CharField()),
            period_start=Value(values["start"], output_field=DateField()),
            due_on=Value(values["due_on"], output_field=DateField()),
            days_overdue=Value(values["days_overdue"], output_field=IntegerField()),
            owner_username=F("value_owner__username"),
            owner_first_name=F("value_owner__first_name"),
            owner_last_name=F("value_owner__last_name"),
            owner_is_active=F("value_owner__is_active"),
        )
    )


def owing_use_cases(*, owner=None, business_unit=None, use_case_ids=None):
    """The use cases that owe reviews (in a review stage, live), filtered as ``missing_reviews``
    says."""
    use_cases = UseCase.objects.reviews_due().filter(live_since__isnull=False)
    if owner == NO_OWNER:
        use_cases = use_cases.filter(value_owner__isnull=True)
    elif owner:
        use_cases = use_cases.filter(value_owner__username=owner)
    if business_unit:
        use_cases = use_cases.filter(business_unit=business_unit)
    if use_case_ids is not None:  # a list: one array, not a parameter per id (``any_of``)
        use_cases = use_cases.filter(pk__any_of=use_case_ids)
    return use_cases


def missing_reviews(
    *,
    today: datetime.date,
    periods: Iterable[Period],
    owner: str | None = None,
    business_unit: str | None = None,
    use_case_ids=None,
):
    """Every (use case, period) among ``periods`` whose review is missing, as ONE lazy statement
    of rows (``missing_rows.MissingRows``: dicts of ``ROW_FIELDS``), oldest due date first.
    ``owner`` is a username (or ``NO_OWNER``); ``use_case_ids`` a list or a queryset of ids
    (``None``: the whole portfolio)."""
    use_cases = owing_use_cases(owner=owner, business_unit=business_unit, use_case_ids=use_case_ids)
    try:
        union, params = compiled_union(
            periods,
            select=lambda period: _period_select(use_cases, period, today),
            values=lambda period: _period_values(period, today),
        )
    except EmptyResultSet:  # no use case can match (an empty list of ids)
        return MissingRows()
    few = isinstance(use_case_ids, list) and len(use_case_ids) <= PREPARED_MAX_IDS
    return MissingRows(union, params, prepared=few)


def period_to_submit(kind: str, *, use_case_id: int, today: datetime.date) -> Period:
    """The period a new review form of the use case opens on: its earliest missing period in the
    look-back (``missing_reviews``: a use case that owes reviews, periods that have ended), else
    the last ended period. One query."""
    periods = lookback_periods(today=today, kinds=[kind])
    rows = missing_reviews(today=today, periods=periods, use_case_ids=[use_case_id])
    first = next(iter(rows[:1]), None)
    if first is None:
        return last_ended_period(kind, today=today)
    return parse_period(kind, first["period"])


def overdue_reviews(
    *,
    today: datetime.date,
    kind: str | None = None,
    owner: str | None = None,
    business_unit: str | None = None,
    use_case_ids=None,
    min_days_overdue: int = 1,
):
    """Every missing review that is overdue on ``today`` (``days_overdue >= min_days_overdue``)
    within the look-back, as one lazy statement of rows (see ``missing_reviews``)."""
    periods = [
        p
        for p in lookback_periods(today=today, kinds=[kind] if kind else KINDS)
        if p.days_overdue(today) >= min_days_overdue
    ]
    return missing_reviews(
        today=today,
        periods=periods,
        owner=owner,
        business_unit=business_unit,
        use_case_ids=use_case_ids,
    )


def _grouped_counts(rows, columns: tuple[str, ...]) -> list[tuple]:
    """``SELECT columns, COUNT(*) FROM (<rows>) GROUP BY columns``: one query over the union."""
    sql, params = rows.sql_with_params(ordered=False)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with rows.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols}, COUNT(*) FROM ({sql}) missing GROUP BY {cols}",  # noqa: S608
            params,
        )
        return cursor.fetchall()


def owner_counts(grouped: Iterable[tuple]) -> list[OwnerCount]:
    """``(username, first name, last name, count)`` per value owner (username None: the use
    cases without one) as ``OwnerCount``s, most first; at the same count the named owners by
    name, then the ownerless."""
    counts = [
        OwnerCount(username=username or "", name=_full_name(first, last) or username or "", count=n)
        for username, first, last, n in grouped
    ]
    return sorted(counts, key=lambda c: (-c.count, not c.username, c.name.lower()))


@dataclass(frozen=True)
class OwnerSummary:
    """``owner_counts`` cut for a page: ``shown`` (the ``limit`` owners with the most, in
    order, and the use cases without a value owner wherever they fall: nobody accountable is
    the PMO's first concern) and the rest summed (``more_owners`` owners, ``more_overdue``
    reviews between them), so the column still adds up to ``total``, every row counted."""

    shown: list[OwnerCount]
    more_owners: int
    more_overdue: int
    total: int


def owner_summary(counts: list[OwnerCount], *, limit: int) -> OwnerSummary:
    shown: list[OwnerCount] = []
    more: list[OwnerCount] = []
    named = 0
    for count in counts:
        if count.username and named == limit:
            more.append(count)
            continue
        named += bool(count.username)
        shown.append(count)
    more_overdue = sum(c.count for c in more)
    return OwnerSummary(shown, len(more), more_overdue, sum(c.count for c in shown) + more_overdue)


def overdue_count_by_use_case(*, today: datetime.date, use_case_ids=None) -> dict[int, int]:
    """``{use_case_id: number of overdue reviews}`` (use cases with none are absent). One query."""
    rows = overdue_reviews(today=today, use_case_ids=use_case_ids)
    if rows.is_empty():
        return {}
    return dict(_grouped_counts(rows, ("use_case_id",)))


# --- rows as objects ----------------------------------------------------------------------------


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


@dataclass(frozen=True)
class OwnerCount:
    username: str  # "" for use cases without a value owner
    name: str
    count: int

    @property
    def filter_value(self) -> str:
        return self.username or NO_OWNER


@dataclass(frozen=True)
class MissingReview:
    use_case_id: int
    use_case_name: str
    business_unit: str
    kind: str
    period: str
    period_start: datetime.date
    due_on: datetime.date
    days_overdue: int
    value_owner_id: int | None
    owner_username: str | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_is_active: bool | None

    @classmethod
    def from_row(cls, row: Mapping) -> MissingReview:
        return cls(**{name: row[name] for name in ROW_FIELDS})

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def owner_name(self) -> str:
        """The value owner's full name (or username); "" when the use case has none."""
        return _full_name(self.owner_first_name, self.owner_last_name) or self.owner_username or ""


# --- filters shared by the tracker page and the API ---------------------------------------------


@dataclass(frozen=True)
class OverdueFilter:
    owner: str = ""
    business_unit: str = ""
    kind: str = ""

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[OverdueFilter, dict[str, list[str]]]:
        """Read ``owner``, ``business_unit`` and ``kind`` from query parameters; an invalid value
        is left out of the filter and reported as ``{field: [message]}``."""
        errors: dict[str, list[str]] = {}
        kind = (params.get("kind") or "").strip()
        if kind and kind not in KINDS:
            errors["kind"] = [f"Choose one of: {', '.join(KINDS)}."]
            kind = ""
        text = {name: (params.get(name) or "").strip() for name in ("owner", "business_unit")}
        for name, value in text.items():
            if "\x00" in value:  # PostgreSQL cannot even compare text holding a NUL character
                errors[name] = ["Null characters are not allowed."]
                text[name] = ""
        return cls(kind=kind, **text), errors

    def as_kwargs(self) -> dict:
        return {
            "owner": self.owner or None,
            "business_unit": self.business_unit or None,
            "kind": self.kind or None,
        }


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Choices for the tracker's business unit and kind filters: the units of the use cases that
    owe reviews (one query). The value owner is searched, not listed
    (``usecases.owner_search``: 2,500 owners at 20,000 use cases)."""
    due = UseCase.objects.reviews_due().filter(live_since__isnull=False).order_by()
    units = due.values_list("business_unit", flat=True).distinct()
    return {
        "business_unit": [(u, u) for u in sorted(units)],
        "kind": [(k, KIND_LABELS[k]) for k in KINDS],
    }
