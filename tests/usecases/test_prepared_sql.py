"""``usecases.prepared_sql``: a read compiled once returns what its queryset returns, in one
statement, for any values; a build whose arguments do not reach the SQL unchanged is refused.
Every prepared read of the app is checked against its queryset here (PostgreSQL and SQLite)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews import selectors
from reviews.models import MonthlyReview, WeeklyReview
from reviews.telemetry_models import TelemetryDay, TelemetryTrace, TelemetryUser
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases.context_processors import UNREAD_COUNT
from usecases.models import Notification, UseCase
from usecases.prepared_sql import PreparedQuery
from usecases.roles import GROUP_NAMES

pytestmark = pytest.mark.django_db

SEP, OCT, NOV = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)


@pytest.fixture
def reviewed(owner):
    """Two use cases with weekly reviews over Sep–Nov (different figures) and October costs."""
    first, second = make_use_case("First", owner), make_use_case("Second", owner)
    for i, week in enumerate(("2026-W37", "2026-W41", "2026-W42", "2026-W46")):
        WeeklyReviewFactory(use_case=first, week=week, tasks_with_ai=700 + i)
        WeeklyReviewFactory(
            use_case=second, week=week, reworked_outputs=10 * i, minutes_saved_per_task="1.25"
        )
    MonthlyReviewFactory(use_case=first, month="2026-10", run_cost=Decimal("123.45"))
    MonthlyReviewFactory(use_case=second, month="2026-11", other_cost=Decimal("0.01"))
    return first, second


def test_the_per_month_sums_of_one_use_case_equal_their_querysets(reviewed):
    for use_case in reviewed:
        for start, end in ((SEP, NOV), (OCT, OCT), (NOV, NOV), (datetime.date(2025, 1, 1), SEP)):
            args = {"use_case_id": use_case.pk, "start": start, "end": end}
            for prepared in (
                selectors.ONE_USE_CASE_WEEKLY_SUMS,
                selectors.ONE_USE_CASE_COST_SUMS,
            ):
                expected = sorted(prepared.build(**args))
                assert sorted(prepared(**args)) == expected
    # The prepared path (one use case) and the portfolio's (IN a list) give the same totals.
    first, second = reviewed
    one = selectors.monthly_totals_and_reviewed(start=SEP, end=NOV, use_case_ids=[first.pk])
    both = selectors.monthly_totals_and_reviewed(
        start=SEP, end=NOV, use_case_ids=[first.pk, second.pk]
    )
    assert one[0] == {first.pk: both[0][first.pk]}
    assert one[1] == {pair for pair in both[1] if pair[0] == first.pk} == {(first.pk, OCT)}
    assert one[0][first.pk][OCT].run_cost == Decimal("123.45")


def test_the_page_reads_equal_their_queryset(use_case, other_use_case):
    """The use case page's ``PAGE_READS``: the running week's telemetry so far and the latest
    review months, as its queryset reads them."""
    from portfolio.use_case_page import PAGE_READS, PageReads, _page_reads, page_reads

    today = datetime.date(2026, 11, 25)  # 2026-W48: Mon 23 – Sun 29 November
    monday, sunday = datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)
    args = {"use_case_id": use_case.pk, "monday": monday, "sunday": sunday, "week": "2026-W48"}
    nothing = [(False, None, None, None, None, None, None)]
    assert PAGE_READS(**args) == list(_page_reads(**args)) == nothing
    assert page_reads(use_case.pk, today) == PageReads(so_far=None, latest_review_month=None)

    last = timezone.make_aware(datetime.datetime(2026, 11, 24, 16, 5, 7))
    for day, spans in ((datetime.date(2026, 11, 22), 5), (monday, 7), (monday.replace(day=24), 9)):
        TelemetryDay.objects.create(use_case=use_case, day=day, spans=spans, last_span_at=last)
    TelemetryDay.objects.create(use_case=other_use_case, day=monday, spans=100)
    for i, day in enumerate((monday, sunday, datetime.date(2026, 11, 30))):
        TelemetryTrace.objects.create(use_case=use_case, trace_id=f"{i:032x}", day=day)
    for i, week in enumerate(("2026-W48", "2026-W48", "2026-W47")):
        TelemetryUser.objects.create(use_case=use_case, week=week, user_hash=f"{i:064x}")
    WeeklyReviewFactory(use_case=use_case, week="2026-W41")
    WeeklyReviewFactory(use_case=use_case, week="2026-W37")
    MonthlyReviewFactory(use_case=other_use_case, month="2026-09")

    expected = [(True, 16, last, 2, 2, OCT, None)]
    assert PAGE_READS(**args) == list(_page_reads(**args)) == expected
    reads = page_reads(use_case.pk, today)
    so_far = reads.so_far
    assert (so_far.week, so_far.monday, so_far.sunday, so_far.day_of_week) == (
        "2026-W48",
        monday,
        sunday,
        3,
    )
    assert (so_far.spans, so_far.last_span_at, so_far.traces, so_far.active_users) == (
        16,
        last,
        2,
        2,
    )
    assert reads.latest_review_month == OCT
    other = {**args, "use_case_id": other_use_case.pk}
    assert PAGE_READS(**other) == list(_page_reads(**other))
    assert PAGE_READS(**other) == [(True, 100, None, None, None, None, SEP)]


def test_group_names_and_unread_count_equal_their_querysets(owner, leader, use_case):
    pmo_group, _ = Group.objects.get_or_create(name="PMO")
    leader.groups.add(pmo_group)
    for user in (owner, leader):
        assert sorted(GROUP_NAMES(user_id=user.pk)) == sorted(
            (name,) for name in user.groups.values_list("name", flat=True)
        )
    assert sorted(name for (name,) in GROUP_NAMES(user_id=leader.pk)) == ["Leadership", "PMO"]

    assert UNREAD_COUNT(user_id=owner.pk) == []  # no row: none unread
    for i in range(3):
        Notification.objects.create(recipient=owner, kind="k", subject=use_case, period=f"p{i}")
    Notification.objects.filter(period="p0").update(read_at=timezone.now())
    Notification.objects.create(recipient=leader, kind="k", subject=use_case, period="p9")
    expected = Notification.objects.filter(recipient=owner, read_at__isnull=True).count()
    assert UNREAD_COUNT(user_id=owner.pk) == [(expected,)] == [(2,)]


def test_my_work_reads_a_persons_use_cases_as_their_queryset(owner, contributor, outsider):
    """My work's first read (``portfolio.mywork.MINE``): each use case the person owns or
    contributes to, once, with whether it owes reviews (a review stage and live)."""
    from portfolio.mywork import MINE, _mine

    owned = make_use_case("Owned", owner)
    both = make_use_case("Owned, contributed", owner)
    both.contributors.add(contributor, owner)
    make_use_case("Pilot", owner, stage="pilot")
    make_use_case("Not live", owner, live_since=None)
    make_use_case("Contributed", make_user("someone"), stage="scaled").contributors.add(owner)
    make_use_case("Stopped", owner, stage="stopped")
    for user in (owner, contributor, outsider):
        assert MINE(user_id=user.pk) == list(_mine(user.pk))
    mine = MINE(user_id=owner.pk)
    assert len(mine) == 6 and len({pk for pk, _ in mine}) == 6
    assert sum(owes for _, owes in mine) == 3  # owned, both, contributed
    assert MINE(user_id=contributor.pk) == [(both.pk, True)]
    assert MINE(user_id=outsider.pk) == []
    assert [pk for pk, owes in mine if owes][:2] == [owned.pk, both.pk]


def test_one_statement_per_call_and_compiled_once(owner):
    builds = []

    def build(user_id):
        builds.append(user_id)
        return UseCase.objects.filter(value_owner_id=user_id).values_list("name", "stage")

    prepared = PreparedQuery(build, user_id=int)
    make_use_case("Mine", owner)
    other = make_user("someone")
    make_use_case("Theirs", other)
    expected = list(build(owner.pk))
    with CaptureQueriesContext(connection) as captured:
        assert prepared(user_id=owner.pk) == expected == [("Mine", "rollout")]
        assert prepared(user_id=other.pk) == [("Theirs", "rollout")]
        assert prepared(user_id=-5) == []
    assert len(captured.captured_queries) == 3
    # Built once with the sentinel (compiled) besides the reference above: never per call.
    assert builds[0] == owner.pk and len(builds) == 2


def test_arguments_that_do_not_reach_the_sql_unchanged_are_refused(owner):
    make_use_case("Mine", owner)
    transformed = PreparedQuery(
        lambda pk: UseCase.objects.filter(pk=pk + 1).values_list("name"), pk=int
    )
    unused = PreparedQuery(lambda pk: UseCase.objects.values_list("name"), pk=int)
    for prepared in (transformed, unused):
        with pytest.raises(ValueError, match="does not reach the SQL"):
            prepared(pk=1)
    prefetching = PreparedQuery(
        lambda pk: UseCase.objects.filter(pk=pk).prefetch_related("contributors"), pk=int
    )
    with pytest.raises(ValueError, match="without prefetch_related"):
        prefetching(pk=1)
    as_dicts = PreparedQuery(lambda pk: UseCase.objects.filter(pk=pk).values("name"), pk=int)
    with pytest.raises(ValueError, match="values_list"):
        as_dicts(pk=1)
    with pytest.raises(TypeError, match="unsupported argument types"):
        PreparedQuery(lambda amount: None, amount=Decimal)
    prepared = PreparedQuery(lambda pk: UseCase.objects.filter(pk=pk).values_list("name"), pk=int)
    with pytest.raises(TypeError, match="expected"):
        prepared(id=1)


def test_converters_apply_as_in_values_list(owner):
    """Aggregates and dates come back as the ORM converts them (SQLite returns text and floats
    without the compiler's converters)."""
    use_case = make_use_case("Mine", owner)
    WeeklyReviewFactory(use_case=use_case, week="2026-W41", minutes_saved_per_task="2.25")
    WeeklyReviewFactory(use_case=use_case, week="2026-W42", minutes_saved_per_task="0.50")
    prepared = PreparedQuery(
        lambda use_case_id, start: (
            WeeklyReview.objects.filter(use_case_id=use_case_id, month_start__gte=start)
            .order_by()
            .values("month_start")
            .annotate(s=Sum("minutes_saved_per_task"))
            .values_list("month_start", "s")
        ),
        use_case_id=int,
        start=datetime.date,
    )
    rows = prepared(use_case_id=use_case.pk, start=SEP)
    assert rows == [(OCT, Decimal("2.75"))]
    assert type(rows[0][0]) is datetime.date and type(rows[0][1]) is Decimal
    assert MonthlyReview.objects.count() == 0


def _state(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def test_model_reads_build_the_instances_the_orm_builds(
    use_case, other_use_case, pmo, django_assert_num_queries
):
    """The use case page's flags: the same instances (fields, related objects loaded, order) as
    their querysets, for open and resolved flags, a flag without a rule and another use case's."""
    from portfolio.use_case_page import OPEN_FLAGS, RESOLVED_FLAGS
    from reviews.models import Comparison, Flag, FlagKind, Metric, StopLossRule

    rule = StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.10"),
    )
    now = timezone.now()
    for i in range(17):
        Flag.objects.create(
            use_case=other_use_case if i == 16 else use_case,
            kind=FlagKind.STOP_LOSS if i % 2 else FlagKind.EXCEPTIONS_GROWING,
            rule=rule if i % 2 else None,
            rule_key=f"rule:{i}",
            period=f"2026-W{30 + i}",
            observed_value=Decimal("0.19") if i % 3 else None,
            threshold=Decimal("0.15"),
            explanation=f"flag {i}",
            resolved_at=now - datetime.timedelta(days=i) if i > 2 else None,
            resolved_by=pmo if i > 2 and i % 2 else None,
        )
    for prepared in (OPEN_FLAGS, RESOLVED_FLAGS):
        for uc in (use_case, other_use_case):
            expected = list(prepared.build(use_case_id=uc.pk))
            with django_assert_num_queries(1):
                got = prepared(use_case_id=uc.pk)
                # select_related: no query for the rule or the user who resolved it.
                related = [(f.rule, f.resolved_by) for f in got]
            assert [_state(f) for f in got] == [_state(f) for f in expected]
            assert related == [(f.rule, f.resolved_by) for f in expected]
            assert [_state(r) for r, _ in related if r] == [
                _state(f.rule) for f in expected if f.rule
            ]
            assert all(f._state.db == "default" and not f._state.adding for f in got)
    assert len(OPEN_FLAGS(use_case_id=use_case.pk)) == 3
    assert len(RESOLVED_FLAGS(use_case_id=use_case.pk)) == 11  # of 13: shown + 1 ("more")


def test_the_page_contributors_equal_their_prefetch(use_case, other_use_case, pmo, leader):
    """``selectors.CONTRIBUTORS``: the users ``use_case_detail_queryset`` prefetches (same
    fields, by username), for a use case with several, one with none."""
    from usecases.selectors import CONTRIBUTORS, use_case_detail_queryset

    use_case.contributors.add(pmo, leader)
    for uc in (use_case, other_use_case):
        expected = list(use_case_detail_queryset().get(pk=uc.pk).contributors.all())
        got = CONTRIBUTORS(use_case_id=uc.pk)
        assert [_state(u) for u in got] == [_state(u) for u in expected]
    assert len(CONTRIBUTORS(use_case_id=use_case.pk)) == 3
    assert CONTRIBUTORS(use_case_id=other_use_case.pk) == []


def test_the_session_user_equals_model_backends(owner, pmo):
    """``sso.PasswordBackend.get_user`` (``SESSION_USER``, every request's user): what
    ``ModelBackend.get_user`` returns, for an active user, an inactive one (None), an id of
    nobody and ids no key holds."""
    from django.contrib.auth.backends import ModelBackend

    from portfolio.sso import PasswordBackend

    pmo.is_active = False
    pmo.save(update_fields=["is_active"])
    for user_id in (owner.pk, pmo.pk, pmo.pk + 1000, 0, -1, 2**31, str(owner.pk)):
        expected = ModelBackend().get_user(user_id)
        got = PasswordBackend().get_user(user_id)
        assert (got and _state(got)) == (expected and _state(expected)), user_id
    assert PasswordBackend().get_user(owner.pk) == owner
    assert PasswordBackend().get_user(pmo.pk) is None


# --- the weekly review submission's reads (issue 20) ---------------------------------------------


def test_the_submissions_use_case_read_equals_its_queryset(
    use_case, other_use_case, contributor, outsider, django_assert_num_queries
):
    """The use case with its value owner, business case and whether the user contributes: the
    same instance as the queryset's, for a contributor and not, a use case without a business
    case, and none for an id that does not exist."""
    from usecases.models import BusinessCase
    from usecases.permissions import USE_CASE_WITH_BUSINESS_CASE

    BusinessCase.objects.filter(use_case=other_use_case).delete()
    other_use_case = UseCase.objects.get(pk=other_use_case.pk)
    for uc_pk in (use_case.pk, other_use_case.pk, other_use_case.pk + 1000):
        for user in (contributor, outsider):
            args = {"pk": uc_pk, "user_id": user.pk}
            expected = list(USE_CASE_WITH_BUSINESS_CASE.build(**args))
            with django_assert_num_queries(1):
                got = USE_CASE_WITH_BUSINESS_CASE(**args)
                related = [(u.value_owner, _business_case_or_none(u)) for u in got]
            assert [_state(u) for u in got] == [_state(u) for u in expected]
            assert [u._valuegate_user_contributes for u in got] == [
                u._valuegate_user_contributes for u in expected
            ]
            assert [(_state(o), bc and _state(bc)) for o, bc in related] == [
                (_state(u.value_owner), (b := _business_case_or_none(u)) and _state(b))
                for u in expected
            ]
    assert [
        u._valuegate_user_contributes
        for u in USE_CASE_WITH_BUSINESS_CASE(pk=use_case.pk, user_id=contributor.pk)
    ] == [True]


def _business_case_or_none(use_case):
    from usecases.models import BusinessCase

    try:
        return use_case.business_case
    except BusinessCase.DoesNotExist:
        return None


def test_the_stop_loss_reads_of_a_submission_equal_their_querysets(use_case, other_use_case):
    """The rules of one use case with the default policy, the model change in effect by a
    Sunday, and the latest weeks with ``live_since`` and whether telemetry counted spans in a
    week (with spans, without, another use case's spans; limits 1, 3 and 8)."""
    from reviews import series, services
    from reviews.models import Comparison, Metric, StopLossRule
    from usecases.models import ModelChange

    StopLossRule.objects.create(
        metric=Metric.REWORK_RATE, comparison=Comparison.EXCEEDS, threshold=Decimal("0.3")
    )
    StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.QUALITY_SCORE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("80"),
    )
    StopLossRule.objects.create(
        use_case=other_use_case,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.2"),
        active=False,
    )
    for n, day in enumerate((datetime.date(2026, 9, 7), datetime.date(2026, 10, 4))):
        for label_of in ("a", "b"):
            ModelChange.objects.create(
                use_case=use_case, version_label=f"v{n}{label_of}", kind="model", effective_date=day
            )
    for i, week in enumerate(("2026-W37", "2026-W41", "2026-W42", "2026-W46")):
        WeeklyReviewFactory(use_case=use_case, week=week, tasks_with_ai=700 + i)
    TelemetryDay.objects.create(use_case=use_case, day=datetime.date(2026, 10, 13), spans=4)
    TelemetryDay.objects.create(use_case=use_case, day=datetime.date(2026, 11, 9), spans=0)
    TelemetryDay.objects.create(use_case=other_use_case, day=datetime.date(2026, 11, 10), spans=3)

    for uc in (use_case, other_use_case):
        expected = list(series.rules_of([uc.pk]))
        assert [_state(r) for r in series.RULES_OF_ONE(use_case_id=uc.pk)] == [
            _state(r) for r in expected
        ]
        for sunday in (SEP, datetime.date(2026, 9, 13), datetime.date(2026, 10, 4), NOV):
            args = {"use_case_id": uc.pk, "sunday": sunday}
            expected = list(services.CHANGE_IN_EFFECT.build(**args))
            assert [_state(c) for c in services.CHANGE_IN_EFFECT(**args)] == [
                _state(c) for c in expected
            ]
        for monday in (
            datetime.date(2026, 10, 12),  # W42: spans
            datetime.date(2026, 11, 9),  # W46: a day without spans
            datetime.date(2026, 11, 16),  # W47: none
        ):
            sunday = monday + datetime.timedelta(days=6)
            for limit in (1, 3, 8):
                prepared = series.latest_weeks_query(limit)
                args = {"use_case_id": uc.pk, "monday": monday, "sunday": sunday}
                assert prepared(**args) == list(prepared.build(**args))
    # The columns are those of ``LATEST_WEEKS_COLUMNS``, in that order.
    args = {"use_case_id": use_case.pk, "monday": datetime.date(2026, 10, 12)}
    args["sunday"] = args["monday"] + datetime.timedelta(days=6)
    rows = series.latest_weeks_query(8)(**args)
    expected = list(series.latest_weeks(**args).values(*series.LATEST_WEEKS_COLUMNS)[:8])
    assert [dict(zip(series.LATEST_WEEKS_COLUMNS, r, strict=True)) for r in rows] == expected
    assert [r[-1] for r in rows] == [True] * 4


