"""My work: what the logged-in user should do next, per role, each part only when it concerns them.

- Value owners and contributors: the reviews of their use cases that are due (period ended, due
  date not passed) or overdue, each with a link to the form prefilled with its period; the open
  flags on their use cases, with their explanations.
- Leadership members: the agenda items of gates open for voting that still lack their vote; a
  chair also sees the items of closed gates whose decision is not recorded yet.
- The PMO (and admins): overdue reviews to chase (count, the oldest first, link to the tracker)
  and open flags to resolve.

What is due and overdue comes from ``reviews.cadence`` (one SQL statement per list). Every part
costs a fixed number of queries whatever the number of use cases, reviews or flags.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse

from reviews import cadence
from reviews.flags import visible_flags
from reviews.models import Flag
from reviews.overdue_digest import overdue_digest
from stagegates.models import Gate, GateItem, GateStatus, Vote
from usecases.models import REVIEW_STAGES, UseCase
from usecases.permissions import can_vote
from usecases.prepared_sql import PreparedQuery
from usecases.roles import roles

#: How many rows each list shows (the count says how many there are in all).
LIST_LIMIT = 25
#: How many rows of the PMO's lists (the overdue tracker and the flags page have them all).
PMO_LIST_LIMIT = 10
#: A person's use cases are given to the missing-review queries as a list up to this many
#: (``_given_ids``).
MAX_LISTED_IDS = 500
#: Value owners named in the PMO's "Per value owner" line (most overdue first); the others are
#: summed (``cadence.owner_summary``), as on the overdue tracker.
PMO_OWNERS_SHOWN = 10


@dataclass(frozen=True)
class ReviewTodo:
    """A missing review, with the link to the form prefilled with its period."""

    review: cadence.MissingReview

    @property
    def url(self) -> str:
        if self.review.kind == cadence.WEEKLY:
            base = reverse("reviews:weekly_new", args=[self.review.use_case_id])
            return f"{base}?week={self.review.period}"
        base = reverse("reviews:monthly_new", args=[self.review.use_case_id])
        return f"{base}?month={self.review.period}"

    @property
    def is_overdue(self) -> bool:
        return self.review.days_overdue >= 1

    @property
    def due_label(self) -> str:
        days = self.review.days_overdue
        if days >= 1:
            return f"{days} day{'s' if days != 1 else ''} overdue"
        if days == 0:
            return "due today"
        return "due tomorrow" if days == -1 else f"due in {-days} days"


@dataclass
class ReviewsPart:
    """The value owner's / contributor's reviews."""

    use_case_count: int
    reviewing_count: int  # in a review stage and live
    due: list[ReviewTodo]
    overdue: list[ReviewTodo]
    overdue_count: int
    next_weekly_due: datetime.date
    next_monthly_due: datetime.date
    flags: list[Flag]
    flag_count: int

    @property
    def all_in(self) -> bool:
        return not self.due and not self.overdue_count


@dataclass
class GatesPart:
    """Leadership: items to vote on, and for a chair decisions to record."""

    voting_gates: list[Gate]
    to_vote: list[GateItem]
    to_vote_count: int
    to_decide: list[GateItem]


@dataclass
class PmoPart:
    overdue: list[cadence.MissingReview]
    overdue_count: int
    per_owner: list[cadence.OwnerCount]
    more_owners: int
    more_owners_overdue: int
    escalated_count: int
    escalate_after: int
    flags: list[Flag]
    flag_count: int


@dataclass
class MyWork:
    today: datetime.date
    reviews: ReviewsPart | None = None
    gates: GatesPart | None = None
    pmo: PmoPart | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.reviews or self.gates or self.pmo)


def my_use_cases(user_id: int):
    """The use cases the user ``user_id`` is value owner of or contributor to (no join blow-up)."""
    contributes = UseCase.contributors.through.objects.filter(
        usecase_id=OuterRef("pk"), user_id=user_id
    )
    return UseCase.objects.filter(Q(value_owner_id=user_id) | Q(Exists(contributes)))


def _mine(user_id: int):
    owes_reviews = ExpressionWrapper(
        Q(stage__in=REVIEW_STAGES, live_since__isnull=False), output_field=BooleanField()
    )
    return my_use_cases(user_id).order_by("pk").values_list("pk", owes_reviews)


#: Each of a person's use cases: (id, whether it owes reviews: in a review stage and live). The
#: page's first read, compiled once per connection (``usecases.prepared_sql``); its rows are
#: the counts, and the ids given to the missing-review queries.
MINE = PreparedQuery(_mine, user_id=int)


def _given_ids(mine: list[tuple], user_id: int):
    """The ids of ``mine`` as a list when there are at most ``MAX_LISTED_IDS``: given the ids
    themselves, PostgreSQL probes each use case's periods instead of hashing every use case's
    reviews of each period, which it chose for the subquery (at 20,000 use cases: a value
    owner's My work 478 ms → 50 ms). On PostgreSQL the list is one array parameter in each of
    the look-back's 32 periods (``usecases.any_of``); on SQLite it is a parameter per id in
    each, and SQLite takes at most 32,766: more ids, and the subquery is kept."""
    if len(mine) > MAX_LISTED_IDS:
        return my_use_cases(user_id).order_by().values("pk")
    return [pk for pk, _owes in mine]


def reviews_part(user, *, today: datetime.date) -> ReviewsPart | None:
    """None when ``user`` neither owns nor contributes to a use case. Five queries otherwise
    (one of them their use cases, ``MINE``; one pass for the overdue rows and their number)."""
    mine = MINE(user_id=user.pk)
    if not mine:
        return None
    ids = _given_ids(mine, user.pk)
    periods = cadence.lookback_periods(today=today)
    not_yet_overdue = [p for p in periods if not p.is_overdue(today)]
    due = (
        cadence.missing_reviews(today=today, periods=not_yet_overdue, use_case_ids=ids)
        if not_yet_overdue
        else []
    )
    # The most recent first: the freshest periods are the easiest to report on. The rows and
    # their number in one pass (``overdue_digest``).
    overdue = overdue_digest(
        cadence.overdue_reviews(today=today, use_case_ids=ids),
        limit=LIST_LIMIT,
        order=("-due_on", "use_case_name", "kind", "use_case_id"),
    )
    flags = Flag.objects.open().filter(use_case__pk__any_of=ids).select_related("use_case")
    return ReviewsPart(
        use_case_count=len(mine),
        reviewing_count=sum(owes for _pk, owes in mine),
        due=[ReviewTodo(cadence.MissingReview.from_row(r)) for r in due[:LIST_LIMIT]],
        overdue=[ReviewTodo(cadence.MissingReview.from_row(r)) for r in overdue.rows],
        overdue_count=overdue.total,
        next_weekly_due=cadence.week_period_of(today).due_on,
        next_monthly_due=cadence.month_period_of(today).due_on,
        flags=list(flags[:LIST_LIMIT]),
        flag_count=flags.count(),
    )


def gates_part(user) -> GatesPart | None:
    """None unless ``user`` votes at gates (Leadership). Four queries."""
    if not can_vote(user):
        return None
    my_vote = Vote.objects.filter(item=OuterRef("pk"), voter=user)
    to_vote = (
        GateItem.objects.on_agenda()
        .filter(gate__status=GateStatus.VOTING)
        .exclude(Exists(my_vote))
        .select_related("gate", "use_case")
        .order_by("gate__closes_on", "use_case__name", "pk")
    )
    to_decide = (
        GateItem.objects.on_agenda()
        .filter(gate__status=GateStatus.CLOSED, gate__chair=user, decision__isnull=True)
        .select_related("gate", "use_case")
        .order_by("gate__quarter", "use_case__name", "pk")
    )
    return GatesPart(
        voting_gates=list(Gate.objects.filter(status=GateStatus.VOTING).order_by("closes_on")),
        to_vote=list(to_vote[:LIST_LIMIT]),
        to_vote_count=to_vote.count(),
        to_decide=list(to_decide[:LIST_LIMIT]),
    )


def pmo_part(user, *, today: datetime.date) -> PmoPart | None:
    """None unless ``user`` is in the PMO (or an admin). Three queries, one of them over the
    whole portfolio's missing reviews (``overdue_digest``: the first rows, the owners' counts,
    whose sum is the total, and the escalated count, in one pass)."""
    if not roles(user).is_pmo:
        return None
    overdue = overdue_digest(cadence.overdue_reviews(today=today), limit=PMO_LIST_LIMIT)
    owners = cadence.owner_summary(overdue.owners, limit=PMO_OWNERS_SHOWN)
    flags = visible_flags(user).open()
    return PmoPart(
        overdue=[cadence.MissingReview.from_row(r) for r in overdue.rows],
        overdue_count=owners.total,
        per_owner=owners.shown,
        more_owners=owners.more_owners,
        more_owners_overdue=owners.more_overdue,
        escalated_count=overdue.escalated,
        escalate_after=cadence.PMO_AFTER_DAYS_OVERDUE,
        flags=list(flags[:PMO_LIST_LIMIT]),
        flag_count=flags.count(),
    )


def my_work(user, *, today: datetime.date) -> MyWork:
    return MyWork(
        today=today,
        reviews=reviews_part(user, today=today),
        gates=gates_part(user),
        pmo=pmo_part(user, today=today),
    )
