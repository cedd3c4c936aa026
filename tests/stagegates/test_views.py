"""Gate pages: every role on every page and action, blind voting, decisions, query counts.

Access rules: anonymous → login; outsider → 404; a contributor sees the gates and items of the
use cases they contribute to (404 for the others); the PMO manages; the chair (``leader``) closes
and decides; Leadership votes (the PMO and a non-Leadership admin do not).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import FlagKind
from stagegates import decisions, services, voting
from stagegates.models import Decision, Gate, GateStatus, Vote
from tests.conftest import ROLES, make_use_case, make_user, user_of
from usecases.models import ChecklistAnswer

from .helpers import create_gate, item_of, monthly, stop_loss_flag, weekly

pytestmark = pytest.mark.django_db


def assert_status(response, expected):
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected, response.content[:300]


# --- who may see what -----------------------------------------------------------------------------
READ_PAGES = {
    # role: (list, detail, own use case's pack, other use case's pack, new, edit)
    "anonymous": ("login", "login", "login", "login", "login", "login"),
    "outsider": (200, 404, 404, 404, 403, 404),
    "other_owner": (200, 200, 200, 200, 403, 403),
    "contributor": (200, 200, 200, 404, 403, 403),
    "owner": (200, 200, 200, 200, 403, 403),
    "leader": (200, 200, 200, 200, 403, 403),
    "pmo": (200, 200, 200, 200, 200, 200),
    "admin": (200, 200, 200, 200, 200, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_read_pages_per_role(role, role_users, client_for, gate, use_case, other_use_case):
    client = client_for(user_of(role, role_users))
    urls = [
        reverse("stagegates:list"),
        reverse("stagegates:detail", args=[gate.pk]),
        reverse("stagegates:item", args=[item_of(gate, use_case).pk]),
        reverse("stagegates:item", args=[item_of(gate, other_use_case).pk]),
        reverse("stagegates:new"),
        reverse("stagegates:edit", args=[gate.pk]),
    ]
    for url, expected in zip(urls, READ_PAGES[role], strict=True):
        assert_status(client.get(url), expected)


def test_list_shows_only_visible_gates_and_items(client_for, role_users, gate, use_case):
    assert b"2026-Q4" not in client_for(role_users["outsider"]).get("/gates/").content
    page = client_for(role_users["contributor"]).get(reverse("stagegates:detail", args=[gate.pk]))
    assert use_case.name in page.content.decode()
    assert "Invoice matching" not in page.content.decode()  # other_use_case: not theirs


# role → expected status of: refresh, add item, remove item, open voting (draft gate)
DRAFT_ACTIONS = {
    "anonymous": ("login",) * 4,
    "outsider": (404,) * 4,
    "other_owner": (403,) * 4,
    "contributor": (403, 403, 404, 403),  # the removed item is not theirs: 404
    "owner": (403,) * 4,
    "leader": (403,) * 4,
    "pmo": (302,) * 4,
    "admin": (302,) * 4,
}


@pytest.mark.parametrize("role", ROLES)
def test_draft_actions_per_role(role, role_users, client_for, gate, use_case, other_use_case):
    client = client_for(user_of(role, role_users))
    extra = make_use_case("Extra", stage="pilot")
    item = item_of(gate, other_use_case)
    expected = DRAFT_ACTIONS[role]
    responses = [
        client.post(reverse("stagegates:refresh", args=[gate.pk])),
        client.post(reverse("stagegates:add_item", args=[gate.pk]), {"use_case": extra.pk}),
        client.post(reverse("stagegates:remove_item", args=[item.pk])),
        client.post(reverse("stagegates:open_voting", args=[gate.pk])),
    ]
    for response, status in zip(responses, expected, strict=True):
        assert_status(response, status)
    gate.refresh_from_db()
    done = expected[0] == 302
    assert gate.items.filter(use_case=extra, removed_at__isnull=True).exists() is done
    assert gate.items.filter(use_case=other_use_case, removed_at__isnull=False).exists() is done
    assert gate.status == (GateStatus.VOTING if done else GateStatus.DRAFT)


def test_pages_refuse_get_on_actions(client_for, pmo, gate):
    response = client_for(pmo).get(reverse("stagegates:open_voting", args=[gate.pk]))
    assert response.status_code == 405


# role → (vote, close)
VOTING_ACTIONS = {
    "anonymous": ("login", "login"),
    "outsider": (404, 404),
    "other_owner": (403, 403),
    "contributor": (403, 403),
    "owner": (403, 403),
    "leader": (302, 302),  # the chair
    "pmo": (403, 302),  # the PMO never votes
    "admin": (403, 302),  # not in Leadership
}


@pytest.mark.parametrize("role", ROLES)
def test_voting_actions_per_role(role, role_users, client_for, voting_gate, use_case):
    client = client_for(user_of(role, role_users))
    item = item_of(voting_gate, use_case)
    vote_status, close_status = VOTING_ACTIONS[role]
    response = client.post(
        reverse("stagegates:vote", args=[item.pk]), {"choice": "scale", "rationale": "Works."}
    )
    assert_status(response, vote_status)
    assert Vote.objects.exists() is (vote_status == 302)
    assert_status(client.post(reverse("stagegates:close", args=[voting_gate.pk])), close_status)
    voting_gate.refresh_from_db()
    assert voting_gate.is_closed is (close_status == 302)


# role → decide
DECIDE = {
    "anonymous": "login",
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "owner": 403,
    "leader": 302,  # the chair
    "pmo": 403,
    "admin": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_decide_per_role(role, role_users, client_for, voting_gate, pmo, use_case):
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    client = client_for(user_of(role, role_users))
    response = client.post(reverse("stagegates:decide", args=[item.pk]), {"decision": "hold"})
    assert_status(response, DECIDE[role])
    assert Decision.objects.exists() is (DECIDE[role] == 302)


# --- blind voting through the pages -------------------------------------------------------------
def test_blind_voting_on_the_pack_and_the_gate_page(
    client_for, voting_gate, leader, leader2, pmo, use_case
):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="stop", rationale="SECRET-RATIONALE-LENA")
    pack_url = reverse("stagegates:item", args=[item.pk])
    gate_url = reverse("stagegates:detail", args=[voting_gate.pk])

    for user in (leader2, pmo):
        client = client_for(user)
        for url in (pack_url, gate_url):
            body = client.get(url).content.decode()
            assert "SECRET-RATIONALE-LENA" not in body
            assert "Stop 1" not in body and "Lena Leader</strong>:" not in body
    assert "shown once you have cast yours" in client_for(leader2).get(pack_url).content.decode()
    assert "shown after the gate closes" in client_for(pmo).get(pack_url).content.decode()

    client = client_for(leader2)
    response = client.post(
        reverse("stagegates:vote", args=[item.pk]), {"choice": "hold", "rationale": "Wait."}
    )
    assert response.status_code == 302
    body = client.get(pack_url).content.decode()
    assert "SECRET-RATIONALE-LENA" in body and "Hold 1 · Stop 1" in body
    assert "Lena Leader</strong>: Stop" in body
    assert "Hold 1 · Stop 1" in client.get(gate_url).content.decode()

    services.gate_close(user=pmo, gate=voting_gate)
    assert "SECRET-RATIONALE-LENA" in client_for(pmo).get(pack_url).content.decode()


def test_changing_a_vote_through_the_page_and_htmx(client_for, voting_gate, leader, use_case):
    item = item_of(voting_gate, use_case)
    client = client_for(leader)
    url = reverse("stagegates:vote", args=[item.pk])
    client.post(url, {"choice": "scale", "rationale": "First."})
    response = client.post(
        url, {"choice": "redesign", "rationale": "Second."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="voting"') and "<html" not in body
    assert "Your vote: <strong>Redesign</strong> — Second." in body
    assert Vote.objects.get().choice == "redesign"


def test_vote_form_errors_and_voting_after_close(client_for, voting_gate, pmo, leader, use_case):
    item = item_of(voting_gate, use_case)
    client = client_for(leader)
    url = reverse("stagegates:vote", args=[item.pk])
    response = client.post(url, {"choice": "scale", "rationale": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    services.gate_close(user=pmo, gate=voting_gate)
    response = client.post(url, {"choice": "scale", "rationale": "Late."})
    assert response.status_code == 400
    assert "votes can no longer be cast" in response.content.decode()
    assert not Vote.objects.exists()


def test_decision_page_override_and_blockers(client_for, voting_gate, pmo, leader, use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="hold", rationale="r")
    services.gate_close(user=pmo, gate=voting_gate)
    stop_loss_flag(use_case)
    ChecklistAnswer.objects.create(use_case=use_case, item="E1", answer="no")
    item = item_of(voting_gate, use_case)
    client = client_for(leader)
    url = reverse("stagegates:decide", args=[item.pk])
    pack = client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    assert "Scale is blocked" in pack and "Checklist E1" in pack

    response = client.post(url, {"decision": "stop", "rationale": ""})
    assert response.status_code == 400
    assert "departing from it needs a written rationale" in response.content.decode()

    response = client.post(url, {"decision": "scale", "rationale": "Anyway."})
    assert response.status_code == 400
    body = response.content.decode()
    assert decisions.SCALE_BLOCKED in body and "Rework rate 20.0% exceeds 15.0%." in body
    assert not Decision.objects.exists()

    response = client.post(url, {"decision": "redesign", "rationale": "Fix the rework."})
    assert response.status_code == 302
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == ("redesign", "conditional")
    assert (
        "Fix the rework." in client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    )


def test_pmo_creates_a_gate_in_the_page(client_for, pmo, leader, use_case):
    client = client_for(pmo)
    data = {"quarter": "2026-Q4", "opens_on": "2026-11-16", "closes_on": "2026-11-10"}
    response = client.post(reverse("stagegates:new"), {**data, "chair": leader.pk})
    assert (
        response.status_code == 400
        and "The gate closes after it opens." in response.content.decode()
    )
    data["closes_on"] = "2026-12-04"
    response = client.post(reverse("stagegates:new"), {**data, "chair": leader.pk})
    gate = Gate.objects.get()
    assert response.status_code == 302 and response["Location"] == gate.get_absolute_url()
    assert gate.items.filter(use_case=use_case).exists()
    response = client.post(reverse("stagegates:new"), {**data, "chair": leader.pk})
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_pmo_edits_a_gate_in_the_page(client_for, pmo, gate, leader2):
    response = client_for(pmo).post(
        reverse("stagegates:edit", args=[gate.pk]),
        {"opens_on": "2026-11-16", "closes_on": "2026-12-10", "chair": leader2.pk},
    )
    assert response.status_code == 302
    gate.refresh_from_db()
    assert (str(gate.closes_on), gate.chair) == ("2026-12-10", leader2)


def test_close_with_errors_flashes_a_message(client_for, pmo, gate):
    response = client_for(pmo).post(reverse("stagegates:close", args=[gate.pk]), follow=True)
    assert "Open voting before closing the gate." in response.content.decode()


def test_the_nav_links_to_gates(client_for, leader):
    assert b'href="/gates/"' in client_for(leader).get("/gates/").content


# --- constant query counts ------------------------------------------------------------------------
def count_queries(client, url):
    client.get(url)  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["leader", "pmo", "contributor"])
def test_gate_page_queries_do_not_grow_with_items(
    role, role_users, client_for, pmo, leader, leader2, use_case, other_use_case
):
    other_use_case.stage = "pilot"  # off the agenda: start from exactly one item
    other_use_case.save()
    gate = create_gate(pmo, leader)
    services.gate_open_voting(user=pmo, gate=gate)
    first = gate.items.select_related("gate").get()
    voting.vote_cast(user=leader, item=first, choice="hold", rationale="r")
    voting.vote_cast(user=leader2, item=first, choice="stop", rationale="r")
    client = client_for(role_users[role])
    url = reverse("stagegates:detail", args=[gate.pk])
    one = count_queries(client, url)

    Gate.objects.filter(pk=gate.pk).update(status=GateStatus.DRAFT)
    for n in range(19):
        uc = make_use_case(f"Use case {n:02d}", stage="rollout")
        uc.contributors.add(role_users["contributor"])
        weekly(uc, "2026-W41")
        monthly(uc, "2026-10")
        stop_loss_flag(uc)
    gate.refresh_from_db()
    services.gate_refresh_agenda(user=pmo, gate=gate)
    Gate.objects.filter(pk=gate.pk).update(status=GateStatus.VOTING)
    for item in gate.items.select_related("gate").exclude(pk=first.pk)[:10]:
        voting.vote_cast(user=leader, item=item, choice="hold", rationale="r")
        voting.vote_cast(user=leader2, item=item, choice="stop", rationale="r")
    assert gate.items.count() == 20
    assert count_queries(client, url) == one


def test_pack_page_queries_do_not_grow_with_reviews(
    client_for, gate, pmo, leader, leader2, use_case
):
    services.gate_open_voting(user=pmo, gate=gate)
    item = item_of(gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="hold", rationale="r")
    client = client_for(leader)
    url = reverse("stagegates:item", args=[item.pk])
    weekly(use_case, "2026-W41")
    one = count_queries(client, url)

    for week in range(32, 48):
        if week != 41:
            weekly(use_case, f"2026-W{week}", reworked_outputs=week * 5)
    for month in ("2026-08", "2026-09", "2026-10"):
        monthly(use_case, month)
    stop_loss_flag(use_case)
    stop_loss_flag(use_case, period="2026-W47")
    voting.vote_cast(user=leader2, item=item, choice="stop", rationale="r")
    ChecklistAnswer.objects.create(use_case=use_case, item="T1", answer="no")
    assert count_queries(client, url) == one


# --- checklist evidence page ----------------------------------------------------------------------
CHECKLIST_PAGE = {  # role → (use_case, other_use_case, shows the edit link)
    "anonymous": ("login", "login", False),
    "outsider": (404, 404, False),
    "other_owner": (200, 200, False),
    "contributor": (200, 404, False),
    "owner": (200, 200, True),
    "leader": (200, 200, False),
    "pmo": (200, 200, False),
    "admin": (200, 200, True),
}


@pytest.mark.parametrize("role", ROLES)
def test_checklist_page_per_role(role, role_users, client_for, use_case, other_use_case):
    client = client_for(user_of(role, role_users))
    mine, other, edit_link = CHECKLIST_PAGE[role]
    response = client.get(reverse("stagegates:checklist", args=[use_case.pk]))
    assert_status(response, mine)
    assert_status(client.get(reverse("stagegates:checklist", args=[other_use_case.pk])), other)
    if mine == 200:
        body = response.content.decode()
        assert "Baseline source: pilot / test data." in body
        edit_url = reverse("usecases:checklist_edit", args=[use_case.pk])
        assert (f'href="{edit_url}"' in body) is edit_link


def test_checklist_page_flags_disagreement(client_for, owner, use_case):
    ChecklistAnswer.objects.create(use_case=use_case, item="T1", answer="yes")
    body = client_for(owner).get(reverse("stagegates:checklist", args=[use_case.pk])).content
    assert "1 answer disagrees with the data." in body.decode()


def test_htmx_vote_errors_come_back_as_a_swappable_fragment(
    client_for, voting_gate, leader, use_case
):
    item = item_of(voting_gate, use_case)
    response = client_for(leader).post(
        reverse("stagegates:vote", args=[item.pk]),
        {"choice": "scale", "rationale": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400  # swapped all the same (base.html's htmx-config)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="voting"')
    assert "This field is required." in body
    assert not Vote.objects.exists()


# --- the long pack: "Your vote" box and section index at the top (issue 16) -------------------
VOTE_BOX = 'id="your-vote"'


def _section_links(body):
    nav = re.search(
        r'<nav class="uc-nav small" aria-label="Sections of this pack">(.*?)</nav>', body, re.S
    )
    assert nav, "no section index"
    return re.findall(r'href="#([\w-]+)"', nav.group(1))


def test_the_pack_top_jumps_to_the_vote_form_and_to_each_section(
    client_for, voting_gate, leader, leader2, use_case
):
    item = item_of(voting_gate, use_case)
    url = reverse("stagegates:item", args=[item.pk])
    voting.vote_cast(user=leader, item=item, choice="hold", rationale="SECRET-RATIONALE-LENA")

    body = client_for(leader2).get(url).content.decode()  # has not voted
    assert '<a href="#voting">Vote on this item ↓</a>' in body
    assert body.index(VOTE_BOX) < body.index('id="recommendation"')  # at the top of the pack
    assert body.index('<section id="voting"') < body.index('name="choice"')  # the form is there
    assert "You voted" not in body and "SECRET-RATIONALE-LENA" not in body  # still blind
    links = _section_links(body)
    assert links == [
        "recommendation", "figures", "waterfall", "scenarios", "trends", "changes",
        "flags", "checklist", "voting", "decision",
    ]  # fmt: skip
    for anchor in links:
        assert body.count(f'id="{anchor}"') == 1, anchor

    body = client_for(leader).get(url).content.decode()  # has voted
    assert 'You voted <strong>Hold</strong> — <a href="#voting">change your vote ↓</a>' in body
    assert "Vote on this item" not in body

    # Voting through htmx swaps the box too (out of band), so the top says what was cast.
    response = client_for(leader2).post(
        reverse("stagegates:vote", args=[item.pk]),
        {"choice": "scale", "rationale": "Go."},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="voting"')
    assert 'id="your-vote" class="card your-vote" hx-swap-oob="true">You voted <strong>Scale' in (
        fragment
    )


def test_no_vote_box_for_who_does_not_vote_or_when_voting_is_not_open(
    client_for, gate, pmo, owner, leader, use_case
):
    item = item_of(gate, use_case)
    url = reverse("stagegates:item", args=[item.pk])
    body = client_for(leader).get(url).content.decode()  # draft: voting not open yet
    assert VOTE_BOX not in body and "#recommendation" in body  # the index is always there

    services.gate_open_voting(user=pmo, gate=gate)
    assert VOTE_BOX in client_for(leader).get(url).content.decode()
    for user in (pmo, owner):
        assert VOTE_BOX not in client_for(user).get(url).content.decode()

    services.gate_close(user=pmo, gate=gate)
    body = client_for(leader).get(url).content.decode()
    assert VOTE_BOX not in body and "#recommendation" in body


# --- the close summary and explicit decisions (issue 15) ----------------------------------------
CLOSE_PAGE = {
    "anonymous": "login",
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "owner": 403,
    "leader": 200,  # the chair
    "pmo": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_close_summary_page_per_role_closes_nothing(role, role_users, client_for, voting_gate):
    response = client_for(user_of(role, role_users)).get(
        reverse("stagegates:close", args=[voting_gate.pk])
    )
    assert_status(response, CLOSE_PAGE[role])
    voting_gate.refresh_from_db()
    assert voting_gate.is_voting


def test_close_summary_then_confirm_without_javascript(
    client_for, voting_gate, pmo, leader, leader2, use_case, other_use_case
):
    make_user("lucy", "Leadership", first_name="Lucy", last_name="Lund")  # 3 members: 2 needed
    voted = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=voted, choice="scale", rationale="Good.")
    voting.vote_cast(user=leader2, item=voted, choice="scale", rationale="Good.")
    client = client_for(pmo)
    url = reverse("stagegates:close", args=[voting_gate.pk])

    detail = client.get(voting_gate.get_absolute_url()).content.decode()
    assert f'href="{url}"' in detail  # the close button leads to the summary, a plain link

    page = client.get(url).content.decode()
    assert "Close gate 2026-Q4?" in page and "cannot be undone" in page
    rows = re.findall(
        r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td[^>]*>([^<]+)</td>\s*<td>(.*?)</td>", page
    )
    assert sorted((name, votes, re.sub("<[^>]+>", "", out)) for name, votes, out in rows) == [
        # the PMO has not voted: blind voting hides the choices until closing
        (use_case.name, "2 of 3", "quorum reached (outcome shown at closing)"),
        (other_use_case.name, "0 of 3", "no quorum (0 of 3 voted, 2 needed)"),
    ]
    assert "Leo Leader — voted on 1 of 2 item(s)" in page
    assert "Lucy Lund — voted on 0 of 2 item(s)" in page
    assert f'<form method="post" action="{url}"' in page and "Confirm: close the gate" in page

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == voting_gate.get_absolute_url()
    voting_gate.refresh_from_db()
    assert voting_gate.is_closed
    told = client.get(response["Location"]).content.decode()
    assert "2 decision(s) to record, 1 without a vote outcome." in told

    after = client.get(url).content.decode()
    assert "Confirm: close the gate" not in after
    assert "<strong>Scale</strong>" in after and "no quorum (0 of 3 voted, 2 needed)" in after
    detail = client.get(voting_gate.get_absolute_url()).content.decode()
    assert "no quorum (0 of 3 voted, 2 needed)" in detail


def test_the_chair_sees_outcomes_of_items_voted_on_before_closing(
    client_for, voting_gate, leader, leader2, use_case
):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="stop", rationale="r")
    voting.vote_cast(user=leader2, item=item, choice="hold", rationale="r")
    page = client_for(leader).get(reverse("stagegates:close", args=[voting_gate.pk]))
    assert "tied (Hold 1 · Stop 1)" in page.content.decode()


def test_close_page_of_a_draft_sends_back_with_a_message(client_for, pmo, gate):
    response = client_for(pmo).get(reverse("stagegates:close", args=[gate.pk]), follow=True)
    assert "Open voting before closing the gate." in response.content.decode()


def _decision_form(html):
    return html[html.index('action="/gates/items/') : html.index("Record the decision")]


def test_each_choice_shows_its_consequence_and_nothing_is_preselected_without_outcome(
    client_for, voting_gate, pmo, leader, use_case
):
    use_case.stage, use_case.funding_status = "scaled", "funded"
    use_case.save()
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    client = client_for(leader)
    page = client.get(reverse("stagegates:item", args=[item.pk])).content.decode()
    form = _decision_form(page)
    name = use_case.name
    for sentence in (
        f"Scale: {name} stays at Scaled / Funded",
        f"Redesign: {name} moves from Scaled / Funded to Redesign / Conditional",
        f"Hold: {name} moves from Scaled / Funded to On hold / Frozen",
        f"Stop: {name} moves from Scaled / Funded to Stopped / Ended",
    ):
        assert sentence in form
    assert "checked" not in form
    assert "No vote outcome: no quorum (0 of 1 voted, 1 needed)" in form

    response = client.post(reverse("stagegates:decide", args=[item.pk]), {"rationale": "?"})
    assert response.status_code == 400
    assert "There is no vote outcome: no quorum (0 of 1 voted, 1 needed). Choose a decision." in (
        response.content.decode()
    )
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == ("scaled", "funded")
    assert not Decision.objects.exists()


def test_the_outcome_is_preselected_when_there_is_one(
    client_for, voting_gate, pmo, leader, use_case
):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="stop", rationale="r")
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    form = _decision_form(
        client_for(leader).get(reverse("stagegates:item", args=[item.pk])).content.decode()
    )
    assert re.findall(r'value="(\w+)"[^>]*checked', form) == ["stop"]


def test_the_agenda_says_what_its_flag_badges_count(client_for, leader, gate, use_case):
    """One stop-loss breach and one early-warning signal: the agenda shows "1 stop-loss breach"
    and "1 early warning", never a "2" next to the word stop-loss."""
    stop_loss_flag(use_case)
    stop_loss_flag(
        use_case,
        period="2026-W47",
        kind=FlagKind.EXCEPTIONS_GROWING,
        rule_key="signal:exceptions_growing:2026-W47",
        explanation="Exceptions grew three weeks in a row.",
    )
    body = client_for(leader).get(reverse("stagegates:detail", args=[gate.pk])).content.decode()
    row = body.split(f">{use_case.name}</a>")[1].split("</tr>")[0]
    assert "1 stop-loss breach<" in row
    assert "1 early warning<" in row
    assert ">2<" not in row
