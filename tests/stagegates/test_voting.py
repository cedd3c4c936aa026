"""stagegates.voting: one vote per member and item, changeable until closing, blind until cast."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stagegates import services, voting
from stagegates.models import Vote

from .helpers import item_of

pytestmark = pytest.mark.django_db


def test_cast_and_change_a_vote(voting_gate, leader, use_case):
    item = item_of(voting_gate, use_case)
    vote, created = voting.vote_cast(user=leader, item=item, choice="scale", rationale="Works.")
    assert created
    changed, created = voting.vote_cast(
        user=leader, item=item, choice="redesign", rationale="Rework too high."
    )
    assert not created and changed.pk == vote.pk
    assert Vote.objects.get().choice == "redesign"
    history = list(changed.history.order_by("history_date").values_list("choice", "history_user"))
    assert history == [("scale", leader.pk), ("redesign", leader.pk)]


def test_rationale_and_choice_are_required(voting_gate, leader, use_case):
    item = item_of(voting_gate, use_case)
    with pytest.raises(ValidationError) as excinfo:
        voting.vote_cast(user=leader, item=item, choice="maybe", rationale="  ")
    assert set(excinfo.value.message_dict) == {"choice", "rationale"}
    assert not Vote.objects.exists()


@pytest.mark.parametrize("role", ["pmo", "owner", "other_owner", "contributor", "admin"])
def test_only_leadership_votes(role, role_users, voting_gate, use_case):
    with pytest.raises(PermissionDenied):
        voting.vote_cast(
            user=role_users[role], item=item_of(voting_gate, use_case), choice="hold", rationale="x"
        )


def test_no_vote_before_opening_or_after_closing(gate, pmo, leader, use_case):
    item = item_of(gate, use_case)
    with pytest.raises(ValidationError) as excinfo:
        voting.vote_cast(user=leader, item=item, choice="hold", rationale="x")
    assert excinfo.value.message_dict["gate"] == ["Voting has not opened yet at this gate."]
    services.gate_open_voting(user=pmo, gate=gate)
    voting.vote_cast(user=leader, item=item, choice="hold", rationale="x")
    services.gate_close(user=pmo, gate=gate)
    with pytest.raises(ValidationError) as excinfo:
        voting.vote_cast(user=leader, item=item, choice="stop", rationale="changed my mind")
    assert "closed" in excinfo.value.message_dict["gate"][0]
    assert Vote.objects.get().choice == "hold"


def test_votes_are_blind_until_cast(voting_gate, pmo, leader, leader2, use_case, owner):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="Lena's reason")

    hidden = voting.votes_for(leader2, [item])[item.pk]
    assert (hidden.visible, hidden.votes, hidden.mine) == (False, [], None)
    for user in (pmo, owner):  # non-voters see nothing before closing
        assert voting.votes_for(user, [item])[item.pk].visible is False

    voting.vote_cast(user=leader2, item=item, choice="hold", rationale="Leo's reason")
    shown = voting.votes_for(leader2, [item])[item.pk]
    assert shown.visible
    assert [(v.voter.username, v.choice) for v in shown.votes] == [
        ("lena", "scale"),
        ("leo", "hold"),
    ]
    assert shown.counts_text == "Scale 1 · Hold 1"


def test_after_closing_leadership_and_pmo_see_votes_owners_do_not(
    voting_gate, pmo, leader, leader2, use_case, owner, admin_user
):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="r")
    services.gate_close(user=pmo, gate=voting_gate)
    item = item_of(voting_gate, use_case)
    for user in (pmo, leader2, admin_user):  # leader2 never voted: the gate is closed now
        assert voting.votes_for(user, [item])[item.pk].total == 1
    assert voting.votes_for(owner, [item])[item.pk].visible is False


def test_removed_item_takes_no_votes(gate, pmo, leader, use_case):
    item = item_of(gate, use_case)
    services.gate_item_remove(user=pmo, item=item)
    item2 = item_of(gate, use_case)
    services.gate_open_voting(user=pmo, gate=gate)
    with pytest.raises(ValidationError) as excinfo:
        voting.vote_cast(user=leader, item=item2, choice="hold", rationale="x")
    assert "item" in excinfo.value.message_dict
