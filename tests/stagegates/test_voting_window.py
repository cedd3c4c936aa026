"""Voting opens and a gate closes on its opening day or later, never before (issue 13): through
the service, the API and the gate page. Today is 2026-11-25."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from stagegates import services
from stagegates.models import Gate, GateStatus

from .helpers import create_gate

pytestmark = pytest.mark.django_db

LATER = datetime.date(2026, 11, 30)
MESSAGE = "The gate opens on 2026-11-30: voting cannot open or close before that day"


@pytest.fixture
def later_gate(pmo, leader, use_case, other_use_case):
    return create_gate(pmo, leader, opens_on=LATER)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_service_refuses_to_open_voting_before_the_opening_day(later_gate, pmo):
    with pytest.raises(ValidationError) as exc:
        services.gate_open_voting(user=pmo, gate=later_gate)
    assert MESSAGE in exc.value.message_dict["gate"][0]
    assert Gate.objects.get(pk=later_gate.pk).status == GateStatus.DRAFT


def test_api_refuses_to_open_voting_before_the_opening_day(later_gate, pmo):
    response = api(pmo).post(f"/api/v1/gates/{later_gate.pk}/open-voting/")
    assert response.status_code == 400
    assert MESSAGE in response.json()["gate"][0]
    assert Gate.objects.get(pk=later_gate.pk).status == GateStatus.DRAFT


def test_page_refuses_to_open_voting_before_the_opening_day(later_gate, pmo, client):
    client.force_login(pmo)
    response = client.post(reverse("stagegates:open_voting", args=[later_gate.pk]))
    assert response.status_code == 302
    assert any(MESSAGE in str(m) for m in get_messages(response.wsgi_request))
    assert Gate.objects.get(pk=later_gate.pk).status == GateStatus.DRAFT


def test_a_gate_opened_early_before_this_rule_cannot_be_closed_early(later_gate, pmo, leader):
    Gate.objects.filter(pk=later_gate.pk).update(status=GateStatus.VOTING)
    response = api(leader).post(f"/api/v1/gates/{later_gate.pk}/close/")
    assert response.status_code == 400
    assert MESSAGE in response.json()["gate"][0]
    assert Gate.objects.get(pk=later_gate.pk).status == GateStatus.VOTING


def test_on_the_opening_day_voting_opens(pmo, leader, use_case, other_use_case):
    gate = create_gate(pmo, leader, opens_on=datetime.date(2026, 11, 25))
    assert services.gate_open_voting(user=pmo, gate=gate).status == GateStatus.VOTING
