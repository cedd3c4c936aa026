"""The use case form's people are typed, not picked from every account (usecases/
person_search.py): usernames or full names only one person has, the contributors comma-separated;
the suggestions complete the last name of the list and keep the ones before it; anything the
server cannot resolve is named at the field and nothing is saved; the page does not grow with
the number of accounts."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.conftest import make_user
from usecases.models import UseCase
from usecases.person_search import MAX_PEOPLE, OPTION_LIMIT

from .search_input import LONE_SURROGATE, as_query
from .test_views_edit import edit_data, edit_url

pytestmark = pytest.mark.django_db

OPTIONS = "/use-cases/people/"
CREATE = reverse("usecases:create")


def options(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', response.content.decode())


def people(use_case):
    use_case.refresh_from_db()
    owner = use_case.value_owner.username if use_case.value_owner else None
    return owner, sorted(u.username for u in use_case.contributors.all())


def test_the_url_is_the_one_the_fields_call():
    assert reverse("usecases:people_options") == OPTIONS


def test_usernames_and_full_names_in_any_case_name_the_people(
    client_for, pmo, use_case, leader, other_owner
):
    response = client_for(pmo).post(
        edit_url(use_case),
        edit_data(
            use_case, value_owner="  OSCAR   other ", contributors="carl,  Lena Leader ,lena,,"
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    assert people(use_case) == ("oscar", ["carl", "lena"])


def test_what_is_not_known_is_named_at_the_field_and_nothing_is_saved(client_for, pmo, use_case):
    make_user("ann1", first_name="Ann", last_name="Bee")
    make_user("ann2", first_name="Ann", last_name="Bee")
    before = people(use_case)
    response = client_for(pmo).post(
        edit_url(use_case),
        edit_data(
            use_case,
            business_unit="Changed",
            value_owner="olivia, oscar",
            contributors="carl, nobody here, Ann Bee",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["value_owner"] == ["Name one person here."]
    assert errors["contributors"] == [
        "Nobody who can be chosen here is called “nobody here”.",
        "Several people are called “Ann Bee”: type the username (ann1, ann2).",
    ]
    body = response.content.decode()
    assert 'value="carl, nobody here, Ann Bee"' in body  # what was typed, to mend
    use_case.refresh_from_db()
    assert use_case.business_unit == "Customer Service" and people(use_case) == before


def test_a_deactivated_account_cannot_be_named_anew(client_for, pmo, use_case):
    make_user("rita", is_active=False, first_name="Rita", last_name="Retired")
    response = client_for(pmo).post(edit_url(use_case), edit_data(use_case, contributors="rita"))
    assert response.context["form"].errors["contributors"] == [
        "Nobody who can be chosen here is called “rita”."
    ]
    assert options(client_for(pmo).get(OPTIONS, {"contributors": "rit"})) == []


def test_the_form_shows_the_people_as_usernames(client_for, pmo, use_case, leader):
    use_case.contributors.add(leader)
    body = client_for(pmo).get(edit_url(use_case)).content.decode()
    assert re.search(r'<input type="search" name="value_owner" value="olivia"', body)
    assert re.search(r'<input type="search" name="contributors" value="carl, lena"', body)


def test_suggestions_complete_the_last_name_and_keep_the_list(client_for, pmo, use_case, leader):
    client = client_for(pmo)
    assert options(client.get(OPTIONS, {"value_owner": "oli"})) == [
        ("olivia", "Olivia Owner (olivia)")
    ]
    assert options(client.get(OPTIONS, {"contributors": "carl, Lena L"})) == [
        ("carl, lena", "Lena Leader (lena)")
    ]
    # Someone already in the list is not offered again; an empty last name asks nothing.
    assert ("carl, carl", "Carl Contributor (carl)") not in options(
        client.get(OPTIONS, {"contributors": "carl, c"})
    )
    assert options(client.get(OPTIONS, {"contributors": "carl, "})) == []


def test_suggestions_at_most_the_limit_escaped(client_for, pmo):
    for i in range(OPTION_LIMIT + 5):
        make_user(f"zed{i:02d}", first_name="Zed", last_name=f"Z{i:02d}")
    make_user("mallory", first_name="<script>alert(1)</script>")
    client = client_for(pmo)
    found = options(client.get(OPTIONS, {"value_owner": "zed"}))
    assert len(found) == OPTION_LIMIT and found[0] == ("zed00", "Zed Z00 (zed00)")
    body = client.get(OPTIONS, {"value_owner": "mall"}).content.decode()
    assert "<script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize(
    "typed",
    ["\x00", "carl\x00", "x" * 30_001, "１２３", "%ED%A0%80", "' OR 1=1 --", "%", "_", "1e400"],
)
def test_hostile_text_is_a_message_at_the_field_never_a_500(client_for, pmo, use_case, typed):
    """``%ED%A0%80`` is a lone surrogate (U+D800) as UTF-8 bytes, sent as they are."""
    client = client_for(pmo)
    before = people(use_case)
    if typed == LONE_SURROGATE:
        body = urlencode({k: v for k, v in edit_data(use_case).items() if k != "contributors"})
        response = client.post(
            edit_url(use_case),
            f"{body}&contributors={typed}",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.post(edit_url(use_case), edit_data(use_case, contributors=typed))
    assert response.status_code == 200
    assert response.context["form"].errors["contributors"], typed
    assert people(use_case) == before
    listed = client.get(f"{OPTIONS}?contributors={as_query(typed)}")
    assert listed.status_code == 200
    if typed in ("%", "_"):  # a LIKE wildcard is a character here, not "anything"
        assert options(listed) == []


def test_a_list_of_more_than_the_limit_is_refused(client_for, pmo, use_case):
    names = ", ".join(f"user{i}" for i in range(MAX_PEOPLE + 1))
    response = client_for(pmo).post(edit_url(use_case), edit_data(use_case, contributors=names))
    assert response.context["form"].errors["contributors"] == ["Name at most 100 people here."]


def test_the_page_does_not_grow_with_the_accounts(client_for, pmo, use_case):
    extra = [make_user(f"extra{i:02d}", first_name="Extra", last_name=str(i)) for i in range(30)]
    client = client_for(pmo)
    for url in (CREATE, edit_url(use_case)):
        body = client.get(url).content.decode()
        assert not any(user.username in body for user in extra), url
    created = client.post(
        CREATE,
        {
            "name": "Typed people",
            "business_unit": "Legal",
            "workflow": "Review",
            "description": "",
            "stage": "pilot",
            "funding_status": "conditional",
            "value_owner": "extra07",
            "contributors": "Extra 3, extra04",
            "target_users": "10",
            "live_since": "",
            "scaled_on": "",
        },
    )
    assert created.status_code == 302
    assert people(UseCase.objects.get(name="Typed people")) == ("extra07", ["extra03", "extra04"])
