"""Portfolio list page: /use-cases/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_use_case, make_user
from usecases.models import UseCase

pytestmark = pytest.mark.django_db
URL = reverse("usecases:list")


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


# role -> (sees use_case, sees other_use_case, sees the "New use case" button)
EXPECTED = {
    "owner": (True, True, False),
    "other_owner": (True, True, False),
    "contributor": (True, False, False),
    "foreign_contributor": (False, True, False),
    "leader": (True, True, False),
    "pmo": (True, True, True),
    "admin": (True, True, True),
    "outsider": (False, False, False),
}


@pytest.mark.parametrize("role", EXPECTED)
def test_list_per_role(role, role_users, foreign_contributor, client_for):
    users = {**role_users, "foreign_contributor": foreign_contributor}
    sees_mine, sees_other, sees_button = EXPECTED[role]
    response = client_for(users[role]).get(URL)
    assert response.status_code == 200
    names = [uc.name for uc in response.context["use_cases"]]
    assert ("Customer-response assistant" in names) is sees_mine
    assert ("Invoice matching" in names) is sees_other
    html = response.content.decode()
    assert (reverse("usecases:create") in html) is sees_button
    assert ("New use case" in html) is sees_button


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_wrong_method(client_for, pmo):
    assert client_for(pmo).post(URL).status_code == 405


def test_shows_the_columns(client_for, leader, use_case):
    html = client_for(leader).get(URL).content.decode()
    assert f'href="{use_case.get_absolute_url()}"' in html
    assert "Customer Service" in html
    assert '<span class="pill pill-rollout">Rollout</span>' in html
    assert '<span class="pill pill-conditional">Conditional</span>' in html
    assert "Olivia Owner" in html
    assert ">100<" in html  # target users
    assert "1 Jun 2026" in html  # live since
    assert "No value owner" not in html


def test_warns_when_a_use_case_has_no_value_owner(client_for, leader, use_case):
    make_use_case(name="Orphan bot", owner=None, live_since=None)
    html = client_for(leader).get(URL).content.decode()
    assert html.count("No value owner") == 1
    assert '<span class="warning">No value owner</span>' in html


def test_empty_portfolio(client_for, pmo):
    response = client_for(pmo).get(URL)
    assert "No use cases to show." in response.content.decode()


def ctx_sql(client):
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL)
    return [q["sql"] for q in ctx.captured_queries]


def _count_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("role", ["leader", "contributor", "owner"])
def test_query_count_does_not_grow_with_the_portfolio(role, role_users, client_for):
    user = role_users[role]
    client = client_for(user)
    client.get(URL)  # warm up (session, content types)
    one, response = _count_queries(client)
    shown_before = len(response.context["use_cases"])
    for i in range(20):
        uc = make_use_case(name=f"Use case {i:02}", owner=make_user(f"owner{i:02}"))
        uc.contributors.add(role_users["contributor"])
    many, response = _count_queries(client)
    assert len(response.context["use_cases"]) == shown_before + 20
    # The page's own: the user's groups, "owns a use case?" (not asked for leadership), the
    # paginator's count and one query for a page of use cases with their owners; whatever the
    # layout adds is constant too.
    assert many == one
    use_case_queries = [q for q in ctx_sql(client) if 'FROM "usecases_usecase"' in q]
    assert len(use_case_queries) <= 3


def test_the_list_is_paged_by_name(client_for, role_users, monkeypatch):
    """100 a page (``USE_CASES_PER_PAGE``): unpaged, 20,000 use cases were a 6.5 MB page."""
    from usecases import views

    monkeypatch.setattr(views, "USE_CASES_PER_PAGE", 2)
    for name in ("Alpha", "Bravo", "Charlie"):
        make_use_case(name=name, owner=role_users["owner"])
    client = client_for(role_users["leader"])
    everyone = sorted(UseCase.objects.values_list("name", flat=True))  # 5: the fixtures' 2 too
    pages = []
    for page in (1, 2, 3):
        response = client.get(f"{URL}?page={page}")
        pages.append([uc.name for uc in response.context["use_cases"]])
    assert pages == [everyone[0:2], everyone[2:4], everyone[4:5]]
    html = client.get(f"{URL}?page=2").content.decode()
    assert "5 use cases, 3–4 shown, by name." in html
    assert 'href="?page=1">← Previous' in html and 'href="?page=3">Next →' in html
    assert "Page 2 of 3" in html
    # A page that is not a number or too far gives a page (the first, the last), not an error.
    for bad, expected in (("x", everyone[0:2]), ("99", everyone[4:5]), ("-1", everyone[4:5])):
        response = client.get(f"{URL}?page={bad}")
        assert response.status_code == 200
        assert [uc.name for uc in response.context["use_cases"]] == expected


def test_a_contributor_pages_through_their_own_use_cases_only(client_for, role_users, monkeypatch):
    from usecases import views

    monkeypatch.setattr(views, "USE_CASES_PER_PAGE", 1)
    contributor = role_users["contributor"]
    mine = make_use_case(name="Aardvark", owner=role_users["owner"])
    mine.contributors.add(contributor)
    make_use_case(name="Abacus", owner=role_users["owner"])  # not theirs
    client = client_for(contributor)
    seen = []
    for page in (1, 2, 3):
        response = client.get(f"{URL}?page={page}")
        seen += [uc.name for uc in response.context["use_cases"]]
    count = response.context["page_obj"].paginator.count
    assert "Abacus" not in seen
    assert count == 2 and seen[:2] == ["Aardvark", "Customer-response assistant"]
