"""``GET /api/v1/notifications/`` and ``POST /api/v1/notifications/{id}/read/`` (issue 15): the
caller's own inbox, newest first, paginated, ``?unread=true``; marking one read; anyone else's is
a 404."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from stagegates import services as gate_services
from tests.conftest import api_token
from usecases.models import Notification
from usecases.notify import notify

from .conftest import NOW

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def read_url(pk):
    return f"/api/v1/notifications/{pk}/read/"


def note(user, subject, period, title=None):
    notification, _ = notify(
        recipient=user,
        kind="weekly_reminder",
        subject=subject,
        period=period,
        title=title or f"Weekly review {period} is due",
        body="Please submit it.",
        url=f"/use-cases/{subject.pk}/",
    )
    return notification


def test_the_list_is_the_callers_own_newest_first(api_for, owner, other_owner, use_case):
    first = note(owner, use_case, "2026-W45")
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        second = note(owner, use_case, "2026-W46")
    note(other_owner, use_case, "2026-W46", title="Oscar's")

    body = api_for("owner").get(LIST).json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [n["id"] for n in body["results"]] == [second.pk, first.pk]
    assert body["results"][0] == {
        "id": second.pk,
        "kind": "weekly_reminder",
        "title": "Weekly review 2026-W46 is due",
        "body": "Please submit it.",
        "url": f"/use-cases/{use_case.pk}/",
        "subject_type": "usecases.usecase",
        "subject_id": use_case.pk,
        "period": "2026-W46",
        "created_at": "2026-11-25T11:30:00+01:00",
        "read_at": None,
        "unread": True,
        "emailed_at": body["results"][0]["emailed_at"],  # when the eager e-mail task ran
    }
    assert [n["title"] for n in api_for("other_owner").get(LIST).json()["results"]] == ["Oscar's"]
    assert api_for("pmo").get(LIST).json()["count"] == 0  # the PMO sees no one else's inbox
    assert api_for("admin").get(LIST).json()["count"] == 0


def test_the_list_is_paginated(api_for, owner, use_case):
    for week in range(1, 53):
        note(owner, use_case, f"2026-W{week:02d}")
    client = api_for("owner")
    page1 = client.get(LIST).json()
    assert page1["count"] == 52 and len(page1["results"]) == 50
    assert page1["results"][0]["period"] == "2026-W52"  # newest first
    page2 = client.get(page1["next"]).json()
    assert [n["period"] for n in page2["results"]] == ["2026-W02", "2026-W01"]


def test_unread_true_keeps_the_unread_ones(api_for, owner, use_case):
    read = note(owner, use_case, "2026-W45")
    unread = note(owner, use_case, "2026-W46")
    client = api_for("owner")
    assert client.post(read_url(read.pk)).status_code == 200
    for value in ("true", "True", "1"):
        body = client.get(LIST, {"unread": value}).json()
        assert [n["id"] for n in body["results"]] == [unread.pk], value
    for value in ("false", "False", "0"):
        body = client.get(LIST, {"unread": value}).json()
        assert [n["id"] for n in body["results"]] == [read.pk], value
    assert client.get(LIST, {"unread": ""}).json()["count"] == 2  # empty: no filter
    assert client.get(LIST).json()["count"] == 2


@pytest.mark.parametrize("value", ["yes", "2", "maybe", "tru"])
def test_an_invalid_unread_value_is_a_400_at_the_field(api_for, owner, value):
    response = api_for("owner").get(LIST, {"unread": value})
    assert response.status_code == 400
    assert response.json() == {
        "unread": [
            "Use unread=true for the unread notifications, unread=false for the read ones, or "
            "leave it out for all."
        ]
    }


def test_mark_read_is_idempotent_and_keeps_the_first_time(api_for, owner, use_case):
    n = note(owner, use_case, "2026-W46")
    client = api_for("owner")
    response = client.post(read_url(n.pk))
    assert response.status_code == 200
    assert response.json()["read_at"] == "2026-11-25T10:30:00+01:00"
    assert response.json()["unread"] is False
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        again = client.post(read_url(n.pk))
    assert again.status_code == 200 and again.json()["read_at"] == "2026-11-25T10:30:00+01:00"
    assert client.get(LIST, {"unread": "true"}).json()["count"] == 0


@pytest.mark.parametrize("role", ["other_owner", "pmo", "admin", "leader"])
def test_someone_elses_notification_is_a_404_and_stays_unread(api_for, role, owner, use_case):
    n = note(owner, use_case, "2026-W46")
    response = api_for(role).post(read_url(n.pk))
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999", "abc", "%D9%A2"])
def test_an_unknown_or_malformed_id_is_a_404(api_for, owner, pk):
    response = api_for("owner").post(f"/api/v1/notifications/{pk}/read/")
    assert response.status_code == 404


def test_anonymous_gets_401_and_a_token_works(owner, use_case):
    n = note(owner, use_case, "2026-W46")
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(read_url(n.pk)).status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(owner)}")
    assert client.get(LIST).json()["count"] == 1
    assert client.post(read_url(n.pk)).status_code == 200


def test_no_other_method(api_for, owner, use_case):
    n = note(owner, use_case, "2026-W46")
    client = api_for("owner")
    assert client.post(LIST, {}, format="json").status_code == 405
    assert client.get(f"/api/v1/notifications/{n.pk}/").status_code == 404  # no detail route
    assert client.delete(read_url(n.pk)).status_code == 405
    assert Notification.objects.filter(pk=n.pk).exists()


def test_a_leader_reads_the_gate_notice_through_the_api(api_for, pmo, leader, use_case):
    gate = gate_services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": leader,
        },
    )
    gate_services.gate_open_voting(user=pmo, gate=gate)
    [notice] = api_for("leader").get(LIST, {"unread": "true"}).json()["results"]
    assert notice["kind"] == "gate_voting_opened"
    assert notice["title"] == "Gate 2026-Q4: voting is open on 2 items"
    assert notice["url"] == f"/gates/{gate.pk}/"
    assert (notice["subject_type"], notice["subject_id"]) == ("stagegates.gate", gate.pk)


def test_the_schema_documents_both_operations():
    import yaml
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    from portfolio import api_urls

    own = [p for p in api_urls.urlpatterns if str(p.pattern).startswith("^notifications/")]
    GENERATOR_STATS.reset()
    generated = SchemaGenerator(patterns=[path("api/v1/", include(own))]).get_schema(
        request=None, public=True
    )
    validate_schema(generated)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)

    schema = yaml.safe_load(APIClient().get("/api/v1/schema/").content)
    listing = schema["paths"]["/api/v1/notifications/"]
    assert set(listing) == {"get"}
    unread = next(p for p in listing["get"]["parameters"] if p["name"] == "unread")
    assert unread["schema"]["type"] == "boolean"
    assert {"200", "400"} <= set(listing["get"]["responses"])
    read = schema["paths"]["/api/v1/notifications/{id}/read/"]
    assert set(read) == {"post"}
    assert {"200", "404"} <= set(read["post"]["responses"])
    assert "requestBody" not in read["post"]
