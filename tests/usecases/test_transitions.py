"""usecases.transitions: the one service for stage/funding changes — allowed and refused moves,
the stage → funding map, the required reason, the audit record naming its cause, the value
owner's notification (once), and all-or-nothing writes."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from usecases import transitions
from usecases.models import Funding, Notification, Stage, StageTransition, TransitionCause, UseCase
from usecases.transitions import Cause, Move, Notice, TransitionRefused

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)
CAUSE = Cause(TransitionCause.GATE_DECISION, 42, "Gate 2026-Q4 decision: hold (decision #42)")


def notice_for(subject, period="2026-Q4"):
    return Notice(kind="gate_decision", subject=subject, period=period, title="Held", url="/x/")


def state(use_case):
    return UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk)


@pytest.mark.parametrize(
    ("move", "stage", "funding"),
    [
        (Move.SCALE, Stage.SCALED, Funding.FUNDED),
        (Move.REDESIGN, Stage.REDESIGN, Funding.CONDITIONAL),
        (Move.HOLD, Stage.ON_HOLD, Funding.FROZEN),
        (Move.STOP, Stage.STOPPED, Funding.ENDED),
        (Move.RETURN_TO_REDESIGN, Stage.REDESIGN, Funding.CONDITIONAL),
    ],
)
def test_plan_previews_the_funding_map_without_a_query(use_case, move, stage, funding):
    with CaptureQueriesContext(connection) as queries:
        planned = transitions.plan(use_case, move=move, reason="Because.")
    assert queries.captured_queries == []
    assert planned.allowed and planned.blocked is None
    assert (planned.stage_before, planned.funding_before) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert (planned.stage_after, planned.funding_after) == (stage, funding)
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)  # nothing written


def test_plan_sentence_says_before_and_after(use_case):
    planned = transitions.plan(use_case, move=Move.RETURN_TO_REDESIGN, reason="r")
    assert planned.sentence() == (
        "The use case moved from Rollout to Redesign; funding is now conditional."
    )


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        (Stage.PROPOSED, False),
        (Stage.PILOT, False),
        (Stage.ROLLOUT, True),
        (Stage.SCALED, True),
        (Stage.REDESIGN, False),
        (Stage.ON_HOLD, False),
        (Stage.STOPPED, False),
    ],
)
def test_stop_loss_returns_only_rollout_and_scaled_to_redesign(use_case, stage, allowed):
    UseCase.objects.filter(pk=use_case.pk).update(stage=stage, funding_status=Funding.FUNDED)
    use_case.refresh_from_db()
    planned = transitions.plan(use_case, move=Move.RETURN_TO_REDESIGN, reason="stop-loss")
    assert planned.allowed is allowed
    if allowed:
        return
    assert planned.blocked == (
        f"A use case in {Stage(stage).label.lower()} cannot return to redesign: only one in "
        "rollout or scaled can."
    )
    with pytest.raises(TransitionRefused) as refused:
        transitions.transition(
            use_case_id=use_case.pk, move=Move.RETURN_TO_REDESIGN, reason="r", cause=CAUSE
        )
    assert refused.value.message_dict == {"stage": [planned.blocked]}
    assert state(use_case) == (stage, Funding.FUNDED)
    assert not StageTransition.objects.exists()


@pytest.mark.parametrize("stage", list(Stage))
def test_gate_moves_and_pmo_edits_start_from_any_stage(use_case, stage):
    use_case.stage = stage
    for move in (Move.SCALE, Move.REDESIGN, Move.HOLD, Move.STOP, Move.EDIT):
        assert transitions.plan(use_case, move=move, reason="r", stage=None).allowed


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_written_reason_is_required(use_case, pmo, reason):
    planned = transitions.plan(use_case, move=Move.HOLD, reason=reason)
    assert (planned.blocked, planned.blocked_field) == (transitions.REASON_REQUIRED, "reason")
    history = use_case.history.count()
    with pytest.raises(ValidationError) as refused:
        transitions.transition(
            use_case_id=use_case.pk, move=Move.HOLD, reason=reason, cause=CAUSE, actor=pmo
        )
    assert refused.value.message_dict == {"reason": [transitions.REASON_REQUIRED]}
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert use_case.history.count() == history
    assert not StageTransition.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_transition_writes_stage_history_and_audit_naming_the_cause(use_case, leader, owner):
    record = transitions.transition(
        use_case_id=use_case.pk,
        move=Move.HOLD,
        reason="  Gate 2026-Q4 decision: hold  ",
        cause=CAUSE,
        actor=leader,
        notice=notice_for(use_case),
    )
    assert state(use_case) == (Stage.ON_HOLD, Funding.FROZEN)
    latest = use_case.history.order_by("-history_id").first()  # the fixture's is "later"
    assert (latest.history_user, latest.history_change_reason) == (
        leader,
        "Gate 2026-Q4 decision: hold",
    )
    stored = StageTransition.objects.get()
    assert stored == record
    assert (stored.stage_before, stored.funding_before) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert (stored.stage_after, stored.funding_after) == (Stage.ON_HOLD, Funding.FROZEN)
    assert (stored.cause_kind, stored.cause_id, stored.cause_label) == (
        "gate_decision",
        42,
        "Gate 2026-Q4 decision: hold (decision #42)",
    )
    assert (stored.actor, stored.reason, stored.at) == (leader, "Gate 2026-Q4 decision: hold", NOW)
    assert list(use_case.transitions.all()) == [stored]


def test_a_long_reason_is_kept_whole_in_the_audit_and_cut_in_the_history(use_case, pmo):
    reason = "PMO edit: " + "x" * 200
    transitions.transition(
        use_case_id=use_case.pk, move=Move.STOP, reason=reason, cause=CAUSE, actor=pmo
    )
    assert StageTransition.objects.get().reason == reason
    cut = use_case.history.first().history_change_reason
    assert len(cut) == 100 and cut.endswith("…") and reason.startswith(cut[:-1])


def test_a_rule_as_actor_leaves_the_history_user_alone(use_case):
    transitions.transition(
        use_case_id=use_case.pk, move=Move.RETURN_TO_REDESIGN, reason="stop-loss", cause=CAUSE
    )
    assert use_case.history.first().history_user is None
    assert StageTransition.objects.get().actor is None


def test_scale_sets_scaled_on_only_when_empty(use_case, leader):
    with time_machine.travel(NOW, tick=False):
        transitions.transition(
            use_case_id=use_case.pk, move=Move.SCALE, reason="r", cause=CAUSE, actor=leader
        )
    use_case.refresh_from_db()
    assert use_case.scaled_on == datetime.date(2026, 11, 25)
    UseCase.objects.filter(pk=use_case.pk).update(scaled_on=datetime.date(2026, 9, 1))
    transitions.transition(
        use_case_id=use_case.pk, move=Move.SCALE, reason="r", cause=CAUSE, actor=leader
    )
    use_case.refresh_from_db()
    assert use_case.scaled_on == datetime.date(2026, 9, 1)


def test_edit_goes_where_the_pmo_says(use_case, pmo):
    transitions.transition(
        use_case_id=use_case.pk,
        move=Move.EDIT,
        reason="PMO edit",
        cause=Cause(TransitionCause.PMO_EDIT, None, "PMO edit by pia"),
        actor=pmo,
        funding=Funding.FROZEN,
    )
    assert state(use_case) == (Stage.ROLLOUT, Funding.FROZEN)
    with pytest.raises(TypeError):
        transitions.plan(use_case, move=Move.HOLD, reason="r", stage=Stage.PILOT)


def test_value_owner_and_cc_are_notified_once(use_case, owner, pmo, leader):
    for move in (Move.HOLD, Move.STOP):  # the same notice twice: one row per recipient
        transitions.transition(
            use_case_id=use_case.pk,
            move=move,
            reason="r",
            cause=CAUSE,
            actor=leader,
            notice=notice_for(use_case),
            cc=[pmo, owner],  # the owner also as cc: still once
        )
    rows = Notification.objects.filter(kind="gate_decision")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["olivia", "pia"]
    assert StageTransition.objects.count() == 2


def test_no_notice_notifies_nobody(use_case, pmo):
    transitions.transition(use_case_id=use_case.pk, move=Move.HOLD, reason="r", cause=CAUSE)
    assert not Notification.objects.exists()


def test_a_stale_plan_is_refused(use_case, pmo):
    planned = transitions.plan(use_case, move=Move.HOLD, reason="r")
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.STOPPED)
    locked = transitions.lock(use_case.pk)
    with pytest.raises(TransitionRefused):
        transitions.apply(locked, planned, cause=CAUSE)
    assert state(use_case) == (Stage.STOPPED, Funding.CONDITIONAL)


def test_nothing_is_half_saved_when_the_notification_fails(use_case, owner, leader, monkeypatch):
    def broken_notify(**kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(transitions, "notify", broken_notify)
    history = use_case.history.count()
    with pytest.raises(RuntimeError):
        transitions.transition(
            use_case_id=use_case.pk,
            move=Move.STOP,
            reason="r",
            cause=CAUSE,
            actor=leader,
            notice=notice_for(use_case),
        )
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert use_case.history.count() == history
    assert not StageTransition.objects.exists()


def test_nothing_is_half_saved_when_the_audit_insert_fails(use_case, owner, leader):
    """A cause id the database refuses (PositiveBigIntegerField: CHECK >= 0) fails the audit
    INSERT after the use case row was updated: the update is rolled back with it."""
    history = use_case.history.count()
    with pytest.raises(IntegrityError):
        transitions.transition(
            use_case_id=use_case.pk,
            move=Move.STOP,
            reason="r",
            cause=Cause(TransitionCause.GATE_DECISION, -1, "bad"),
            actor=leader,
            notice=notice_for(use_case),
        )
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert use_case.history.count() == history
    assert not Notification.objects.exists()


@pytest.fixture
def guard_refusing_edits():
    """A guard registered like an app's ``ready()`` does, removed afterwards."""
    seen = []

    def guard(use_case, planned):
        seen.append(planned.move)
        return "Not while the moon is full."

    transitions.register_guard(guard)
    transitions.register_guard(guard)  # once, however often
    yield seen
    transitions._GUARDS.remove(guard)


