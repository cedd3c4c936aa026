"""PMO creates use cases (/use-cases/new/) and edits them (/use-cases/<pk>/edit/)."""

import pytest
from django.urls import reverse

from tests.conftest import make_use_case, make_user
from usecases.models import BusinessCase, StageTransition, UseCase

pytestmark = pytest.mark.django_db
CREATE_URL = reverse("usecases:create")


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


def edit_url(use_case):
    return reverse("usecases:edit", args=[use_case.pk])


def form_data(**overrides):
    data = {
        "name": "Contract clause finder",
        "business_unit": "Legal",
        "workflow": "Contract review",
        "description": "Finds risky clauses.",
        "stage": "pilot",
        "funding_status": "conditional",
        "value_owner": "",
        "contributors": "",
        "target_users": "40",
        "live_since": "",
        "scaled_on": "",
    }
    data.update(overrides)
    return data


# --- create ------------------------------------------------------------------------------------
CREATE_STATUS = {
    "anonymous": 302,
    "outsider": 403,
    "foreign_contributor": 403,
    "contributor": 403,
    "other_owner": 403,
    "owner": 403,
    "leader": 403,
    "pmo": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", CREATE_STATUS)
def test_create_per_role(role, users, client_for):
    client = client_for(users[role])
    status = CREATE_STATUS[role]
    assert client.get(CREATE_URL).status_code == status
    before = UseCase.objects.count()
    response = client.post(CREATE_URL, form_data())
    if status == 200:
        assert response.status_code == 302
        assert UseCase.objects.count() == before + 1
    else:
        assert response.status_code == status
        assert UseCase.objects.count() == before
    if status == 302:
        assert response.url.startswith(reverse("login"))


def test_create_happy_path(client_for, pmo, owner, contributor, leader):
    client = client_for(pmo)
    response = client.post(
        CREATE_URL,
        form_data(
            value_owner="Olivia Owner",  # a full name only one person has
            contributors=f"{contributor.username}, {leader.username}",
            stage="rollout",
            live_since="2026-05-04",
        ),
    )
    use_case = UseCase.objects.get(name="Contract clause finder")
    assert response.status_code == 302
    assert response.url == use_case.get_absolute_url()
    assert use_case.value_owner == owner
    assert set(use_case.contributors.all()) == {contributor, leader}
    assert use_case.stage == "rollout"
    assert str(use_case.live_since) == "2026-05-04"
    # An empty business case comes with it.
    business_case = BusinessCase.objects.get(use_case=use_case)
    assert business_case.hourly_cost == 0
    # One creation record naming the PMO, with the contributors in it.
    (record,) = use_case.history.all()
    assert record.history_type == "+"
    assert record.history_user == pmo
    assert {r.user_id for r in record.contributors.all()} == {contributor.pk, leader.pk}
    assert business_case.history.get().history_user == pmo
    # The page it lands on says so (the history that also says it loads as its own section).
    html = client.get(response.url).content.decode()
    assert "Use case “Contract clause finder” created." in html


def test_create_form_searches_people_and_lists_none(client_for, pmo, owner):
    """The value owner and the contributors are searches (``usecases.person_search``): no
    ``<option>`` per account in the page."""
    html = client_for(pmo).get(CREATE_URL).content.decode()
    assert "<option" not in html.split('name="value_owner"')[1].split("</fieldset>")[0]
    for name in ("value_owner", "contributors"):
        assert f'type="search" name="{name}"' in html
        assert f'list="id_{name}-options"' in html
    assert 'hx-get="/use-cases/people/"' in html


def test_create_wrong_method(client_for, pmo):
    assert client_for(pmo).put(CREATE_URL).status_code == 405
    assert client_for(pmo).delete(CREATE_URL).status_code == 405


def test_create_duplicate_name_is_a_field_error(client_for, pmo, use_case):
    before = UseCase.objects.count()
    response = client_for(pmo).post(CREATE_URL, form_data(name=use_case.name))
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Use case with this Name already exists."]
    assert UseCase.objects.count() == before
    assert 'aria-invalid="true"' in response.content.decode()


def test_create_scaled_before_live_is_a_field_error(client_for, pmo):
    response = client_for(pmo).post(
        CREATE_URL, form_data(live_since="2026-06-01", scaled_on="2026-05-31")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["scaled_on"]
    assert "before “live since”" in errors["scaled_on"][0]
    assert not UseCase.objects.filter(name="Contract clause finder").exists()
    assert not BusinessCase.objects.filter(use_case__name="Contract clause finder").exists()


@pytest.mark.parametrize(
    "field,value",
    [("name", ""), ("business_unit", ""), ("stage", "shipped"), ("target_users", "-3")],
)
def test_create_invalid_fields(field, value, client_for, pmo):
    response = client_for(pmo).post(CREATE_URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not UseCase.objects.filter(business_unit="Legal").exists()


# --- edit --------------------------------------------------------------------------------------
EDIT_STATUS = {
    "anonymous": 302,
    "outsider": 404,
    "foreign_contributor": 404,
    "contributor": 403,
    "other_owner": 403,
    "owner": 403,
    "leader": 403,
    "pmo": 200,
    "admin": 200,
}


def edit_data(use_case, **overrides):
    data = form_data(
        name=use_case.name,
        business_unit=use_case.business_unit,
        workflow=use_case.workflow,
        description=use_case.description,
        stage=use_case.stage,
        funding_status=use_case.funding_status,
        value_owner=use_case.value_owner.username if use_case.value_owner else "",
        contributors=", ".join(u.username for u in use_case.contributors.all()),
        target_users=str(use_case.target_users),
        live_since=use_case.live_since.isoformat() if use_case.live_since else "",
        scaled_on=use_case.scaled_on.isoformat() if use_case.scaled_on else "",
    )
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", EDIT_STATUS)
def test_edit_per_role(role, users, use_case, client_for):
    client = client_for(users[role])
    status = EDIT_STATUS[role]
    get = client.get(edit_url(use_case))
    assert get.status_code == status
    response = client.post(edit_url(use_case), edit_data(use_case, business_unit="Support"))
    use_case.refresh_from_db()
    if status == 200:
        assert response.status_code == 302
        assert use_case.business_unit == "Support"
    else:
        assert response.status_code == status
        assert use_case.business_unit == "Customer Service"


def test_edit_form_is_prefilled(client_for, pmo, use_case, contributor):
    form = client_for(pmo).get(edit_url(use_case)).context["form"]
    assert form.initial["name"] == use_case.name
    assert form["value_owner"].value() == "olivia"
    assert form["contributors"].value() == "carl"


def test_edit_happy_path_records_one_history_entry(
    client_for, pmo, use_case, other_owner, leader, contributor
):
    before = use_case.history.count()
    response = client_for(pmo).post(
        edit_url(use_case),
        edit_data(
            use_case,
            stage="scaled",
            funding_status="funded",
            scaled_on="2026-09-01",
            value_owner=other_owner.username,
            contributors=leader.username,
            change_reason="Every team uses it.",
        ),
    )
    assert response.status_code == 302
    assert response.url == use_case.get_absolute_url()
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == ("scaled", "funded")
    assert use_case.value_owner == other_owner
    assert list(use_case.contributors.all()) == [leader]
    assert use_case.history.count() == before + 1
    record = use_case.history.first()
    assert record.history_user == pmo
    assert record.history_change_reason == "Every team uses it."
    assert {r.user_id for r in record.contributors.all()} == {leader.pk}
    diff = record.diff_against(record.prev_record)
    assert set(diff.changed_fields) == {
        "stage",
        "funding_status",
        "scaled_on",
        "value_owner",
        "contributors",
    }


def test_edit_without_changes_writes_no_history(client_for, pmo, use_case):
    before = use_case.history.count()
    response = client_for(pmo).post(edit_url(use_case), edit_data(use_case))
    assert response.status_code == 302
    assert use_case.history.count() == before


def test_edit_clears_value_owner(client_for, pmo, use_case):
    client_for(pmo).post(edit_url(use_case), edit_data(use_case, value_owner=""))
    use_case.refresh_from_db()
    assert use_case.value_owner is None


def test_edit_scaled_before_live_is_a_field_error(client_for, pmo, use_case):
    before = use_case.history.count()
    response = client_for(pmo).post(
        edit_url(use_case),
        edit_data(use_case, scaled_on="2026-01-01", stage="scaled", change_reason="Scaled."),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["scaled_on"]
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"
    assert use_case.scaled_on is None
    assert use_case.history.count() == before
    # The page title keeps the stored name while the form shows the input.
    assert f"Edit {use_case.name}" in response.content.decode()


def test_edit_duplicate_name_is_a_field_error(client_for, pmo, use_case, other_use_case):
    response = client_for(pmo).post(
        edit_url(use_case), edit_data(use_case, name=other_use_case.name)
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    use_case.refresh_from_db()
    assert use_case.name == "Customer-response assistant"


def test_edit_wrong_method(client_for, pmo, use_case):
    assert client_for(pmo).put(edit_url(use_case)).status_code == 405


def test_edit_unknown_use_case_is_404(client_for, pmo):
    assert client_for(pmo).get(reverse("usecases:edit", args=[999999])).status_code == 404


def test_edit_keeps_a_deactivated_contributor_and_owner_choosable(client_for, pmo, use_case):
    use_case.value_owner.is_active = False
    use_case.value_owner.save()
    retired = make_user("rita", is_active=False)
    use_case.contributors.add(retired)
    client = client_for(pmo)
    form = client.get(edit_url(use_case)).context["form"]
    choosable = set(form.fields["contributors"].queryset.values_list("username", flat=True))
    assert {"olivia", "rita", "carl", "pia"} <= choosable
    response = client.post(edit_url(use_case), edit_data(use_case, business_unit="Support"))
    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.business_unit == "Support"
    # A deactivated user who holds no role here is not offered.
    other = make_use_case(name="Another", owner=None)
    form = client.get(edit_url(other)).context["form"]
    assert "rita" not in set(
        form.fields["contributors"].queryset.values_list("username", flat=True)
    )


def test_edit_of_stage_leaves_a_stage_transition_naming_the_pmo_edit(client_for, pmo, use_case):
    data = edit_data(
        use_case, stage="on_hold", funding_status="frozen", change_reason="Team on leave."
    )
    assert client_for(pmo).post(edit_url(use_case), data).status_code == 302
    [moved] = StageTransition.objects.filter(use_case=use_case)
    assert (moved.stage_before, moved.stage_after) == ("rollout", "on_hold")
    assert (moved.funding_before, moved.funding_after) == ("conditional", "frozen")
    assert (moved.cause_kind, moved.cause_id) == ("pmo_edit", None)
    assert moved.cause_label == "PMO edit by pia (web form)"
    assert (moved.reason, moved.actor) == ("Team on leave.", pmo)
    assert use_case.history.first().history_change_reason == "Team on leave."


def test_edit_without_stage_or_funding_change_leaves_no_stage_transition(client_for, pmo, use_case):
    data = edit_data(use_case, business_unit="Support")
    assert client_for(pmo).post(edit_url(use_case), data).status_code == 302
    assert not StageTransition.objects.exists()
