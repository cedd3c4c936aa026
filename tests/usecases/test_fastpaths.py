"""The framework shortcuts of ``usecases.fastpaths`` keep the frameworks' behaviour."""

import contextlib
import datetime
import zoneinfo

import pytest
import time_machine
from django.db.models.signals import post_save, pre_save

from reviews.models import WeeklyReview
from tests.conftest import make_use_case
from usecases import fastpaths
from usecases.models import ModelChange
from usecases.roles import roles


def test_a_memo_has_a_known_name_and_is_computed_once(owner):
    calls = []
    first = fastpaths.memo(owner, "is_owner", lambda: calls.append(1) or False)
    again = fastpaths.memo(owner, "is_owner", lambda: calls.append(1) or True)
    assert (first, again, calls) == (False, False, [1])  # False is an answer, not "unknown"
    fastpaths.forget(owner, "is_owner")
    assert fastpaths.recall(owner, "is_owner") is None
    with pytest.raises(ValueError, match="unknown memo"):
        fastpaths.memo(owner, "anything", lambda: 1)


def test_roles_are_not_kept_on_an_anonymous_user():
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert roles(anonymous) is not roles(anonymous)
    assert fastpaths.recall(anonymous, "roles") is None


@pytest.mark.django_db
def test_the_history_manager_class_is_built_once_and_works(use_case, owner):
    review = WeeklyReview(use_case=use_case, week="2026-W40")
    assert type(review.history) is type(WeeklyReview(use_case=use_case).history)
    assert isinstance(review.history, fastpaths.OnceBuiltHistoryManager)
    assert WeeklyReview.history.count() == 0


@pytest.mark.django_db
def test_loaded_relations_names_only_saved_objects_that_match(use_case, owner):
    change = ModelChange(use_case=use_case, version_label="v1", kind="prompt")
    review = WeeklyReview(use_case=use_case, submitted_by=owner, model_version=change)
    assert sorted(fastpaths.loaded_relations(review)) == ["submitted_by", "use_case"]  # unsaved: no
    other = make_use_case("Other")
    review.use_case_id = other.pk  # the id no longer matches the object held
    assert fastpaths.loaded_relations(review) == ["submitted_by"]


def _flags(use_case, periods, **fields):
    from reviews.flags import flag_row
    from reviews.models import Flag, FlagKind

    flags = [
        flag_row(
            use_case_id=use_case.pk,
            kind=FlagKind.STOP_LOSS,
            rule_key="rule:1",
            period=period,
            explanation="breach",
            **fields,
        )
        for period in periods
    ]
    return Flag.objects.bulk_create(flags)


def _records(flags):
    from reviews.models import Flag

    columns = [
        f.attname
        for f in Flag.history.model.tracked_fields
        if f.attname not in ("id", "period", "raised_at")
    ]
    rows = Flag.history.filter(id__in=[f.pk for f in flags]).order_by("history_id")
    raised = dict(Flag.objects.filter(pk__in=[f.pk for f in flags]).values_list("pk", "raised_at"))
    assert all(h.raised_at == raised[h.id] for h in rows)
    return [
        (
            tuple(getattr(h, c) for c in columns),
            h.history_type,
            h.history_user_id,
            h.history_change_reason,
            h.instance.period,
        )
        for h in rows
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("stamped", ["none", "one reason", "reasons differ"])
def test_history_copied_from_the_created_rows_is_bulk_historys(use_case, pmo, stamped):
    """``bulk_history_of_created`` (one INSERT … SELECT) writes the records ``bulk_history``
    writes: every tracked value, "created", the stamped user and reason (each its own when they
    differ: then it is ``bulk_history``), in insertion order."""
    from decimal import Decimal

    from usecases.audit import stamp

    fields = dict(observed=Decimal("0.19"), threshold=Decimal("0.15"), triggered_by="sweep")
    periods = ["2026-W40", "2026-W41", "2026-W42"]
    reference = _flags(use_case, [f"{p}r" for p in periods], **fields)
    copied = _flags(use_case, periods, **fields)
    for i, (a, b) in enumerate(zip(reference, copied, strict=True)):
        if stamped != "none":
            reason = "raised" if stamped == "one reason" else f"raised {i}"
            stamp(a, reason=reason, user=pmo)
            stamp(b, reason=reason, user=pmo)
    fastpaths.bulk_history(type(reference[0]), reference, update=False)
    fastpaths.bulk_history_of_created(type(copied[0]), copied)
    expected = [(*r[:4], r[4][:-1]) for r in _records(reference)]
    assert _records(copied) == expected
    assert [r[4] for r in expected] == periods
    assert {r[2] for r in expected} == ({None} if stamped == "none" else {pmo.pk})


def _review(kind, use_case, user, **extra):
    from decimal import Decimal

    from reviews.models import MonthlyReview

    if kind == "monthly":
        costs = dict.fromkeys(MonthlyReview.COST_FIELDS, Decimal("12.50"))
        return MonthlyReview(
            use_case=use_case, month="2026-10", submitted_by=user, updated_by=user, **costs, **extra
        )
    fields = dict(
        active_users=40,
        target_users=50,
        tasks_total=500,
        tasks_with_ai=400,
        reworked_outputs=12,
        exceptions=3,
        minutes_saved_per_task=Decimal("6.50"),
        rework_minutes_per_output=Decimal("8.00"),
        quality_score=Decimal("91.25"),
        backlog=30,
        declared_hours_saved=Decimal("40.00"),
        notes="Quiet week; the «new» prompt.",
        telemetry={"measured": {"tasks_total": 500}, "changed": [], "traces": 3},
    )
    fields.update(extra)
    return WeeklyReview(
        use_case=use_case, week="2026-W44", submitted_by=user, updated_by=user, **fields
    )


def _saved(review) -> dict:
    """The row as stored and the instance as left, ids and the use case aside."""
    ignore = {"id", "use_case_id"}
    row = type(review).objects.filter(pk=review.pk).values().get()
    kept = {k: v for k, v in vars(review).items() if not k.startswith("_") and k not in ignore}
    return {
        "row": {k: v for k, v in row.items() if k not in ignore},
        "instance": kept,
        "state": (review._state.adding, review._state.db, review.pk == row["id"]),
    }


#: The moment the insert tests freeze time at (a fraction of a second: stamps compared exactly).
MOMENT = datetime.datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=zoneinfo.ZoneInfo("UTC"))