def test_a_registered_guard_refuses_a_pmo_edit_at_stage(use_case, pmo, guard_refusing_edits):
    with pytest.raises(TransitionRefused) as excinfo:
        transitions.transition(
            use_case_id=use_case.pk,
            move=Move.EDIT,
            reason="Paused.",
            cause=Cause(TransitionCause.PMO_EDIT, None, "PMO edit"),
            actor=pmo,
            stage=Stage.ON_HOLD,
        )
    assert excinfo.value.message_dict == {"stage": ["Not while the moon is full."]}
    assert guard_refusing_edits == [Move.EDIT]
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert not StageTransition.objects.exists()


@pytest.mark.parametrize("move", [Move.HOLD, Move.RETURN_TO_REDESIGN])
def test_gate_moves_and_the_stop_loss_are_not_guarded(use_case, move, guard_refusing_edits):
    transitions.transition(use_case_id=use_case.pk, move=move, reason="r", cause=CAUSE)
    assert guard_refusing_edits == []
    assert StageTransition.objects.count() == 1


def test_an_edit_that_changes_nothing_is_not_judged(use_case, guard_refusing_edits):
    planned = transitions.plan(use_case, move=Move.EDIT, reason="r", stage=use_case.stage)
    assert transitions.refusals(use_case, planned) == []
    assert guard_refusing_edits == []


