"""My work, the landing page: per role the sections that concern the user, one-click links to the
review forms with the period prefilled, flags with their explanations, gates to vote on, the PMO's
overdue reviews and flags, empty states that say what comes next, and a constant number of
queries per role for 1 vs 40 use cases."""

import datetime

import pytest
import time_machine

from stagegates.models import Gate, GateItem, GateStatus, Vote
from tests.conftest import PASSWORD, make_use_case, make_user
from tests.portfolio.test_dashboard import add_flag, add_month, add_week, count_queries, populate
from usecases.models import Stage

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # Wednesday of 2026-W48
URL = "/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def work(response):
    assert response.status_code == 200
    return response.context["work"]


@pytest.fixture
def voting_gate(leader):
    return Gate.objects.create(
        quarter="2026-Q4",
        opens_on=datetime.date(2026, 10, 1),
        closes_on=datetime.date(2026, 12, 15),
        chair=leader,
        status=GateStatus.VOTING,
    )


# --- access and landing -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_login_lands_on_my_work(client, owner):
    response = client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").templates[0].name == "portfolio/home.html"


def test_outsider_gets_an_empty_state_that_says_what_to_do(client_for, role_users):
    response = client_for(role_users["outsider"]).get(URL)
    assert work(response).is_empty
    body = response.content.decode()
    assert "Nothing to do here yet" in body
    assert "Ask the PMO to name you" in body
    assert "Portfolio dashboard" not in body  # an outsider reads no portfolio


# --- value owner and contributor ----------------------------------------------------------------


def test_owner_sees_overdue_reviews_of_their_use_cases_with_links(
    client_for, role_users, use_case, other_use_case
):
    add_week(use_case, "2026-W46")
    add_month(use_case, "2026-10")
    response = client_for(role_users["owner"]).get(URL)
    part = work(response).reviews
    assert part.use_case_count == 1 and part.reviewing_count == 1
    periods = {(t.review.kind, t.review.period) for t in part.overdue}
    assert ("weekly", "2026-W47") in periods  # due Tue 24 Nov: 1 day overdue
    assert ("weekly", "2026-W46") not in periods  # submitted
    assert ("monthly", "2026-09") in periods and ("monthly", "2026-10") not in periods
    assert {t.review.use_case_id for t in part.overdue} == {use_case.pk}
    assert part.overdue[0].review.period == "2026-W47"  # the most recent first
    assert len(part.overdue) == min(part.overdue_count, 25)
    assert part.due == []  # on a Wednesday every ended period is past its due date
    body = response.content.decode()
    assert f'href="/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W47"' in body
    assert f'href="/reviews/use-cases/{use_case.pk}/monthly/new/?month=2026-09"' in body
    assert "1 day overdue" in body
    assert other_use_case.name not in body
    assert work(response).gates is None and work(response).pmo is None


def test_links_open_the_prefilled_forms(client_for, owner, use_case):
    response = client_for(owner).get(URL)
    todo = next(t for t in work(response).reviews.overdue if t.review.period == "2026-W47")
    form = client_for(owner).get(todo.url)
    assert form.status_code == 200
    assert form.context["form"].initial["week"] == "2026-W47"


def test_reviews_due_but_not_yet_overdue(client_for, owner, use_case):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False):
        part = work(client_for(owner).get(URL)).reviews
    due = {(t.review.kind, t.review.period): t for t in part.due}
    # W48 is due today (Tuesday 1 December), November on the 5th.
    assert due.keys() == {("weekly", "2026-W48"), ("monthly", "2026-11")}
    assert due[("weekly", "2026-W48")].due_label == "due today"
    assert due[("monthly", "2026-11")].due_label == "due in 4 days"
    assert not any(t.is_overdue for t in part.due)
    assert all(t.is_overdue for t in part.overdue)


def test_all_reviews_in_says_when_the_next_is_due(client_for, owner):
    use_case = make_use_case(owner=owner, live_since=datetime.date(2026, 11, 2))
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        add_week(use_case, week)
    response = client_for(owner).get(URL)
    assert work(response).reviews.all_in
    body = response.content.decode()
    assert "All reviews are in. Next weekly review due Tue 1 Dec" in body
    assert "next monthly review due Sat 5 Dec" in body


def test_owner_of_use_cases_not_in_review_stages(client_for, owner):
    make_use_case(owner=owner, stage=Stage.PILOT)
    response = client_for(owner).get(URL)
    assert work(response).reviews.reviewing_count == 0
    assert "no reviews are due" in response.content.decode()


def test_contributor_sees_only_their_use_case(client_for, role_users, use_case, other_use_case):
    add_flag(use_case, explanation="Adoption 52.0% fell below 60.0% in 2026-W47.")
    add_flag(other_use_case, explanation="Hidden from the contributor.")
    response = client_for(role_users["contributor"]).get(URL)
    part = work(response).reviews
    assert {t.review.use_case_id for t in part.overdue} == {use_case.pk}
    assert [f.use_case for f in part.flags] == [use_case]
    body = response.content.decode()
    assert "Adoption 52.0% fell below 60.0% in 2026-W47." in body
    assert "Hidden from the contributor." not in body
    assert other_use_case.name not in body
    assert "Portfolio dashboard" in body  # they read their own use case's figures


