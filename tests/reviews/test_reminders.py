"""reviews.reminders (and the thin tasks in reviews.tasks): who is reminded of what, when, once.

2026-W20 runs Monday 11 – Sunday 17 May 2026: reminder Monday 18 May, due Tuesday 19, overdue from
Wednesday 20, PMO told Friday 22 May. May 2026: reminder Monday 1 June, due the 5th, PMO the 8th.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews import reminders, tasks
from tests.conftest import make_use_case, make_user
from tests.reviews.cadence_helpers import add_monthly, add_weekly, frozen
from usecases.models import Notification, Stage, UseCase

D = datetime.date
SUN_17_MAY, MON_18_MAY, WED_20_MAY = D(2026, 5, 17), D(2026, 5, 18), D(2026, 5, 20)
THU_21_MAY, FRI_22_MAY, MON_25_MAY = D(2026, 5, 21), D(2026, 5, 22), D(2026, 5, 25)


def keys(**filters) -> set[tuple]:
    return set(
        Notification.objects.filter(**filters).values_list(
            "recipient__username", "kind", "subject_id", "period"
        )
    )


@pytest.fixture
def portfolio(owner, other_owner, contributor, leader, pmo, admin_user):
    """``use_case`` (owner + contributor) owes 2026-W20; ``other`` submitted it."""
    use_case = make_use_case(owner=owner, live_since=D(2026, 5, 11))
    use_case.contributors.add(contributor)
    other = make_use_case("Invoice matching", owner=other_owner, live_since=D(2026, 5, 11))
    add_weekly(other, "2026-W20")
    return use_case, other


@pytest.mark.django_db
def test_monday_reminds_owner_and_contributors_once(portfolio, django_capture_on_commit_callbacks):
    use_case, _other = portfolio
    with frozen(MON_18_MAY), django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_review_reminders.delay().get() == 2
    assert keys() == {
        ("olivia", "weekly_reminder", use_case.pk, "2026-W20"),
        ("carl", "weekly_reminder", use_case.pk, "2026-W20"),
    }
    n = Notification.objects.get(recipient__username="olivia")
    assert n.subject == use_case
    assert n.subject_type == ContentType.objects.get_for_model(UseCase)
    assert n.title == "Weekly review 2026-W20 of Customer-response assistant is due Tue 19 May 2026"
    assert n.url == f"/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W20"
    assert "Mon 11 May 2026 – Sun 17 May 2026" in n.body
    assert sorted(m.to[0] for m in mail.outbox) == ["carl@example.com", "olivia@example.com"]

    with frozen(MON_18_MAY), django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert reminders.review_reminders_send(today=MON_18_MAY) == 0
    assert callbacks == []
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


@pytest.mark.django_db
def test_nothing_before_the_week_ends(portfolio):
    assert reminders.review_reminders_send(today=SUN_17_MAY) == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_missed_monday_is_caught_up_until_the_next_reminder_day(portfolio):
    use_case, _ = portfolio
    with frozen(WED_20_MAY):
        assert tasks.send_review_reminders.delay().get() == 2
    n = Notification.objects.get(recipient__username="olivia")
    assert n.title == "Weekly review 2026-W20 of Customer-response assistant is overdue (1 d)"
    Notification.objects.all().delete()
    # From the next Monday on, W20 is the PMO's business; W21 gets its own reminder.
    assert reminders.review_reminders_send(today=MON_25_MAY) == 3  # Invoice matching too
    assert {k[3] for k in keys()} == {"2026-W21"}


@pytest.mark.django_db
def test_task_replays_a_given_day(portfolio):
    assert tasks.send_review_reminders.delay(on="2026-05-18").get() == 2
    assert tasks.send_review_reminders.delay(on="2026-05-18").get() == 0


@pytest.mark.django_db
def test_monthly_reminder_on_the_first(owner):
    use_case = make_use_case(owner=owner, live_since=D(2026, 5, 1))
    for week in ("2026-W19", "2026-W20", "2026-W21", "2026-W22"):
        add_weekly(use_case, week)
    assert reminders.review_reminders_send(today=D(2026, 5, 31)) == 0  # May has not ended
    assert reminders.review_reminders_send(today=D(2026, 6, 1)) == 1
    n = Notification.objects.get()
    assert (n.kind, n.period) == ("monthly_reminder", "2026-05")
    assert n.title == "Monthly review 2026-05 of Customer-response assistant is due Fri 5 Jun 2026"
    assert n.url == f"/reviews/use-cases/{use_case.pk}/monthly/new/?month=2026-05"
    add_monthly(use_case, "2026-05")
    assert reminders.review_reminders_send(today=D(2026, 6, 2)) == 0


@pytest.mark.django_db
def test_inactive_users_and_missing_owner(owner, contributor):
    orphan = make_use_case("Orphan", owner=None, live_since=D(2026, 5, 11))
    orphan.contributors.add(contributor)
    gone = make_user("gone", is_active=False)
    orphan.contributors.add(gone)
    retired = make_use_case("Retired owner", owner=make_user("ret", is_active=False))
    retired.live_since = D(2026, 5, 11)
    retired.save()
    assert reminders.review_reminders_send(today=MON_18_MAY) == 1
    assert keys() == {("carl", "weekly_reminder", orphan.pk, "2026-W20")}


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.PILOT, Stage.ON_HOLD, Stage.STOPPED])
def test_no_reminders_outside_review_stages(owner, stage):
    make_use_case(owner=owner, stage=stage, live_since=D(2026, 5, 11))
    assert reminders.review_reminders_send(today=MON_18_MAY) == 0
    assert reminders.overdue_alerts_send(today=FRI_22_MAY) == 0


@pytest.mark.django_db
def test_pmo_told_when_three_days_overdue(portfolio, django_capture_on_commit_callbacks):
    use_case, _ = portfolio
    second_pmo = make_user("paul", "PMO")
    make_user("pam", "PMO", is_active=False)
    assert reminders.overdue_alerts_send(today=THU_21_MAY) == 0  # 2 days overdue
    with frozen(FRI_22_MAY), django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_pmo_overdue.delay().get() == 2
    assert keys() == {
        ("pia", "weekly_overdue", use_case.pk, "2026-W20"),
        (second_pmo.username, "weekly_overdue", use_case.pk, "2026-W20"),
    }
    n = Notification.objects.get(recipient__username="pia")
    assert n.title == "Weekly review 2026-W20 of Customer-response assistant is 3 days overdue"
    assert "Value owner: Olivia Owner." in n.body
    assert n.url == "/overdue/?kind=weekly&owner=olivia"
    assert sorted(m.to[0] for m in mail.outbox) == ["paul@example.com", "pia@example.com"]
    assert reminders.overdue_alerts_send(today=FRI_22_MAY) == 0
    assert reminders.overdue_alerts_send(today=D(2026, 5, 28)) == 0  # W20 already told


@pytest.mark.django_db
def test_pmo_told_of_monthly_on_the_8th(pmo):
    use_case = make_use_case(owner=None, live_since=D(2026, 5, 1))
    reminders.overdue_alerts_send(today=D(2026, 6, 7))  # May is 2 days overdue
    assert not Notification.objects.filter(kind="monthly_overdue").exists()
    reminders.overdue_alerts_send(today=D(2026, 6, 8))
    n = Notification.objects.get(kind="monthly_overdue")
    assert (n.recipient, n.subject_id, n.period) == (pmo, use_case.pk, "2026-05")
    assert "Value owner: none (no value owner)." in n.body
    assert n.url == "/overdue/?kind=monthly&owner=%28none%29"


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_portfolio(owner, contributor, pmo):
    def run(n_use_cases: int, day: datetime.date) -> int:
        Notification.objects.all().delete()
        UseCase.objects.all().delete()
        for i in range(n_use_cases):
            uc = make_use_case(f"UC {i}", owner=owner, live_since=D(2026, 1, 5))
            uc.contributors.add(contributor)
        with CaptureQueriesContext(connection) as ctx:
            reminders.review_reminders_send(today=day)
            reminders.overdue_alerts_send(today=day)
        assert Notification.objects.count() == n_use_cases * (2 * 2 + 2)
        return len(ctx.captured_queries)

    friday_after_8th = D(2026, 6, 12)  # W23 due Tue 9 June: 3 days overdue; May escalated
    assert run(1, friday_after_8th) == run(30, friday_after_8th)


@pytest.mark.django_db
def test_a_submitted_review_settles_its_reminders_and_alerts(portfolio, contributor, pmo):
    """Once the review arrives its reminders and the PMO's alert are read for everyone (the
    inbox count drops); other periods' and use cases' notifications stay unread."""
    from reviews import services

    use_case, other = portfolio
    with frozen(FRI_22_MAY):
        reminders.review_reminders_send(today=FRI_22_MAY)  # W20, caught up
        reminders.overdue_alerts_send(today=FRI_22_MAY)  # W20 is 3 days overdue
    late = Notification.objects.create(
        recipient=contributor,
        kind=reminders.WEEKLY_REMINDER,
        subject_type=ContentType.objects.get_for_model(UseCase),
        subject_id=use_case.pk,
        period="2026-W19",
        title="An older week",
    )
    settled = {n.pk for n in Notification.objects.filter(period="2026-W20")}
    assert {n.kind for n in Notification.objects.filter(pk__in=settled)} == {
        reminders.WEEKLY_REMINDER,
        reminders.WEEKLY_OVERDUE,
    }
    assert Notification.objects.filter(pk__in=settled, recipient=pmo).exists()
    with frozen(FRI_22_MAY):
        services.weekly_review_submit(
            user=contributor,
            use_case=use_case,
            week="2026-W20",
            data=dict(
                active_users=80,
                target_users=100,
                tasks_total=1000,
                tasks_with_ai=800,
                reworked_outputs=50,
                exceptions=10,
                minutes_saved_per_task="3",
                rework_minutes_per_output="5",
                quality_score="85",
                backlog=10,
            ),
        )
    assert not Notification.objects.filter(pk__in=settled, read_at__isnull=True).exists()
    late.refresh_from_db()
    assert late.read_at is None  # another week's reminder stays
    assert reminders.settle_reminders(use_case_id=other.pk, kind="weekly", period="2026-W20") == 0


@pytest.mark.django_db
def test_a_week_with_telemetry_is_reminded_as_a_draft_to_confirm(portfolio, other_owner):
    """Spans counted in 2026-W20 for ``use_case``: its reminder says the review is drafted and
    only needs confirming, and links to the drafted form; ``quiet`` (no spans that week, only the
    week before) is reminded as before."""
    from reviews.telemetry_models import TelemetryDay

    use_case, _other = portfolio
    quiet = make_use_case("Claims triage", owner=other_owner, live_since=D(2026, 5, 11))
    TelemetryDay.objects.create(use_case=use_case, day=SUN_17_MAY, spans=12, ai_calls=4)
    TelemetryDay.objects.create(use_case=quiet, day=D(2026, 5, 10), spans=9, ai_calls=3)
    with frozen(MON_18_MAY):
        reminders.review_reminders_send(today=MON_18_MAY)

    drafted = Notification.objects.get(recipient__username="olivia", subject_id=use_case.pk)
    assert drafted.title == (
        "Weekly review 2026-W20 of Customer-response assistant is drafted: "
        "confirm it by Tue 19 May 2026"
    )
    assert "is drafted from its telemetry and only needs confirming" in drafted.body
    assert "has not been submitted yet" not in drafted.body
    assert drafted.url == f"/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W20"

    plain = Notification.objects.get(subject_id=quiet.pk)
    assert plain.title == "Weekly review 2026-W20 of Claims triage is due Tue 19 May 2026"
    assert "has not been submitted yet" in plain.body
    assert "drafted" not in plain.title + plain.body
    assert plain.url == f"/reviews/use-cases/{quiet.pk}/weekly/new/?week=2026-W20"

    # Overdue, still drafted: the title says both.
    Notification.objects.all().delete()
    with frozen(WED_20_MAY):
        reminders.review_reminders_send(today=WED_20_MAY)
    late = Notification.objects.get(recipient__username="olivia", subject_id=use_case.pk)
    assert late.title.endswith("is drafted, confirm it: overdue (1 d)")


@pytest.mark.django_db
@pytest.mark.parametrize("kind, period", [("weekly", "2026-W20"), ("monthly", "2026-05")])
def test_settling_marks_read_exactly_the_rows_the_querysets_update_would(
    kind, period, owner, contributor
):
    """``settle_reminders`` runs its UPDATE as SQL: it marks read, at the current time, exactly
    the unread reminders and overdue alerts of the use case's period that the ORM's
    ``update()`` of the same filter would, and counts them; the other kinds, periods, use cases,
    subject types and the copies already read keep their ``read_at``."""
    from reviews.models import Flag

    use_case = make_use_case(owner=owner)
    other = make_use_case("Invoice matching", owner=owner)
    use_case_type = ContentType.objects.get_for_model(UseCase)
    kinds = (
        reminders.WEEKLY_REMINDER,
        reminders.WEEKLY_OVERDUE,
        reminders.MONTHLY_REMINDER,
        reminders.MONTHLY_OVERDUE,
        "flag_raised",
    )
    earlier = datetime.datetime(2026, 5, 1, 9, tzinfo=datetime.UTC)
    reader = make_user("rita")  # has read all hers already
    for recipient, read_at in ((owner, None), (contributor, None), (reader, earlier)):
        for subject_type in (use_case_type, ContentType.objects.get_for_model(Flag)):
            for subject in (use_case, other):
                for note_kind in kinds:
                    for note_period in (period, "2026-W19", "2026-04"):
                        Notification.objects.create(
                            recipient=recipient,
                            kind=note_kind,
                            subject_type=subject_type,
                            subject_id=subject.pk,
                            period=note_period,
                            title="t",
                            read_at=read_at,
                        )
    expected = set(
        Notification.objects.filter(
            kind__in=(reminders.REMINDER_KINDS[kind], reminders.OVERDUE_KINDS[kind]),
            subject_type=use_case_type,
            subject_id=use_case.pk,
            period=period,
            read_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    assert len(expected) == 4  # two kinds, two recipients
    before = dict(Notification.objects.values_list("pk", "read_at"))
    with frozen(FRI_22_MAY):
        now = timezone.now()
        assert reminders.settle_reminders(use_case_id=use_case.pk, kind=kind, period=period) == 4
    after = dict(Notification.objects.values_list("pk", "read_at"))
    assert {pk for pk in after if after[pk] != before[pk]} == expected
    assert {after[pk] for pk in expected} == {now}