def test_a_notice_without_subject_is_about_the_transition_record(use_case, owner, pmo):
    record = transitions.transition(
        use_case_id=use_case.pk,
        move=Move.EDIT,
        reason="Paused.",
        cause=Cause(TransitionCause.PMO_EDIT, None, "PMO edit"),
        actor=pmo,
        stage=Stage.ON_HOLD,
        notice=Notice(kind="stage_edit", subject=None, period="", title="Paused"),
    )
    [note] = Notification.objects.all()
    assert (note.recipient, note.subject) == (owner, record)


# --- many use cases at once (the stop-loss sweep, issue 20) --------------------------------------


def test_apply_many_writes_each_change_as_apply_would(use_case, other_use_case, owner, pmo):
    """Two use cases, one of them asked twice (the second plan sees the first's move and is
    refused, as ``apply`` one after the other would): per allowed change the stage, a history
    record stamped with its reason (with the contributors' copy), a ``StageTransition`` naming
    its own cause, the notice to the value owner and the cc'd PMO."""
    UseCase.objects.filter(pk=other_use_case.pk).update(stage=Stage.SCALED)
    locked = transitions.lock_many([other_use_case.pk, use_case.pk, use_case.pk])
    assert list(locked) == sorted([use_case.pk, other_use_case.pk])
    first, again, other = transitions.plan_many(
        [
            (locked[use_case.pk], Move.RETURN_TO_REDESIGN, "stop-loss: rework"),
            (locked[use_case.pk], Move.RETURN_TO_REDESIGN, "stop-loss: adoption"),
            (locked[other_use_case.pk], Move.RETURN_TO_REDESIGN, "stop-loss: quality"),
        ]
    )
    assert (first.allowed, again.allowed, other.allowed) == (True, False, True)
    assert (other.stage_before, other.funding_before) == (Stage.SCALED, Funding.CONDITIONAL)
    causes = [Cause(TransitionCause.STOP_LOSS, pk, f"stop-loss flag #{pk}") for pk in (7, 8)]
    with time_machine.travel(NOW, tick=False):
        records = transitions.apply_many(
            [
                transitions.Step(locked[use_case.pk], first, causes[0], notice_for(None, "W1")),
                transitions.Step(locked[other_use_case.pk], other, causes[1], None),
            ],
            cc=[pmo],
        )
    assert [state(use_case), state(other_use_case)] == [(Stage.REDESIGN, Funding.CONDITIONAL)] * 2
    assert list(StageTransition.objects.order_by("pk")) == records
    assert [(r.use_case_id, r.cause_id, r.cause_label, r.reason, r.at) for r in records] == [
        (use_case.pk, 7, "stop-loss flag #7", "stop-loss: rework", NOW),
        (other_use_case.pk, 8, "stop-loss flag #8", "stop-loss: quality", NOW),
    ]
    for uc, reason in ((use_case, "stop-loss: rework"), (other_use_case, "stop-loss: quality")):
        latest = uc.history.order_by("-history_id").first()
        assert (latest.history_type, latest.stage, latest.history_change_reason) == (
            "~",
            Stage.REDESIGN,
            reason,
        )
        assert list(latest.contributors.values_list("user_id", flat=True)) == list(
            uc.contributors.values_list("pk", flat=True)
        )
    assert use_case.contributors.exists()  # the fixture's contributor: copied above
    told = Notification.objects.values_list("recipient", "subject_id", "period")
    assert sorted(told) == sorted([(owner.pk, records[0].pk, "W1"), (pmo.pk, records[0].pk, "W1")])


