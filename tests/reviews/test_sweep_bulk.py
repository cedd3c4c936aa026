"""The sweep's first run writes in bulk (``reviews.stoploss_effects.raise_many``, issue 20) and
writes exactly what raising the flags one use case at a time did: the same flags and their
history, the same stage changes (use case history with the contributors' copies, one
``StageTransition`` per flag naming it), the same notifications, chat deliveries and e-mails —
in a number of statements that does not grow with the number of breaching use cases."""

import dataclasses
import difflib
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews.models import Flag, FlagKind
from reviews.stoploss import Outcome, evaluate
from reviews.sweep import SWEEP_TARGET, SWEEP_TARGET_OWNED, sweep_portfolio
from reviews.sweep_candidates import candidates
from tests.conftest import make_use_case
from tests.factories import WeeklyReviewFactory
from usecases import sealed
from usecases.models import (
    ChannelDelivery,
    Notification,
    NotificationChannel,
    Stage,
    StageTransition,
    UseCase,
)

from .stoploss_helpers import (
    HEALTHY,
    TODAY,
    adoption,
    frozen_today,  # noqa: F401
    rework,
    weeks_back,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def week(use_case, label, **changes):
    """Straight to the table (an import): the save hook does not run, the sweep finds it."""
    return WeeklyReviewFactory(use_case=use_case, week=label, **{**HEALTHY, **changes})


def breaching_portfolio(n, *, owner, contributor):
    """``n`` times every kind of first-run write (nothing overdue: ``live_since`` None):

    - in rollout with a contributor, rework 19 %: a flag, returned to redesign;
    - scaled, rework 19 % and adoption 10 % in the same week: two flags, the first returns it to
      redesign, the second (planned on the row the first moved) only tells;
    - already in redesign, rework 19 %: a flag, no stage change, the owner and the PMO told;
    - no value owner and rework 19 %: the owner signal, and a move the PMO alone is told of;
    - exceptions rising four weeks in a row: an early warning (chat only);
    - a breach in a week older than the look-back: a historical flag, nothing else;
    - a healthy one: nothing."""
    for i in range(n):
        moved = make_use_case(f"Moved {i}", owner=owner, live_since=None)
        moved.contributors.add(contributor)
        week(moved, "2026-W47", **rework("0.19"))
        both = make_use_case(f"Both {i}", owner=owner, live_since=None, stage=Stage.SCALED)
        week(both, "2026-W47", **rework("0.19"), **adoption("0.10"))
        redesign = make_use_case(f"Redesign {i}", owner=owner, live_since=None)
        UseCase.objects.filter(pk=redesign.pk).update(stage=Stage.REDESIGN)
        week(redesign, "2026-W47", **rework("0.19"))
        orphan = make_use_case(f"Orphan {i}", owner=None, live_since=None)
        week(orphan, "2026-W47", **rework("0.19"))
        rising = make_use_case(f"Rising {i}", owner=owner, live_since=None)
        for label, exceptions in zip(weeks_back(4), (10, 15, 20, 25), strict=True):
            week(rising, label, exceptions=exceptions)
        old = make_use_case(f"Old {i}", owner=owner, live_since=None)
        week(old, "2026-W30", **rework("0.19"))
        healthy = make_use_case(f"Healthy {i}", owner=owner, live_since=None)
        week(healthy, "2026-W47")


@pytest.fixture
def chat(db):
    """A PMO-wide channel subscribed to every event (its sends fail: loopback is refused)."""
    return NotificationChannel.objects.create(
        kind="json",
        name="Everything",
        url_sealed=sealed.seal("https://127.0.0.1:9/hook"),
        url_hint="https://127.0.0.1:9/hook",
        events=["flag_raised", "early_warning"],
    )


def one_use_case_at_a_time() -> Outcome:
    """The path before issue 20's bulk writes: each candidate use case evaluated on its own and
    its flags raised one by one (``raise_candidate``), as the sweep's batches did."""
    outcome = Outcome()
    for pk, owner_signal in candidates(today=TODAY).items():
        with transaction.atomic():
            target = SWEEP_TARGET if owner_signal else SWEEP_TARGET_OWNED
            outcome.extend(evaluate({pk: target}, today=TODAY))
    return outcome


def records(since: dict) -> dict:
    """What the run wrote, without ids and times: rows are named by their flag's key."""
    flags = Flag.objects.filter(pk__gt=since["flag"]).select_related("use_case")
    key = {f.pk: (f.use_case.name, f.rule_key, f.period) for f in flags}

    def named(text):
        return re.sub(r"flag #(\d+)", lambda m: f"flag {key[int(m.group(1))]}", text)

    transitions = StageTransition.objects.filter(pk__gt=since["transition"])
    transition_key = {t.pk: ("transition", key[t.cause_id]) for t in transitions}

    def subject(type_id, pk):
        model = "flag" if type_id == since["flag_type"] else "transition"
        return ("flag", key[pk]) if model == "flag" else transition_key[pk]

    use_case_history = UseCase.history.filter(history_id__gt=since["use_case_history"])
    return {
        "flags": {
            (
                *key[f.pk],
                f.kind,
                f.rule_id,
                f.observed_value,
                f.threshold,
                f.explanation,
                f.triggered_by,
                f.historical,
                f.resolved_at is None,
                f.resolution_note,
            )
            for f in flags
        },
        "flag history": sorted(
            (
                key[h.id],
                h.history_type,
                h.history_user_id,
                h.history_change_reason,
                h.explanation,
                h.resolved_at is None,
            )
            for h in Flag.history.filter(id__in=key)
        ),
        "use cases": sorted(
            UseCase.objects.values_list("name", "stage", "funding_status", "scaled_on")
        ),
        "use case history": sorted(
            (
                h.name,
                h.history_type,
                h.stage,
                h.funding_status,
                h.history_user_id,
                h.history_change_reason,
                tuple(sorted(h.contributors.values_list("user_id", flat=True))),
            )
            for h in use_case_history
        ),
        "transitions": sorted(
            (
                t.use_case.name,
                t.stage_before,
                t.stage_after,
                t.funding_before,
                t.funding_after,
                t.reason,
                t.cause_kind,
                key[t.cause_id],
                named(t.cause_label),
                t.actor_id,
            )
            for t in transitions.select_related("use_case")
        ),
        "notifications": sorted(
            (
                n.recipient.username,
                n.kind,
                subject(n.subject_type_id, n.subject_id),
                n.period,
                n.title,
                n.body,
                n.url,
                n.emailed_at is not None,
            )
            for n in Notification.objects.filter(pk__gt=since["notification"]).select_related(
                "recipient"
            )
        ),
        "chat": sorted(
            (
                d.channel.name,
                d.event,
                d.kind,
                subject(d.subject_type_id, d.subject_id),
                d.period,
                d.title,
                d.body,
                d.url,
                tuple(d.use_case_ids),
            )
            for d in ChannelDelivery.objects.select_related("channel")
        ),
        "e-mails": sorted((tuple(m.to), m.subject, named(m.body)) for m in mail.outbox),
    }


def run(path, django_capture_on_commit_callbacks) -> dict:
    """``path`` on the portfolio as it is, its after-commit work (e-mails, chat) done; the
    records it wrote; then everything undone."""
    mail.outbox = []
    since = {
        "flag": Flag.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "flag_type": ContentType.objects.get_for_model(Flag).pk,
        "transition": StageTransition.objects.order_by("-pk").values_list("pk", flat=True).first()
        or 0,
        "notification": Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
        or 0,
        "use_case_history": UseCase.history.order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
        or 0,
    }
    with transaction.atomic():
        with django_capture_on_commit_callbacks(execute=True):
            path()
        written = records(since)
        transaction.set_rollback(True)
    return written


def test_the_bulk_first_run_writes_what_one_use_case_at_a_time_wrote(
    owner, pmo, contributor, chat, django_capture_on_commit_callbacks
):
    breaching_portfolio(2, owner=owner, contributor=contributor)
    before = run(one_use_case_at_a_time, django_capture_on_commit_callbacks)
    bulk = run(lambda: sweep_portfolio(today=TODAY), django_capture_on_commit_callbacks)
    # The portfolio raises every kind of write (so the comparison below compares something).
    assert {f[3] for f in before["flags"]} == {
        FlagKind.STOP_LOSS,
        FlagKind.NO_ACCOUNTABLE_OWNER,
        FlagKind.EXCEPTIONS_GROWING,
    }
    assert len(before["flags"]) == 2 * 8  # moved, both ×2, redesign, orphan ×2, rising, old
    assert sum(1 for f in before["flags"] if f[9]) == 2  # the old breach: historical
    assert len(before["transitions"]) == 2 * 3  # moved, both (once), orphan
    assert {h[-1] for h in before["use case history"]} == {(), (contributor.pk,)}
    assert {n[0] for n in before["notifications"]} == {owner.username, pmo.username}
    assert all(n[-1] for n in before["notifications"])  # each e-mailed
    assert len(before["e-mails"]) == len(before["notifications"]) > 0
    assert {d[1] for d in before["chat"]} == {"flag_raised", "early_warning"}
    for part in before:
        assert bulk[part] == before[part], part


def test_the_bulk_outcome_is_the_one_by_one_outcome(owner, pmo, contributor):
    breaching_portfolio(1, owner=owner, contributor=contributor)

    def summary(outcome):
        key = {f.pk: (f.use_case_id, f.rule_key, f.period) for f in outcome.flags}
        moves = {key[pk]: dataclasses.replace(plan) for pk, plan in outcome.moves.items()}
        return (
            [key[f.pk] for f in outcome.flags],
            [(f.use_case_id, f.rule_key, f.period) for f in outcome.historical],
            outcome.stage_changes,
            moves,
        )

    with transaction.atomic():
        reference = summary(one_use_case_at_a_time())
        transaction.set_rollback(True)
    with transaction.atomic():
        bulk = summary(sweep_portfolio(today=TODAY))
        transaction.set_rollback(True)
    assert len(reference[0]) == 7 and len(reference[1]) == 1 and len(reference[2]) == 3
    assert bulk == reference


def first_run_queries(n, *, owner, contributor, capture_callbacks) -> tuple[list[str], int]:
    """The statements of the first run over ``n`` × ``breaching_portfolio``, and how many
    after-commit callbacks (Celery enqueues) it registered."""
    with transaction.atomic():
        breaching_portfolio(n, owner=owner, contributor=contributor)
        with CaptureQueriesContext(connection) as ctx, capture_callbacks() as callbacks:
            outcome = sweep_portfolio(today=TODAY)
        assert len(outcome.flags) == 7 * n and len(outcome.stage_changes) == 3 * n
        transaction.set_rollback(True)
    return [q["sql"] for q in ctx.captured_queries], len(callbacks)


def shapes(queries: list[str]) -> list[str]:
    """The statements without their numbers and lists (for a readable diff)."""
    return [re.sub(r"\((?:[^()]*)\)|\d+", "…", q)[:120] for q in queries]


def test_the_first_run_queries_do_not_grow_with_the_breaching_use_cases(
    owner, pmo, contributor, chat, django_capture_on_commit_callbacks
):
    ContentType.objects.get_for_models(Flag, StageTransition)  # cached from here on
    common = dict(
        owner=owner, contributor=contributor, capture_callbacks=django_capture_on_commit_callbacks
    )
    one, one_enqueued = first_run_queries(1, **common)
    four, four_enqueued = first_run_queries(4, **common)
    assert len(four) == len(one), "\n".join(difflib.unified_diff(shapes(one), shapes(four)))
    # After commit: one e-mail task for every notification of the batch, one chat task for the
    # stop-loss events and one for the early warnings — not one per flag or per recipient.
    assert four_enqueued == one_enqueued == 3


def test_a_concurrent_flag_makes_the_bulk_raise_fall_back_to_one_by_one(owner, pmo):
    """A flag some other evaluation raised after the sweep looked (the unique constraint on
    standing flags fires in the bulk INSERT): the bulk writes are undone, the candidates raised
    one by one — the taken one not again, the others with all their effects."""
    from reviews import stoploss_effects
    from reviews.stoploss import judge, new_candidates

    first = make_use_case("First", owner=owner, live_since=None)
    second = make_use_case("Second", owner=owner, live_since=None)
    for uc in (first, second):
        week(uc, "2026-W47", **rework("0.19"))
    found = new_candidates(
        judge({first.pk: SWEEP_TARGET_OWNED, second.pk: SWEEP_TARGET_OWNED}, today=TODAY)
    )
    assert len(found) == 2
    taken = Flag.objects.create(
        use_case=first,
        kind=FlagKind.STOP_LOSS,
        rule_key=found[0].rule_key,
        period="2026-W47",
        explanation="raised meanwhile",
    )
    with transaction.atomic():
        outcome = stoploss_effects.raise_many(found, stoploss_effects.PmoRecipients())
    assert [f.use_case_id for f in outcome.flags] == [second.pk]
    assert outcome.stage_changes == [(second.pk, Stage.ROLLOUT)]
    assert list(Flag.objects.filter(use_case=first)) == [taken]
    first.refresh_from_db()
    second.refresh_from_db()
    # The taken flag's effects are not applied again; the other flag's are, once.
    assert (first.stage, second.stage) == (Stage.ROLLOUT, Stage.REDESIGN)
    assert StageTransition.objects.filter(use_case=second).count() == 1
    assert set(Notification.objects.values_list("kind", "subject_id")) == {
        ("stop_loss", outcome.flags[0].pk)
    }
    assert Notification.objects.count() == 2  # the owner and the PMO
    assert Flag.objects.get(use_case=second).observed_value == Decimal("0.1900")
