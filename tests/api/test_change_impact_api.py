"""The change log with its impact, and the changes proposed from telemetry, through the API and
on the use case page: who may confirm or dismiss (per role), the confirmation's rules, the
impact figures (hand-computed in tests/reviews/impact_helpers.py), and a fixed number of queries
for 1 and 5 changes."""

import datetime

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.change_api import PLACES
from reviews.change_impact import use_case_changes
from tests.factories import ModelChangeFactory
from tests.reviews.impact_helpers import EFFECTIVE, impact_weeks, write_weeks
from tests.use_case_sections import get_section
from usecases.models import ModelChange, Notification, ProposalStatus, ProposedChange

pytestmark = pytest.mark.django_db

#: Who may confirm or dismiss (the value owner and the PMO; admins are PMO).
DECIDE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": "ok",
    "owner": "ok",
    "admin": "ok",
}


@pytest.fixture
def proposal(use_case):
    return ProposedChange.objects.create(
        use_case=use_case,
        kind="model",
        previous_value="gpt-4o",
        new_value="gpt-4.1",
        first_seen=datetime.date(2026, 11, 20),
    )


def confirm_url(proposal):
    return reverse("api:proposed-change-confirm", args=[proposal.pk])


def dismiss_url(proposal):
    return reverse("api:proposed-change-dismiss", args=[proposal.pk])


@pytest.mark.parametrize("role", list(DECIDE))
def test_confirm_per_role(role, api_for, proposal):
    response = api_for(role).post(
        confirm_url(proposal), {"effective_date": "2026-11-18"}, format="json"
    )
    proposal.refresh_from_db()
    if DECIDE[role] == "ok":
        assert response.status_code == 201, response.content
        change = ModelChange.objects.get(pk=response.json()["id"])
        assert (change.version_label, change.kind, change.effective_date.isoformat()) == (
            "gpt-4.1",
            "model",
            "2026-11-18",  # edited: the proposal said the 20th
        )
        assert "Model gpt-4o → gpt-4.1" in change.description
        assert (proposal.status, proposal.change_id) == (ProposalStatus.CONFIRMED, change.pk)
    else:
        assert response.status_code == DECIDE[role]
        assert proposal.status == ProposalStatus.PROPOSED
        assert not ModelChange.objects.exists()


@pytest.mark.parametrize("role", list(DECIDE))
def test_dismiss_per_role(role, api_for, proposal):
    response = api_for(role).post(dismiss_url(proposal), format="json")
    proposal.refresh_from_db()
    if DECIDE[role] == "ok":
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "dismissed"
        assert proposal.status == ProposalStatus.DISMISSED
    else:
        assert response.status_code == DECIDE[role]
        assert proposal.status == ProposalStatus.PROPOSED
    assert not ModelChange.objects.exists()


def test_a_decided_proposal_cannot_be_decided_again(api_for, proposal):
    owner = api_for("owner")
    assert owner.post(dismiss_url(proposal), format="json").status_code == 200
    again = owner.post(confirm_url(proposal), {}, format="json")
    assert again.status_code == 400
    assert again.json()["non_field_errors"] == ["This proposal was already dismissed."]
    assert owner.post(dismiss_url(proposal), format="json").status_code == 400


def test_confirm_keeps_the_rules_of_a_logged_change(api_for, proposal, use_case):
    ModelChangeFactory(use_case=use_case, version_label="gpt-4.1")
    owner = api_for("owner")
    taken = owner.post(confirm_url(proposal), {}, format="json")
    assert taken.status_code == 400
    assert taken.json()["version_label"] == [
        "This use case already has a change with this version label."
    ]
    future = owner.post(
        confirm_url(proposal),
        {"version_label": "gpt-4.1 (prod)", "effective_date": "2026-12-01"},
        format="json",
    )
    assert future.status_code == 400
    assert "future" in future.json()["effective_date"][0]
    unknown = owner.post(confirm_url(proposal), {"kind": "prompt"}, format="json")
    assert unknown.status_code == 400
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_proposals_list_for_whoever_sees_the_use_case(api_for, proposal, use_case):
    url = reverse("api:use-case-proposed-changes", args=[use_case.pk])
    body = api_for("contributor").get(url).json()
    assert [(p["what_changed"], p["status"]) for p in body] == [
        ("Model gpt-4o → gpt-4.1", "proposed")
    ]
    assert api_for("owner").get(url, {"status": "confirmed"}).json() == []
    assert api_for("owner").get(url, {"status": "nope"}).status_code == 400
    assert api_for("outsider").get(url).status_code == 404


def test_changes_api_carries_each_entry_s_impact(api_for, use_case):
    change = impact_weeks(use_case)
    body = api_for("leader").get(reverse("api:use-case-changes", args=[use_case.pk])).json()
    (entry,) = body["changes"]
    assert entry["id"] == change.pk
    assert entry["proposed_from_telemetry"] is False
    impact = entry["impact"]
    assert impact["status"] == "ready"
    assert impact["weeks_before"] == ["2026-W43", "2026-W44"]
    metrics = {m["key"]: m for m in impact["metrics"]}
    assert (metrics["adoption_rate"]["before"], metrics["adoption_rate"]["after"]) == (
        "0.6500",
        "0.8500",
    )
    assert metrics["adoption_rate"]["difference"] == "0.2000"
    assert metrics["quality_score"]["difference"] == "6.00"
    assert metrics["run_cost_per_task"]["before"] == "1.2381"  # 26/21
    assert metrics["gross_efficiency_per_task"]["after"] == "4.1250"
    assert body["proposed"] == []