# --- datetime arguments and the session read (issue 16) ------------------------------------------


def test_datetime_arguments_equal_their_queryset_and_naive_ones_are_refused(owner):
    """A datetime reaches the SQL as the backend adapts it (text on SQLite, in the connection's
    time zone): the prepared read answers as its queryset for moments in any time zone, to the
    microsecond, on both sides of a stored value."""
    from django.contrib.sessions.models import Session

    stored = datetime.datetime(2026, 11, 30, 22, 15, 7, 250_000, tzinfo=datetime.UTC)
    Session.objects.create(session_key="k" * 32, session_data="x", expire_date=stored)
    prepared = PreparedQuery(
        lambda now: Session.objects.filter(expire_date__gt=now).values_list("session_key"),
        now=datetime.datetime,
    )
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    tick = datetime.timedelta(microseconds=1)
    for now in (
        stored - tick,
        stored,
        stored + tick,
        stored.astimezone(berlin) - tick,  # the same moment, written in another zone
        stored.astimezone(berlin),
        datetime.datetime(2026, 12, 1, 0, 15, 7, tzinfo=berlin),  # before, by the clock after
        datetime.datetime(1999, 1, 1, tzinfo=datetime.UTC),
    ):
        assert prepared(now=now) == list(prepared.build(now=now)), now
    assert prepared(now=stored - tick) == [("k" * 32,)]
    assert prepared(now=stored) == []
    with pytest.raises(ValueError, match="aware"):
        prepared(now=datetime.datetime(2026, 11, 30, 22, 0))
    with pytest.raises(TypeError, match="must be a datetime"):
        prepared(now=datetime.date(2026, 11, 30))


