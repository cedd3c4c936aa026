"""Checklist edit: /use-cases/<pk>/checklist/ (the value owner), all 15 items in one form."""

import pytest
from django.urls import reverse

from tests.conftest import make_user
from usecases.models import ChecklistAnswer, ChecklistItem

pytestmark = pytest.mark.django_db
CODES = [code for code, _ in ChecklistItem.choices]


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


def url(use_case):
    return reverse("usecases:checklist_edit", args=[use_case.pk])


def data(**answers):
    """Every item unanswered unless given: ``T1=("no", "pilot data")``."""
    values = {}
    for code in CODES:
        answer, evidence = answers.get(code, ("", ""))
        values[f"answer_{code}"] = answer
        values[f"evidence_{code}"] = evidence
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
    response = client.post(url(use_case), data(T1=("yes", "Weekly reviews since June")))
    if status == 200:
        assert response.status_code == 302
        assert ChecklistAnswer.objects.get(use_case=use_case).answer == "yes"
    else:
        assert response.status_code == status
        assert not ChecklistAnswer.objects.exists()
    if status == 302:
        assert response.url.startswith(reverse("login"))


def test_form_has_fifteen_items_grouped_by_section(client_for, owner, use_case):
    response = client_for(owner).get(url(use_case))
    form = response.context["form"]
    sections = form.sections()
    assert [title for title, _ in sections] == [
        "Translation",
        "Adoption",
        "Execution",
        "Quality and risk",
        "Value governance",
    ]
    assert [code for _, items in sections for code, _, _ in items] == CODES
    html = response.content.decode()
    assert html.count('name="answer_') == 15
    assert html.count('name="evidence_') == 15
    assert "— not answered —" in html


def test_happy_path_saves_all_items_at_once(client_for, owner, use_case):
    client = client_for(owner)
    answers = {code: ("partial", f"Evidence for {code}") for code in CODES}
    answers["T1"] = ("no", "Baseline from the pilot's test data")
    response = client.post(url(use_case), data(**answers))
    assert response.status_code == 302
    assert response.url == f"{use_case.get_absolute_url()}#checklist"
    rows = {a.item: a for a in ChecklistAnswer.objects.filter(use_case=use_case)}
    assert len(rows) == 15
    assert (rows["T1"].answer, rows["T1"].evidence) == ("no", "Baseline from the pilot's test data")
    assert rows["G3"].answer == "partial"
    assert rows["G3"].updated_by == owner
    assert rows["G3"].history.get().history_user == owner
    page = client.get(response.url).content.decode()
    assert "Checklist saved (15 items changed)." in page
    assert "Not answered" not in page


def test_form_is_prefilled_and_only_changes_are_written(client_for, owner, use_case):
    ChecklistAnswer.objects.create(use_case=use_case, item="E1", answer="yes", evidence="KPI")
    ChecklistAnswer.objects.create(use_case=use_case, item="A2", answer="no", evidence="")
    client = client_for(owner)
    form = client.get(url(use_case)).context["form"]
    assert form["answer_E1"].value() == "yes"
    assert form["evidence_E1"].value() == "KPI"
    assert form["answer_T1"].value() == ""
    e1_versions = ChecklistAnswer.history.filter(item="E1").count()
    # Keep E1, change A2 to partial, clear nothing else.
    response = client.post(url(use_case), data(E1=("yes", "KPI"), A2=("partial", "Two teams")))
    assert response.status_code == 302
    assert ChecklistAnswer.history.filter(item="E1").count() == e1_versions
    assert ChecklistAnswer.objects.get(item="A2").answer == "partial"


def test_clearing_an_answer_makes_it_unanswered(client_for, owner, use_case):
    ChecklistAnswer.objects.create(use_case=use_case, item="Q2", answer="yes")
    response = client_for(owner).post(url(use_case), data())
    assert response.status_code == 302
    assert not ChecklistAnswer.objects.filter(use_case=use_case).exists()


def test_invalid_answer_is_a_field_error_and_nothing_is_saved(client_for, owner, use_case):
    response = client_for(owner).post(url(use_case), data(T1=("yes", "ok"), T2=("maybe", "hmm")))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["answer_T2"]
    assert not ChecklistAnswer.objects.exists()


def test_evidence_without_answer_is_a_field_error_and_nothing_is_saved(client_for, owner, use_case):
    response = client_for(owner).post(
        url(use_case), data(T1=("yes", "ok"), G2=("", "Reviews are on time"))
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"answer_G2": ["Choose an answer for this evidence."]}
    assert not ChecklistAnswer.objects.exists()
    assert "Reviews are on time" in response.content.decode()


def test_wrong_method(client_for, owner, use_case):
    assert client_for(owner).put(url(use_case)).status_code == 405