@contextlib.contextmanager
def _saves_heard(model):
    """Time frozen at ``MOMENT``; yields the list of what ``model``'s ``pre_save`` and
    ``post_save`` sent meanwhile (name, sender, instance class, arguments); the receivers are
    disconnected on the way out."""
    signals = []

    def heard(signal):
        def receiver(sender, instance, **kwargs):
            kwargs.pop("signal")
            signals.append((signal, sender, instance.__class__, sorted(kwargs.items())))

        return receiver

    pre, post = heard("pre_save"), heard("post_save")
    pre_save.connect(pre, sender=model)
    post_save.connect(post, sender=model)
    try:
        with time_machine.travel(MOMENT, tick=False):
            yield signals
    finally:
        pre_save.disconnect(pre, sender=model)
        post_save.disconnect(post, sender=model)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_insert_new_writes_what_save_writes(kind, use_case, other_use_case, owner):
    """``insert_new`` (the INSERT compiled once per connection) stores the row ``save()``
    stores, leaves the instance as ``save()`` leaves it (its id, saved, on the default
    database), sends the same signals and runs the same statements as ``save()``; the second
    insert of a model reuses the compiled SQL."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    model = type(_review(kind, use_case, owner))
    with _saves_heard(model) as signals:
        by_save = _review(kind, other_use_case, owner)
        with CaptureQueriesContext(connection) as saving:
            by_save.save()
        heard_by_save, signals[:] = list(signals), []
        by_insert = _review(kind, use_case, owner)
        by_insert.set_period_starts()  # what the model's own ``save()`` does first
        with CaptureQueriesContext(connection) as inserting:
            fastpaths.insert_new(by_insert)
        heard_by_insert, signals[:] = list(signals), []
        again = _review(kind, use_case, owner)
        setattr(again, again.period_field, "2026-W45" if kind == "weekly" else "2026-09")
        again.set_period_starts()
        fastpaths.insert_new(again)
    assert _saved(by_insert) == _saved(by_save)
    assert by_insert.pk != by_save.pk and again.pk > by_insert.pk
    assert heard_by_insert == heard_by_save
    assert [s[0] for s in heard_by_insert] == ["pre_save", "post_save"]
    # The row's INSERT, then its history record (simple-history, on post_save), as save() runs.
    tables = [model._meta.db_table, model.history.model._meta.db_table]
    for queries in (inserting, saving):
        assert [q["sql"].split('"')[1] for q in queries.captured_queries] == tables
        assert all(q["sql"].startswith("INSERT INTO") for q in queries.captured_queries)
    assert model in fastpaths._INSERTS[connections["default"]]
    assert model.objects.filter(pk=again.pk).values_list(again.period_field, flat=True).get() == (
        "2026-W45" if kind == "weekly" else "2026-09"
    )


@pytest.mark.django_db
def test_insert_new_leaves_to_save_what_it_does_not_compile(use_case, other_use_case, owner):
    """A value that is an expression, or a row that has its primary key already, is saved by
    ``save()`` itself: the same row as ``save()`` of the same instance."""
    from django.db.models import Value
    from django.db.models.functions import Upper

    by_save = _review("weekly", other_use_case, owner, notes=Upper(Value("shouted")))
    by_save.save()
    expression = _review("weekly", use_case, owner, notes=Upper(Value("shouted")))
    expression.set_period_starts()
    fastpaths.insert_new(expression)
    assert WeeklyReview.objects.get(pk=expression.pk).notes == "SHOUTED"
    assert not expression._state.adding
    with_pk = _review("weekly", use_case, owner)
    with_pk.week, with_pk.pk = "2026-W46", expression.pk + 1000
    with_pk.set_period_starts()
    fastpaths.insert_new(with_pk)
    assert WeeklyReview.objects.filter(pk=expression.pk + 1000, week="2026-W46").exists()


def _history_record(review) -> dict:
    (record,) = type(review).history.filter(id=review.pk)
    values = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}
    return {k: v for k, v in values.items() if k not in {"history_id", "id", "use_case_id"}}


def _unread_reminder(use_case, owner):
    from django.contrib.contenttypes.models import ContentType

    from usecases.models import Notification, UseCase

    return Notification.objects.create(
        recipient=owner,
        kind="weekly_reminder",
        subject_type=ContentType.objects.get_for_model(UseCase),
        subject_id=use_case.pk,
        period="2026-W44",
        title="t",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_insert_new_with_history_writes_what_its_three_steps_write(
    kind, use_case, other_use_case, owner
):
    """``insert_new_with_history`` (on PostgreSQL one statement: the INSERT, the history copy
    from its RETURNING and the other UPDATE as data-modifying WITH queries) stores the row,
    the history record and the UPDATE's rows that ``insert_new``, ``bulk_history_of_created``
    and the UPDATE store one after the other, leaves the instance the same and sends the same
    signals; SQLite runs the three statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews import reminders

    model = type(_review(kind, use_case, owner))

    def new(for_use_case):
        review = _review(kind, for_use_case, owner)
        review._history_user = owner
        review.skip_history_when_saving = True
        review.set_period_starts()
        return review

    def settle(for_use_case):
        return reminders.settle_statement(
            use_case_id=for_use_case.pk, kind="weekly", period="2026-W44"
        )

    notes = {u.pk: _unread_reminder(u, owner) for u in (use_case, other_use_case)}
    with _saves_heard(model) as signals:
        by_steps = new(other_use_case)
        fastpaths.insert_new(by_steps)
        fastpaths.bulk_history_of_created(model, [by_steps])
        with connection.cursor() as cursor:
            cursor.execute(*settle(other_use_case))
        heard_by_steps, signals[:] = list(signals), []
        by_one = new(use_case)
        with CaptureQueriesContext(connection) as one:
            fastpaths.insert_new_with_history(by_one, also=[settle(use_case)])
        heard_by_one = list(signals)
    for review in (by_steps, by_one):
        del review.skip_history_when_saving
    assert _saved(by_one) == _saved(by_steps)
    assert _history_record(by_one) == _history_record(by_steps)
    assert _history_record(by_one)["history_type"] == "+"
    assert heard_by_one == heard_by_steps
    assert [s[0] for s in heard_by_one] == ["pre_save", "post_save"]
    for note in notes.values():
        note.refresh_from_db()
    assert notes[use_case.pk].read_at == notes[other_use_case.pk].read_at == MOMENT
    verbs = [q["sql"].split(None, 1)[0] for q in one.captured_queries]
    assert verbs == (["WITH"] if connection.vendor == "postgresql" else ["INSERT"] * 2 + ["UPDATE"])


@pytest.mark.django_db
def test_insert_new_with_history_refused_writes_nothing(use_case, owner):
    """A row the unique constraint refuses raises ``IntegrityError``, and neither its history
    record nor the other UPDATE is written (one statement on PostgreSQL: all or nothing)."""
    from django.db import IntegrityError, transaction

    from reviews import reminders

    _review("weekly", use_case, owner).save()
    note = _unread_reminder(use_case, owner)
    twin = _review("weekly", use_case, owner)
    twin._history_user = owner
    twin.skip_history_when_saving = True
    twin.set_period_starts()
    settle = reminders.settle_statement(use_case_id=use_case.pk, kind="weekly", period="2026-W44")
    with pytest.raises(IntegrityError), transaction.atomic():
        fastpaths.insert_new_with_history(twin, also=[settle])
    note.refresh_from_db()
    assert note.read_at is None
    assert WeeklyReview.history.count() == 1
