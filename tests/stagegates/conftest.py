"""Stage gate fixtures. Time is frozen at 2026-11-25 (quarter 2026-Q4) for every test here.

- ``gate``: the 2026-Q4 gate created by the PMO (opens 2026-11-16, closes 2026-12-04, chaired by
  ``leader``); its agenda holds ``use_case`` and ``other_use_case`` (both in rollout).
- ``voting_gate``: the same gate, open for votes.
- ``leader2``: a second Leadership member.
"""

import pytest
import time_machine

from tests.conftest import make_user

from .helpers import NOW, create_gate, open_voting


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leader2(db):
    return make_user("leo", "Leadership", first_name="Leo", last_name="Leader")


@pytest.fixture
def gate(pmo, leader, use_case, other_use_case):
    return create_gate(pmo, leader)


@pytest.fixture
def voting_gate(gate, pmo):
    return open_voting(gate, pmo)
