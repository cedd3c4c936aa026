"""stagegates.snapshots: a closed gate never changes (issue 15, item 3).

At closing every on-agenda item's pack is frozen (``GateItemSnapshot``); the pack page, the gate
page and ``GET /api/v1/gate-items/{id}/`` show it afterwards, whatever reviews, corrections or
flags come later; today's figures are one link away (``?live=1``). A decision names the snapshot.

Figures (see test_gatepack.py): one weekly review and one monthly review a month in the quarter
2026-08..2026-10: net value −1,300 a month, −3,900 the quarter. A weekly review of 2026-W43
(October) added after closing brings the live quarter to −2,700.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services as review_services
from reviews.flags import flag_raise, flag_row
from reviews.models import FlagKind, MonthlyReview
from stagegates import decisions, services, snapshots, voting
from stagegates.models import Gate, GateItem, GateItemSnapshot, GateStatus, ImmutableSnapshot
from tests.conftest import api_token, make_use_case
from usecases.models import ChecklistAnswer, ChecklistItem

from .helpers import NOW, item_of, monthly, stop_loss_flag, weekly

pytestmark = pytest.mark.django_db

WEEKS = {"2026-08": "2026-W32", "2026-09": "2026-W36", "2026-10": "2026-W41"}
WEEK_DATA = dict(
    active_users=70,
    target_users=100,
    tasks_total=2000,
    tasks_with_ai=1400,
    reworked_outputs=100,
    exceptions=20,
    minutes_saved_per_task=D("3.0"),
    rework_minutes_per_output=D("5"),
    quality_score=D("85"),
    backlog=50,
)


def fill_quarter(use_case):
    for month, week in WEEKS.items():
        weekly(use_case, week)
        monthly(use_case, month)


@pytest.fixture
def closed(voting_gate, pmo, leader, leader2, use_case):
    """The gate closed after two votes on ``use_case``, whose quarter is filled, with an open
    stop-loss flag and a checklist "no"."""
    fill_quarter(use_case)
    stop_loss_flag(use_case)
    ChecklistAnswer.objects.create(use_case=use_case, item="A1", answer="no")
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="redesign", rationale="Rework is too high.")
    voting.vote_cast(user=leader2, item=item, choice="redesign", rationale="Fix it first.")
    return services.gate_close(user=pmo, gate=voting_gate)


def snapshot_of(gate, use_case) -> GateItemSnapshot:
    return GateItemSnapshot.objects.get(item__gate=gate, item__use_case=use_case)


def change_everything_after_closing(owner, pmo, use_case):
    """A new weekly review, a corrected monthly review and a new flag, through the services."""
    review_services.weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W43", data=WEEK_DATA
    )
    review = MonthlyReview.objects.get(use_case=use_case, month="2026-10")
    review_services.monthly_review_correct(
        user=owner, review=review, data={"run_cost": D("200")}, expected_version=review.version
    )
    flag_raise(
        flag_row(
            use_case_id=use_case.pk,
            kind=FlagKind.EXCEPTIONS_GROWING,
            rule_key="test",
            period="2026-W48",
            explanation="Something new after closing.",
        )
    )


# --- the content --------------------------------------------------------------------------------
def test_closing_freezes_every_item_pack(closed, use_case, other_use_case):
    snapshot = snapshot_of(closed, use_case)
    data = snapshot.pack
    assert snapshot.taken_at == NOW == closed.closed_at
    assert snapshot.builder_version == snapshots.BUILDER_VERSION
    assert datetime.datetime.fromisoformat(data["snapshot_taken_at"]) == NOW
    assert data["quarter_label"] == "2026-08 to 2026-10"
    assert D(data["figures"]["net_value"]) == D(-3900)
    assert D(data["figures"]["gross_efficiency"]) == D(9450)
    assert [D(m["figures"]["net_value"]) for m in data["months"]] == [D(-1300)] * 3
    assert [m["month"] for m in data["months"]] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    steps = {s["step"]: s["amount"] for s in data["waterfall"]}
    assert D(steps["pilot_promise"]) == D(16200)
    assert D(steps["net_value"]) == D(-3900)
    assert [s["scenario"] for s in data["scenarios"]] == ["pessimistic", "base", "optimistic"]
    assert data["recommendation"]["choice"] == "redesign"
    assert data["recommendation"]["reasons"][0].startswith("Open stop-loss flag:")
    assert [f["kind"] for f in data["open_flags"]] == ["stop_loss"]
    assert [b["code"] for b in data["blockers"]][1:] == ["checklist:A1"]
    answers = {line["code"]: line["answer"] for line in data["checklist"]}
    assert (len(answers), answers["A1"], answers["T1"]) == (len(ChecklistItem), "no", None)
    assert {t["metric"] for t in data["thresholds"]} >= {"rework_rate", "adoption_rate"}
    assert [w["week"] for w in data["trend"]] == ["2026-W32", "2026-W36", "2026-W41"]
    assert round(D(data["trend"][0]["rework_rate"]), 6) == D("0.071429")  # 100 / 1,400
    assert [(v["voter"], v["choice"]) for v in data["votes"]] == [
        ("lena", "redesign"),
        ("leo", "redesign"),
    ]
    assert data["outcome"] == "redesign"
    assert (data["use_case"]["stage"], data["use_case"]["funding_status"]) == (
        "rollout",
        "conditional",
    )
    # every agenda item is frozen, the other one too
    assert D(snapshot_of(closed, other_use_case).pack["figures"]["net_value"]) == 0


def test_a_removed_item_is_not_frozen(gate, pmo, use_case, other_use_case):
    services.gate_item_remove(user=pmo, item=item_of(gate, other_use_case))
    gate = services.gate_close(user=pmo, gate=services.gate_open_voting(user=pmo, gate=gate))
    assert list(GateItemSnapshot.objects.values_list("item__use_case", flat=True)) == [use_case.pk]


def test_no_snapshot_before_closing(voting_gate, leader, use_case):
    assert not GateItemSnapshot.objects.exists()
    line = services_item_line(leader, voting_gate, use_case)
    assert (line.frozen, line.snapshot_taken_at) == (False, None)


def services_item_line(user, gate, use_case, **kw):
    from stagegates import selectors

    return selectors.item_pack(user=user, item=item_of(gate, use_case), **kw)


# --- immutability -------------------------------------------------------------------------------
def test_a_snapshot_refuses_save_and_delete(closed, use_case):
    snapshot = snapshot_of(closed, use_case)
    snapshot.pack = {"forged": True}
    with pytest.raises(ImmutableSnapshot):
        snapshot.save()
    with pytest.raises(ImmutableSnapshot):
        snapshot.delete()
    with pytest.raises(ImmutableSnapshot):
        GateItemSnapshot.objects.filter(pk=snapshot.pk).update(pack={})
    with pytest.raises(ImmutableSnapshot):
        GateItemSnapshot.objects.filter(pk=snapshot.pk).delete()
    assert D(snapshot_of(closed, use_case).pack["figures"]["net_value"]) == D(-3900)


def test_a_second_row_for_the_item_is_refused(closed, use_case):
    from django.db import IntegrityError

    snapshot = snapshot_of(closed, use_case)
    with pytest.raises(IntegrityError), transaction.atomic():
        GateItemSnapshot(
            pk=snapshot.pk, item_id=snapshot.item_id, pack={}, taken_at=NOW, builder_version=1
        ).save()


def test_the_frozen_item_and_its_use_case_cannot_be_deleted(closed, use_case):
    with pytest.raises(ProtectedError):
        use_case.delete()
    with pytest.raises(ProtectedError):
        Gate.objects.get(pk=closed.pk).delete()


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_a_snapshot(closed, use_case):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    snapshot = snapshot_of(closed, use_case)
    table = GateItemSnapshot._meta.db_table
    for sql in (
        f"UPDATE {table} SET pack = '{{}}'::jsonb WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="never change"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [snapshot.pk])
    assert snapshot_of(closed, use_case).pack == snapshot.pack


# --- after closing --------------------------------------------------------------------------------
def test_reviews_corrections_and_flags_after_closing_leave_the_snapshot(
    closed, owner, pmo, leader, use_case, client
):
    before = snapshot_of(closed, use_case)
    change_everything_after_closing(owner, pmo, use_case)
    after = snapshot_of(closed, use_case)
    assert after.pack == before.pack
    assert after.taken_at == before.taken_at

    item = item_of(closed, use_case)
    client.force_login(leader)
    page = client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    assert "Frozen at closing" in page
    assert "−EUR 3,900.00" in page
    assert "Something new after closing." not in page
    assert f"{item.get_absolute_url()}?live=1" in page
    assert "Today&#x27;s live figures" in page or "Today's live figures" in page

    live = client.get(reverse("stagegates:item", args=[item.pk]) + "?live=1").content.decode()
    assert "Today&#x27;s live figures, computed now" in live or "live figures, computed" in live
    assert "Something new after closing." in live
    assert "−EUR 3,900.00" not in live


def test_the_live_pack_does_move(closed, owner, pmo, leader, use_case):
    """The other side of the test above: what the snapshot ignores does change the live pack."""
    live_before = services_item_line(leader, closed, use_case, live=True).pack
    change_everything_after_closing(owner, pmo, use_case)
    live_after = services_item_line(leader, closed, use_case, live=True).pack
    assert live_before.figures.net_value == D(-3900)
    assert live_after.figures.net_value != live_before.figures.net_value
    assert len(live_after.open_flags) == len(live_before.open_flags) + 1
    frozen = services_item_line(leader, closed, use_case).pack
    assert frozen.figures.net_value == D(-3900)
    assert [f.kind for f in frozen.open_flags] == ["stop_loss"]


def test_the_gate_page_shows_the_frozen_packs(closed, owner, pmo, leader, use_case, client):
    change_everything_after_closing(owner, pmo, use_case)
    client.force_login(leader)
    page = client.get(reverse("stagegates:detail", args=[closed.pk])).content.decode()
    assert "−EUR 3,900.00" in page


def test_the_frozen_pack_reads_back_as_it_was_built(closed, leader, use_case):
    """Decimals come back exact; every section the page shows is there."""
    frozen = services_item_line(leader, closed, use_case).pack
    assert frozen.figures.net_value == D(-3900)
    assert frozen.months_reviewed == 3
    assert frozen.recommendation.choice == "redesign"
    assert [b.code for b in frozen.blockers][1:] == ["checklist:A1"]
    assert [w.week for w in frozen.trend] == ["2026-W32", "2026-W36", "2026-W41"]
    assert {line.code: line.answer for line in frozen.checklist}["A1"] == "no"
    assert frozen.thresholds and frozen.waterfall_rows[0].label.startswith("Pilot promise")


def test_votes_are_shown_from_the_snapshot_by_the_blind_rules(closed, leader, owner, use_case):
    seen = services_item_line(leader, closed, use_case).votes
    assert seen.visible and [v.voter.username for v in seen.votes] == ["lena", "leo"]
    assert seen.mine.choice == "redesign"
    assert seen.counts_text == "Redesign 2"
    hidden = services_item_line(owner, closed, use_case).votes
    assert (hidden.visible, hidden.votes) == (False, [])


# --- API ------------------------------------------------------------------------------------------
def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_api_item_shows_the_snapshot_after_closing(closed, owner, pmo, leader, use_case):
    item = item_of(closed, use_case)
    change_everything_after_closing(owner, pmo, use_case)
    body = api(leader).get(f"/api/v1/gate-items/{item.pk}/").json()
    assert body["snapshot_taken_at"] is not None
    assert datetime.datetime.fromisoformat(body["snapshot_taken_at"]) == NOW
    assert body["net_value"] == "-3900.00"
    assert body["recommendation"]["choice"] == "redesign"
    assert [f["kind"] for f in body["open_flags"]] == ["stop_loss"]
    assert body["live_figures_url"].endswith(f"/gates/items/{item.pk}/?live=1")
    live = api(leader).get(f"/api/v1/gate-items/{item.pk}/?live=true").json()
    assert live["snapshot_taken_at"] is None
    assert live["net_value"] != "-3900.00"
    gate = api(leader).get(f"/api/v1/gates/{closed.pk}/").json()
    [line] = [i for i in gate["items"] if i["id"] == item.pk]
    assert (line["net_value"], line["snapshot_taken_at"]) == ("-3900.00", body["snapshot_taken_at"])


def test_api_item_has_no_snapshot_while_voting(voting_gate, leader, use_case):
    item = item_of(voting_gate, use_case)
    body = api(leader).get(f"/api/v1/gate-items/{item.pk}/").json()
    assert (body["snapshot_taken_at"], body["live_figures_url"]) == (None, None)


# --- decisions ------------------------------------------------------------------------------------
def test_a_decision_names_the_snapshot_it_was_taken_on(closed, leader, use_case, client):
    record = decisions.decision_record(
        user=leader, item=item_of(closed, use_case), decision="redesign", rationale=""
    )
    assert record.snapshot == snapshot_of(closed, use_case)
    item = item_of(closed, use_case)
    body = api(leader).get(f"/api/v1/gate-items/{item.pk}/").json()
    assert body["decision"]["snapshot"] == record.snapshot_id
    client.force_login(leader)
    page = client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    assert "Taken on the pack frozen at closing" in page


def test_the_decision_form_shows_todays_blockers(closed, leader, use_case, client):
    """The frozen pack had a stop-loss flag; it was resolved since: the chair's form lists only
    what blocks scale now (the decision applies now)."""
    from reviews.models import Flag

    Flag.objects.filter(use_case=use_case).update(resolved_at=NOW)
    client.force_login(leader)
    page = client.get(reverse("stagegates:item", args=[item_of(closed, use_case).pk]))
    form = page.content.decode().split('id="decision"')[1]
    assert "Open stop-loss flag" not in form
    assert "Checklist A1" in form


# --- queries --------------------------------------------------------------------------------------
def _frozen_queries(gate) -> int:
    Gate.objects.filter(pk=gate.pk).update(status=GateStatus.CLOSED)
    gate.refresh_from_db()
    with CaptureQueriesContext(connection) as ctx:
        made = snapshots.freeze(gate)
    assert len(made) == gate.items.on_agenda().count()
    return len(ctx.captured_queries)


def test_freezing_forty_items_takes_as_many_queries_as_two(voting_gate, leader, use_case):
    few = _frozen_queries(voting_gate)
    big = Gate.objects.create(
        quarter="2027-Q1",
        opens_on=datetime.date(2027, 1, 4),
        closes_on=datetime.date(2027, 3, 31),
        status=GateStatus.VOTING,
    )
    for n in range(40):
        uc = make_use_case(name=f"Use case {n:02d}")
        item = GateItem.objects.create(gate=big, use_case=uc, reasons="test")
        weekly(uc, "2026-W41")
        voting.vote_cast(user=leader, item=item, choice="hold", rationale="Wait.")
    many = _frozen_queries(big)
    assert many == few
    assert many <= 25