def test_the_session_read_equals_djangos_database_store():
    """``portfolio.session_store`` (``SESSION_ENGINE``, read on every request): the session of a
    key as Django's database store loads it (live, expired, unknown), and the key forgotten when
    there is none."""
    from django.conf import settings
    from django.contrib.sessions.backends import db
    from django.contrib.sessions.models import Session

    from portfolio import session_store

    assert settings.SESSION_ENGINE == "portfolio.session_store"
    live = session_store.SessionStore()
    live["answer"] = 42
    live.save()
    expired = session_store.SessionStore()
    expired["answer"] = 7
    expired.set_expiry(-1)
    expired.save()
    now = timezone.now()
    for key in (live.session_key, expired.session_key, "nobody-has-this-key-123"):
        args = {"session_key": key, "now": now}
        rows = session_store.SESSION(**args)
        assert [(s.pk, s.session_data, s.expire_date) for s in rows] == [
            (s.pk, s.session_data, s.expire_date) for s in session_store.SESSION.build(**args)
        ]
        ours, djangos = session_store.SessionStore(key), db.SessionStore(key)
        assert ours.load() == djangos.load()
        assert ours.session_key == djangos.session_key
    assert session_store.SessionStore(live.session_key).load() == {"answer": 42}
    assert session_store.SessionStore(expired.session_key).load() == {}
    assert Session.objects.filter(session_key=expired.session_key).exists()