def test_other_owner_sees_only_their_own_work(client_for, role_users, use_case, other_use_case):
    add_flag(use_case, explanation="Not yours.")
    add_flag(other_use_case, explanation="Rework above threshold on invoices.")
    response = client_for(role_users["other_owner"]).get(URL)
    part = work(response).reviews
    assert {t.review.use_case_id for t in part.overdue} == {other_use_case.pk}
    assert [f.explanation for f in part.flags] == ["Rework above threshold on invoices."]
    assert "Not yours." not in response.content.decode()


def test_resolved_flags_are_not_listed(client_for, owner, use_case):
    flag = add_flag(use_case, explanation="Old breach.")
    flag.resolved_at = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
    flag.save()
    response = client_for(owner).get(URL)
    assert work(response).reviews.flag_count == 0
    assert "No open flags on your use cases." in response.content.decode()


# --- leadership ---------------------------------------------------------------------------------


def test_leader_sees_items_without_their_vote(
    client_for, role_users, use_case, other_use_case, voting_gate
):
    leader = role_users["leader"]
    GateItem.objects.create(gate=voting_gate, use_case=use_case)
    voted = GateItem.objects.create(gate=voting_gate, use_case=other_use_case)
    Vote.objects.create(item=voted, voter=leader, choice="scale", rationale="Works.")
    response = client_for(leader).get(URL)
    part = work(response).gates
    assert [i.use_case for i in part.to_vote] == [use_case]
    assert part.to_vote_count == 1
    assert work(response).reviews is None and work(response).pmo is None
    body = response.content.decode()
    assert "Read the pack and vote" in body
    assert f'href="/gates/items/{part.to_vote[0].pk}/"' in body
    assert "Tue 15 Dec 2026" in body


def test_leader_who_voted_on_everything(client_for, leader, use_case, voting_gate):
    item = GateItem.objects.create(gate=voting_gate, use_case=use_case)
    Vote.objects.create(item=item, voter=leader, choice="hold", rationale="Wait.")
    body = client_for(leader).get(URL).content.decode()
    assert "You have voted on every item at gate" in body
    assert "2026-Q4" in body


def test_leader_without_an_open_gate(client_for, leader, use_case):
    body = client_for(leader).get(URL).content.decode()
    assert "No gate is open for voting." in body


def test_removed_items_and_draft_gates_are_not_to_vote(client_for, leader, use_case, voting_gate):
    GateItem.objects.create(gate=voting_gate, use_case=use_case, removed_at=NOW)
    draft = Gate.objects.create(
        quarter="2027-Q1",
        opens_on=datetime.date(2027, 1, 1),
        closes_on=datetime.date(2027, 3, 15),
        status=GateStatus.DRAFT,
    )
    GateItem.objects.create(gate=draft, use_case=use_case)
    assert work(client_for(leader).get(URL)).gates.to_vote == []


def test_chair_sees_decisions_to_record(client_for, leader, use_case, voting_gate):
    voting_gate.status = GateStatus.CLOSED
    voting_gate.save()
    GateItem.objects.create(gate=voting_gate, use_case=use_case, outcome="hold")
    response = client_for(leader).get(URL)
    assert [i.use_case for i in work(response).gates.to_decide] == [use_case]
    assert "Decisions to record as chair" in response.content.decode()


def test_pmo_does_not_vote(client_for, pmo, use_case, voting_gate):
    GateItem.objects.create(gate=voting_gate, use_case=use_case)
    assert work(client_for(pmo).get(URL)).gates is None


# --- PMO ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["pmo", "admin"])
def test_pmo_chases_overdue_reviews_and_resolves_flags(
    client_for, role_users, use_case, other_use_case, role
):
    add_flag(other_use_case, explanation="Exceptions grew four weeks in a row.")
    response = client_for(role_users[role]).get(URL)
    part = work(response).pmo
    assert part.overdue_count > 0
    assert {r.use_case_id for r in part.overdue} <= {use_case.pk, other_use_case.pk}
    # Oldest first (most overdue on top).
    days = [r.days_overdue for r in part.overdue]
    assert days == sorted(days, reverse=True)
    assert part.escalated_count <= part.overdue_count
    assert {c.username for c in part.per_owner} == {"olivia", "oscar"}
    assert sum(c.count for c in part.per_owner) == part.overdue_count
    assert part.flag_count == 1
    body = response.content.decode()
    assert 'href="/overdue/"' in body
    assert 'href="/overdue/?owner=oscar"' in body
    assert "Exceptions grew four weeks in a row." in body
    assert f'href="/reviews/flags/{part.flags[0].pk}/resolve/"' in body
    assert work(response).reviews is None


