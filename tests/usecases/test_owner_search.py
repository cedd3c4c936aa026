"""The dashboard's value-owner filter is a search (usecases/owner_search.py): the filter takes a
username or a full name only one owner has, among the use cases the user may see; the options
endpoint lists at most OPTION_LIMIT owners whose name contains the text, and never an owner of a
use case the user may not see; the page's queries do not grow with the number of owners."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_use_case, make_user
from usecases.owner_search import NO_OWNER, OPTION_LIMIT

from .search_input import as_query

pytestmark = pytest.mark.django_db

URL = "/portfolio/"
OPTIONS = "/use-cases/owners/"


def names(response):
    return [row.use_case.name for row in response.context["rows"]]


def owner_error(response):
    return response.context["filter"].errors.get("owner")


def options(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', response.content.decode())


@pytest.fixture
def portfolio(use_case, other_use_case, other_owner):
    make_use_case(name="Claims triage", owner=other_owner, business_unit="Finance")
    make_use_case(name="Expense auditor", business_unit="Finance")
    return use_case


def test_the_url_is_the_one_the_field_calls():
    assert reverse("usecases:owner_options") == OPTIONS


def test_a_username_or_a_full_name_filters_the_table(client_for, pmo, portfolio):
    client = client_for(pmo)
    for typed in ("oscar", "Oscar Other", "  oscar   OTHER "):
        response = client.get(URL, {"owner": typed})
        assert owner_error(response) is None, typed
        assert names(response) == ["Claims triage", "Invoice matching"], typed
    assert names(client.get(URL, {"owner": NO_OWNER})) == ["Expense auditor"]


def test_an_unknown_owner_is_reported_at_the_field_and_left_out(client_for, pmo, portfolio):
    response = client_for(pmo).get(URL, {"owner": "Nobody Atall", "business_unit": "Finance"})
    assert response.status_code == 200
    assert "No use case you can see has the value owner “Nobody Atall”" in owner_error(response)[0]
    assert names(response) == ["Claims triage", "Expense auditor", "Invoice matching"]  # the unit
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "Nobody Atall" in body


def test_a_name_two_owners_share_asks_for_the_username(client_for, pmo, portfolio):
    twin = make_user("oscar2", first_name="Oscar", last_name="Other")
    make_use_case(name="Twin's case", owner=twin)
    response = client_for(pmo).get(URL, {"owner": "Oscar Other"})
    assert owner_error(response) == [
        "Several value owners are called “Oscar Other”: type the username (oscar, oscar2)."
    ]
    assert names(client_for(pmo).get(URL, {"owner": "oscar2"})) == ["Twin's case"]


def test_a_contributor_cannot_find_or_filter_by_an_owner_they_do_not_see(
    client_for, contributor, portfolio
):
    """The contributor sees only ``use_case`` (Olivia's): Oscar gets the same answer as a name
    nobody has, so the filter does not tell who owns what elsewhere."""
    client = client_for(contributor)
    hidden = owner_error(client.get(URL, {"owner": "oscar"}))
    unknown = owner_error(client.get(URL, {"owner": "zzz"}))
    assert hidden == [e.replace("zzz", "oscar") for e in unknown]
    assert names(client.get(URL, {"owner": "olivia"})) == [portfolio.name]
    assert options(client.get(OPTIONS, {"owner": "o"})) == [("olivia", "Olivia Owner (olivia)")]
    assert options(client.get(OPTIONS, {"owner": "none"})) == []  # no ownerless use case seen


@pytest.mark.parametrize(
    "typed",
    ["\x00", "oscar\x00", "x" * 302, "１２３", "%ED%A0%80", "' OR 1=1 --", "%", "_", "1e400"],
)
def test_hostile_text_is_a_message_at_the_field_never_a_500(client_for, pmo, portfolio, typed):
    """``%ED%A0%80`` is a lone surrogate (U+D800) as UTF-8 bytes, sent as they are."""
    query = as_query(typed)
    response = client_for(pmo).get(f"{URL}?owner={query}")
    assert response.status_code == 200
    assert owner_error(response), typed
    assert len(names(response)) == 4  # the table, unfiltered
    listed = client_for(pmo).get(f"{OPTIONS}?owner={query}")
    assert listed.status_code == 200
    if typed in ("%", "_"):  # a LIKE wildcard is a character here, not "anything"
        assert options(listed) == []


def test_the_options_list_matching_owners_by_name_at_most_the_limit(client_for, pmo, portfolio):
    for i in range(OPTION_LIMIT + 5):
        make_use_case(
            name=f"Case {i}",
            owner=make_user(f"u{i:02d}", first_name="Ann", last_name=f"Bee {i:02d}"),
        )
    client = client_for(pmo)
    first = options(client.get(OPTIONS))
    assert len(first) == OPTION_LIMIT
    assert first[0] == (NO_OWNER, "— no value owner —")
    assert first[1] == ("u00", "Ann Bee 00 (u00)")
    assert options(client.get(OPTIONS, {"owner": "bee 2"})) == [
        ("u20", "Ann Bee 20 (u20)"),
        ("u21", "Ann Bee 21 (u21)"),
        ("u22", "Ann Bee 22 (u22)"),
        ("u23", "Ann Bee 23 (u23)"),
        ("u24", "Ann Bee 24 (u24)"),
    ]
    assert options(client.get(OPTIONS, {"owner": "OSC"})) == [("oscar", "Oscar Other (oscar)")]
    assert options(client.get(OPTIONS, {"owner": "no value"})) == [(NO_OWNER, "— no value owner —")]


def test_names_are_escaped_in_the_options(client_for, pmo, use_case):
    make_use_case(name="X", owner=make_user("mallory", first_name="<script>alert(1)</script>"))
    body = client_for(pmo).get(OPTIONS, {"owner": "mall"}).content.decode()
    assert "<script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("role", ["outsider", "contributor", "leader", "pmo"])
def test_the_options_are_the_owners_each_role_sees(client_for, role_users, role):
    """Whoever is signed in may ask; the outsider sees no use case, so no owner."""
    found = {value for value, _ in options(client_for(role_users[role]).get(OPTIONS))}
    expected = {"outsider": set(), "contributor": {"olivia"}}.get(role, {"olivia", "oscar"})
    assert found == expected


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(OPTIONS)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_field_is_a_search_with_its_datalist(client_for, pmo, portfolio):
    body = client_for(pmo).get(URL, {"owner": "oscar"}).content.decode()
    assert 'type="search" name="owner" value="oscar"' in body
    assert (
        'list="id_owner-options"' in body and '<datalist id="id_owner-options"></datalist>' in body
    )
    assert 'hx-get="/use-cases/owners/"' in body and 'hx-push-url="false"' in body
    assert 'aria-describedby="id_owner_helptext"' in body
    assert '<option value="oscar"' not in body  # no list of owners in the page


def test_the_page_reads_no_owner_list(client_for, pmo, portfolio):
    """The dashboard's queries and its size do not grow with the number of owners."""
    client = client_for(pmo)
    with CaptureQueriesContext(connection) as few:
        small = client.get(URL)
    for i in range(60):
        make_use_case(name=f"Case {i}", owner=make_user(f"owner{i}", first_name=f"N{i}"))
    with CaptureQueriesContext(connection) as many:
        large = client.get(URL)
    assert len(many) == len(few)
    assert "owner59" not in large.content.decode()
    assert small.status_code == large.status_code == 200