def test_apply_many_refuses_before_writing_anything(use_case, other_use_case):
    UseCase.objects.filter(pk=other_use_case.pk).update(stage=Stage.ON_HOLD)
    locked = transitions.lock_many([use_case.pk, other_use_case.pk])
    allowed, refused = transitions.plan_many(
        [
            (locked[use_case.pk], Move.RETURN_TO_REDESIGN, "stop-loss"),
            (locked[other_use_case.pk], Move.RETURN_TO_REDESIGN, "stop-loss"),
        ]
    )
    with pytest.raises(TransitionRefused):
        transitions.apply_many(
            [
                transitions.Step(locked[use_case.pk], allowed, CAUSE),
                transitions.Step(locked[other_use_case.pk], refused, CAUSE),
            ]
        )
    assert state(use_case) == (Stage.ROLLOUT, Funding.CONDITIONAL)
    assert not StageTransition.objects.exists()


def test_apply_many_queries_do_not_grow_with_the_use_cases(owner, pmo, contributor):
    from tests.conftest import make_use_case

    def run(n):
        with transaction.atomic():
            ids = []
            for i in range(n):
                uc = make_use_case(f"Many {n}-{i}", owner=owner)
                uc.contributors.add(contributor)
                ids.append(uc.pk)
            with CaptureQueriesContext(connection) as ctx:
                locked = transitions.lock_many(ids)
                plans = transitions.plan_many(
                    (locked[pk], Move.RETURN_TO_REDESIGN, "stop-loss") for pk in ids
                )
                transitions.apply_many(
                    [
                        transitions.Step(locked[pk], p, CAUSE, notice_for(None))
                        for pk, p in zip(ids, plans, strict=True)
                    ],
                    cc=[pmo],
                )
            assert StageTransition.objects.count() == n
            transaction.set_rollback(True)
        return len(ctx.captured_queries)

    assert run(1) == run(5)


def test_apply_many_saves_each_use_case_its_own_values(use_case, other_use_case, owner):
    """The rows are saved one UPDATE per set of values they share: use cases moved to different
    places each get their own stage, funding and ``scaled_on`` (set only by the scale move), and
    a third moved like the first shares its UPDATE."""
    from tests.conftest import make_use_case

    third = make_use_case("Third", owner=owner)
    locked = transitions.lock_many([use_case.pk, other_use_case.pk, third.pk])
    scale, hold, scale_too = transitions.plan_many(
        [
            (locked[use_case.pk], Move.SCALE, "scale it"),
            (locked[other_use_case.pk], Move.HOLD, "hold it"),
            (locked[third.pk], Move.SCALE, "scale it too"),
        ]
    )
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as ctx:
        transitions.apply_many(
            [
                transitions.Step(locked[use_case.pk], scale, CAUSE),
                transitions.Step(locked[other_use_case.pk], hold, CAUSE),
                transitions.Step(locked[third.pk], scale_too, CAUSE),
            ]
        )
    rows = UseCase.objects.in_bulk([use_case.pk, other_use_case.pk, third.pk])
    assert [
        (rows[uc.pk].stage, rows[uc.pk].funding_status, rows[uc.pk].scaled_on)
        for uc in (use_case, other_use_case, third)
    ] == [
        (Stage.SCALED, Funding.FUNDED, NOW.date()),
        (Stage.ON_HOLD, Funding.FROZEN, None),
        (Stage.SCALED, Funding.FUNDED, NOW.date()),
    ]
    assert {r.updated_at for r in rows.values()} == {NOW}
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2