def test_pmo_with_nothing_to_chase(client_for, pmo):
    response = client_for(pmo).get(URL)
    assert work(response).pmo.overdue_count == 0
    body = response.content.decode()
    assert "No review is overdue." in body
    assert "No open flags." in body


def test_pmo_overdue_counts_every_use_case(client_for, pmo, owner, contributor):
    populate(3, owner=owner, contributor=contributor)
    part = work(client_for(pmo).get(URL)).pmo
    # live since 1 June 2026, no reviews in Jun/Jul/Oct and most weeks: all overdue.
    assert part.overdue_count > 3 * 10
    assert len(part.overdue) == 10


# --- speed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "pmo", "admin", "outsider"])
def test_constant_queries_for_1_vs_40_use_cases(client_for, role_users, voting_gate, role):
    owner, contributor = role_users["owner"], role_users["contributor"]
    client = client_for(role_users[role])
    populate(1, owner=owner, contributor=contributor, gate=voting_gate)
    before = count_queries(client, URL)
    populate(39, owner=owner, contributor=contributor, start=1, gate=voting_gate)
    assert count_queries(client, URL) == before
    response = client.get(URL)
    page = response.context["work"]
    if role in ("owner", "contributor"):
        assert page.reviews.overdue_count > 40 and page.reviews.flag_count == 40
    if role == "leader":
        assert page.gates.to_vote_count == 40
    if role in ("pmo", "admin"):
        assert page.pmo.flag_count == 40


@pytest.mark.parametrize("listed", [True, False])
def test_a_persons_reviews_are_the_engines_in_one_pass(
    client_for, owner, contributor, monkeypatch, listed
):
    """The overdue rows (the most recent first) and their number come from one pass over the
    union (``overdue_digest``), whether the person's use cases are given as a list of ids or,
    past ``MAX_LISTED_IDS``, as a subquery: the same rows as the engine's in both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio import mywork
    from reviews import cadence
    from usecases import clock
    from usecases.models import UseCase

    populate(3, owner=owner, contributor=contributor)
    make_use_case("Someone else's", owner=make_user("else"), live_since=datetime.date(2026, 6, 1))
    monkeypatch.setattr(mywork, "LIST_LIMIT", 10)
    monkeypatch.setattr(mywork, "MAX_LISTED_IDS", 3 if listed else 2)
    client = client_for(contributor)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        part = work(client.get(URL)).reviews
    mine = UseCase.objects.filter(contributors=contributor).values("pk")
    engine = cadence.overdue_reviews(today=clock.today(), use_case_ids=mine).order_by(
        "-due_on", "use_case_name", "kind", "use_case_id"
    )
    assert part.overdue_count == engine.count() > 10
    assert [(t.review.use_case_id, t.review.period) for t in part.overdue] == [
        (r["use_case_id"], r["period"]) for r in engine[:10]
    ]
    [union] = [q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"]]
    assert ("IN (SELECT" not in union) == listed  # the ids themselves, or the subquery


def test_pmo_totals_are_the_engines_counted_in_fewer_passes(
    client_for, pmo, owner, contributor, monkeypatch
):
    """The first rows, the owners' counts (whose sum is the total) and the escalated count
    come from one pass over the portfolio's missing reviews (``overdue_digest``): the same
    numbers as a COUNT over each union, which took four passes, then three. Past
    ``PMO_OWNERS_SHOWN`` owners, the rest are summed in one link."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio import mywork
    from reviews import cadence
    from usecases import clock

    populate(3, owner=owner, contributor=contributor)
    make_use_case("Orphan", owner=None, live_since=datetime.date(2026, 6, 1))
    make_use_case("Second", owner=make_user("second"), live_since=datetime.date(2026, 9, 1))
    monkeypatch.setattr(mywork, "PMO_OWNERS_SHOWN", 1)
    client = client_for(pmo)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    part = work(response).pmo
    today = clock.today()
    assert part.overdue_count == cadence.overdue_reviews(today=today).count()
    escalated = cadence.overdue_reviews(
        today=today, min_days_overdue=cadence.PMO_AFTER_DAYS_OVERDUE
    )
    assert 0 < part.escalated_count == escalated.count() < part.overdue_count
    shown = sum(c.count for c in part.per_owner)
    assert part.more_owners >= 1 and shown + part.more_owners_overdue == part.overdue_count
    assert "" in {c.username for c in part.per_owner}  # the ownerless are always named
    body = response.content.decode()
    assert f"{part.more_owners} more value owner" in body
    over_the_union = [q for q in ctx.captured_queries if "UNION ALL" in q["sql"]]
    assert len(over_the_union) == 1
    first = list(cadence.overdue_reviews(today=today)[: mywork.PMO_LIST_LIMIT])
    assert [(r.use_case_id, r.period) for r in part.overdue] == [
        (r["use_case_id"], r["period"]) for r in first
    ]
