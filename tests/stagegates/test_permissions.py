"""stagegates.permissions: who sees which gates and items, who closes, decides and votes."""

import pytest

from stagegates import permissions as p
from stagegates.models import Gate

from .helpers import item_of

pytestmark = pytest.mark.django_db

# role → (sees the gate, sees use_case's item, sees other_use_case's item, closes, decides, votes)
EXPECTED = {
    "owner": (True, True, True, False, False, False),
    "other_owner": (True, True, True, False, False, False),
    "contributor": (True, True, False, False, False, False),
    "leader": (True, True, True, True, True, True),  # the chair
    "pmo": (True, True, True, True, False, False),
    "admin": (True, True, True, True, True, False),
    "outsider": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("role", EXPECTED)
def test_rules_per_role(role, role_users, gate, use_case, other_use_case):
    user = role_users[role]
    sees_gate, sees_mine, sees_other, closes, decides, votes = EXPECTED[role]
    assert p.visible_gates(user).filter(pk=gate.pk).exists() is sees_gate
    visible = set(p.visible_items(user).values_list("use_case_id", flat=True))
    assert (use_case.pk in visible, other_use_case.pk in visible) == (sees_mine, sees_other)
    assert p.can_close(user, gate) is closes
    assert p.can_decide(user, gate) is decides
    assert p.can_vote_on(user, item_of(gate, use_case)) is votes


def test_contributor_loses_the_gate_when_their_item_is_removed(gate, pmo, contributor, use_case):
    from stagegates import services

    services.gate_item_remove(user=pmo, item=item_of(gate, use_case))
    assert not p.visible_gates(contributor).exists()
    assert Gate.objects.count() == 1


def test_another_leader_is_not_the_chair(gate, leader2):
    assert not p.can_chair(leader2, gate)
    assert not p.can_close(leader2, gate)
