"""Which versions the ingest proposes as change-log entries (docs/telemetry.md, "Proposed
changes"): the baseline, several versions in one batch, spans naming no model, a dismissed
proposal, and who is told. Batches go through the OTLP endpoint (protobuf from the real SDK)."""

import pytest
import time_machine
from django.test import Client

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryVersion
from tests.conftest import make_use_case, make_user
from usecases import change_proposals
from usecases.models import Notification, ProposedChange

from .telemetry_helpers import NOW, Recorder, at, chat, protobuf_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def post(key, *spans_of):
    recorder = Recorder()
    for day, attributes in spans_of:
        recorder.span("chat", at(day, 9), attributes=attributes)
    response = Client().generic(
        "POST",
        "/otlp/v1/traces",
        protobuf_of(recorder.take()),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def owned():
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    return owner, use_case, ingest_key_create(user=owner, use_case=use_case)[0]


def test_every_version_of_the_first_batch_is_the_baseline(owned):
    _owner, use_case, key = owned
    post(key, (23, chat("gpt-4o", 1, 1)), (23, chat("text-embedding-3", 1, 0)))
    assert not ProposedChange.objects.exists()
    assert set(TelemetryVersion.objects.values_list("kind", "value")) == {
        ("model", "gpt-4o"),
        ("model", "text-embedding-3"),
    }


def test_a_new_model_and_a_new_prompt_in_one_batch_are_two_proposals(owned):
    owner, use_case, key = owned
    post(key, (23, chat("gpt-4o", 1, 1, **{"valuegate.prompt.version": "p7"})))
    post(
        key,
        (25, chat("gpt-4.1", 1, 1, **{"valuegate.prompt.version": "p8"})),
        (24, chat("gpt-4.1", 1, 1, **{"valuegate.prompt.version": "p7"})),
    )
    found = {
        (p.kind, p.previous_value, p.new_value, p.first_seen.day)
        for p in ProposedChange.objects.all()
    }
    # gpt-4.1's first day is the earliest span naming it (the 24th), p8's the 25th.
    assert found == {("model", "gpt-4o", "gpt-4.1", 24), ("prompt", "p7", "p8", 25)}
    assert Notification.objects.filter(recipient=owner, kind="change_proposed").count() == 2


def test_tokens_without_a_model_name_no_version(owned):
    _owner, _use_case, key = owned
    post(key, (23, chat("gpt-4o", 1, 1)))
    post(key, (24, {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 5}))
    assert not ProposedChange.objects.exists()
    assert TelemetryVersion.objects.count() == 1


def test_a_dismissed_version_is_not_proposed_again(owned):
    owner, _use_case, key = owned
    post(key, (23, chat("gpt-4o", 1, 1)))
    post(key, (24, chat("gpt-4.1", 1, 1)))
    change_proposals.proposal_dismiss(user=owner, proposal=ProposedChange.objects.get())
    post(key, (25, chat("gpt-4.1", 1, 1)), (25, chat("gpt-4o", 1, 1)))
    assert list(ProposedChange.objects.values_list("status", flat=True)) == ["dismissed"]


def test_without_a_value_owner_the_pmo_is_told():
    pmo = make_user("pia", "PMO")
    use_case = make_use_case(owner=None)
    key = ingest_key_create(user=pmo, use_case=use_case)[0]
    post(key, (23, chat("gpt-4o", 1, 1)))
    post(key, (24, chat("gpt-4.1", 1, 1)))
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["pia"]
