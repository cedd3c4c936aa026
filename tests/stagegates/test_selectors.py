"""stagegates.selectors: what the pages and "My work" read."""

import pytest

from stagegates import selectors, services, voting

from .helpers import item_of

pytestmark = pytest.mark.django_db


def test_items_awaiting_vote(voting_gate, leader, leader2, pmo, use_case, other_use_case):
    voting.vote_cast(user=leader, item=item_of(voting_gate, use_case), choice="hold", rationale="r")
    assert [i.use_case for i in selectors.items_awaiting_vote(user=leader)] == [other_use_case]
    assert len(selectors.items_awaiting_vote(user=leader2)) == 2
    assert not selectors.items_awaiting_vote(user=pmo).exists()  # the PMO never votes
    services.gate_close(user=pmo, gate=voting_gate)
    assert not selectors.items_awaiting_vote(user=leader2).exists()


def test_gate_list_counts_visible_items(gate, contributor, leader):
    assert selectors.gate_list(user=leader).get().item_count == 2
    assert selectors.gate_list(user=contributor).get().item_count == 1
