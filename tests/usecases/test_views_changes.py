"""Model/prompt change log: /use-cases/<pk>/changes/new/ (the value owner)."""

import datetime

import pytest
from django.urls import reverse

from tests.conftest import make_user
from tests.use_case_sections import whole_page
from usecases.models import ModelChange

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 18)


@pytest.fixture(autouse=True)
def _frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 18, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


def url(use_case):
    return reverse("usecases:model_change_create", args=[use_case.pk])


def data(**overrides):
    values = {
        "version_label": "prompt-v7",
        "kind": "prompt",
        "effective_date": "2026-11-16",
        "description": "Shorter answers, new tone of voice.",
    }
    values.update(overrides)
    return values


STATUS = {
    "anonymous": 302,
    "outsider": 404,
    "foreign_contributor": 404,
    "contributor": 403,
    "other_owner": 403,
    "leader": 403,
    "pmo": 403,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", STATUS)
def test_per_role(role, users, use_case, client_for):
    client = client_for(users[role])
    status = STATUS[role]
    assert client.get(url(use_case)).status_code == status
    response = client.post(url(use_case), data())
    if status == 200:
        assert response.status_code == 302
        assert ModelChange.objects.filter(use_case=use_case).count() == 1
    else:
        assert response.status_code == status
        assert not ModelChange.objects.exists()
    if status == 302:
        assert response.url.startswith(reverse("login"))


def test_happy_path_shows_on_the_use_case_page_newest_first(client_for, owner, use_case):
    client = client_for(owner)
    response = client.post(
        url(use_case), data(version_label="prompt-v6", effective_date="2026-10-01")
    )
    assert response.status_code == 302
    assert response.url == f"{use_case.get_absolute_url()}#changes"
    client.post(url(use_case), data(version_label="model-gpt-x", kind="model"))
    change = ModelChange.objects.get(version_label="model-gpt-x")
    assert (change.kind, change.effective_date) == ("model", datetime.date(2026, 11, 16))
    assert change.created_by == owner
    assert change.history.get().history_user == owner
    html = whole_page(client, use_case.get_absolute_url())
    assert "Change “model-gpt-x” logged." in html
    log = html[html.index('id="changes"') : html.index('id="checklist"')]
    assert log.index("model-gpt-x") < log.index("prompt-v6")
    assert "Shorter answers, new tone of voice." in log


def test_effective_today_is_allowed(client_for, owner, use_case):
    response = client_for(owner).post(url(use_case), data(effective_date=TODAY.isoformat()))
    assert response.status_code == 302


def test_future_date_is_a_field_error(client_for, owner, use_case):
    response = client_for(owner).post(url(use_case), data(effective_date="2026-11-19"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["effective_date"]
    assert "in the future" in errors["effective_date"][0]
    assert not ModelChange.objects.exists()


def test_duplicate_version_label_is_a_field_error(client_for, owner, use_case, other_use_case):
    ModelChange.objects.create(
        use_case=use_case, version_label="prompt-v7", kind="prompt", effective_date=TODAY
    )
    response = client_for(owner).post(url(use_case), data())
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "version_label": ["This use case already has a change with this version label."]
    }
    assert ModelChange.objects.count() == 1


def test_same_label_on_another_use_case_is_fine(client_for, owner, use_case, other_use_case):
    ModelChange.objects.create(
        use_case=other_use_case, version_label="prompt-v7", kind="prompt", effective_date=TODAY
    )
    assert client_for(owner).post(url(use_case), data()).status_code == 302
    assert ModelChange.objects.filter(version_label="prompt-v7").count() == 2


@pytest.mark.parametrize(
    "field,value", [("version_label", ""), ("kind", "weights"), ("effective_date", "not a date")]
)
def test_invalid_fields(field, value, client_for, owner, use_case):
    response = client_for(owner).post(url(use_case), data(**{field: value}))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not ModelChange.objects.exists()


def test_wrong_method(client_for, owner, use_case):
    assert client_for(owner).put(url(use_case)).status_code == 405