def test_changes_api_says_not_enough_weeks(api_for, use_case):
    write_weeks(use_case, {"2026-W44": (70, 700, 105, 30, "4", "84")})
    ModelChangeFactory(use_case=use_case, effective_date=datetime.date(2026, 11, 23))
    body = api_for("owner").get(reverse("api:use-case-changes", args=[use_case.pk])).json()
    impact = body["changes"][0]["impact"]
    assert impact["status"] == "not_enough_weeks"
    assert impact["metrics"] == []
    assert impact["message"].startswith("Not enough weeks yet")


def _changes(use_case, n):
    write_weeks(use_case)
    for i in range(n):
        ModelChangeFactory(
            use_case=use_case,
            version_label=f"v{i}",
            effective_date=EFFECTIVE + datetime.timedelta(days=7 * i),
        )
    ProposedChange.objects.create(
        use_case=use_case,
        kind="prompt",
        previous_value="p1",
        new_value="p2",
        first_seen=datetime.date(2026, 11, 20),
    )


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200
    return len(queries)


def test_the_api_and_the_section_ask_as_many_queries_for_5_changes_as_for_1(
    api_for, use_case, other_use_case, client, owner
):
    _changes(use_case, 1)
    _changes(other_use_case, 5)
    api = api_for("admin")
    one = _queries(lambda: api.get(reverse("api:use-case-changes", args=[use_case.pk])))
    five = _queries(lambda: api.get(reverse("api:use-case-changes", args=[other_use_case.pk])))
    assert one == five
    client.force_login(owner)  # a value owner reads the whole portfolio
    one = _queries(lambda: get_section(client, use_case, "changes"))
    five = _queries(lambda: get_section(client, other_use_case, "changes"))
    assert one == five


def test_the_section_shows_the_impact_table_and_the_proposals(client, owner, use_case, proposal):
    impact_weeks(use_case)
    client.force_login(owner)
    html = get_section(client, use_case, "changes").content.decode()
    assert "Model gpt-4o → gpt-4.1" in html
    assert reverse("usecases:proposal_confirm", args=[proposal.pk]) in html
    assert reverse("usecases:proposal_dismiss", args=[proposal.pk]) in html
    for text in ("65.0%", "85.0%", "+20.0 pp", "82.0", "88.0", "+6.0", "EUR 4.125"):
        assert text in html, text


def test_the_section_offers_no_decision_to_a_contributor(client, contributor, use_case, proposal):
    client.force_login(contributor)
    html = get_section(client, use_case, "changes").content.decode()
    assert "Model gpt-4o → gpt-4.1" in html
    assert reverse("usecases:proposal_dismiss", args=[proposal.pk]) not in html


def test_confirm_page_pre_fills_and_saves(client, owner, use_case, proposal):
    client.force_login(owner)
    url = reverse("usecases:proposal_confirm", args=[proposal.pk])
    form = client.get(url).content.decode()
    assert 'value="gpt-4.1"' in form and 'value="2026-11-20"' in form
    bad = client.post(url, {"version_label": "gpt-4.1", "effective_date": "2026-12-24"})
    assert bad.status_code == 200
    assert "future" in bad.content.decode()
    saved = client.post(
        url, {"version_label": "gpt-4.1", "effective_date": "2026-11-19", "description": "x"}
    )
    assert saved.status_code == 302
    assert ModelChange.objects.get(use_case=use_case).effective_date.isoformat() == "2026-11-19"
    assert Notification.objects.count() == 0  # the proposal was made here, not by the ingest


#: Who reads a use case's change log with its impact: whoever sees the use case.
READ = {
    "anonymous": 401,
    "outsider": 404,
    **{role: 200 for role in ("other_owner", "contributor", "leader", "pmo", "owner", "admin")},
}


@pytest.mark.parametrize("role", list(READ))
def test_changes_api_gives_the_impact_per_role(role, api_for, use_case):
    """Each reader gets every entry with its before/after figures, the same as the page's
    selector (``use_case_changes``); the others get no figure."""
    change = impact_weeks(use_case)
    response = api_for(role).get(reverse("api:use-case-changes", args=[use_case.pk]))
    assert response.status_code == READ[role]
    if READ[role] != 200:
        assert "changes" not in response.json()
        return
    (entry,) = response.json()["changes"]
    assert entry["id"] == change.pk
    got = {m["key"]: (m["before"], m["after"]) for m in entry["impact"]["metrics"]}
    selector = use_case_changes(use_case.pk).impacts[change.pk]
    assert got == {
        m.key: (f"{m.before.quantize(PLACES[m.unit])}", f"{m.after.quantize(PLACES[m.unit])}")
        for m in selector.metrics
    }
    assert got["adoption_rate"] == ("0.6500", "0.8500")
    assert got["quality_score"] == ("82.00", "88.00")


def _component(schema, ref_holder) -> dict:
    ref = ref_holder.get("$ref") or ref_holder["allOf"][0]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_schema_documents_the_impact_of_each_change():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    get = schema["paths"]["/api/v1/use-cases/{id}/changes/"]["get"]
    body = _component(schema, get["responses"]["200"]["content"]["application/json"]["schema"])
    entry = _component(schema, body["properties"]["changes"]["items"])
    assert {"version_label", "effective_date", "impact"} <= set(entry["properties"])
    impact = _component(schema, entry["properties"]["impact"])
    assert {"status", "weeks_before", "weeks_after", "metrics"} <= set(impact["properties"])
    metric = _component(schema, impact["properties"]["metrics"]["items"])
    assert {"key", "unit", "before", "after", "difference"} <= set(metric["properties"])
    assert metric["properties"]["difference"]["description"] == "after − before"
