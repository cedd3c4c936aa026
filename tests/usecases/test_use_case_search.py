"""Choosing a use case by typing its name (usecases/use_case_search.py) on the flags page, the
stop-loss policy page and a gate's "Add a use case": the field takes a name (any case), an id
(the links' ``?use_case=<pk>``) or the list's ``name (#id)``, among the use cases the user may
see; the options endpoint lists at most OPTION_LIMIT of them by name; no page writes one
``<option>`` per use case any more."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Flag, FlagKind
from stagegates.models import GateItem
from tests.conftest import make_use_case
from tests.reviews.test_flag_views import make_flag
from tests.stagegates.helpers import create_gate
from usecases.use_case_search import OPTION_LIMIT, display_text

from .search_input import as_query

pytestmark = pytest.mark.django_db

OPTIONS = "/use-cases/options/"
FLAGS = reverse("reviews:flags")
POLICY = reverse("reviews:policy")


def options(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', response.content.decode())


def listed(response) -> set[int]:
    return {flag.pk for flag in response.context["flags"]}


def use_case_error(response):
    return response.context["filter"].errors.get("use_case")


@pytest.fixture
def flags(use_case, other_use_case):
    return {"mine": make_flag(use_case), "other": make_flag(other_use_case, period="2026-W46")}


def test_the_url_is_the_one_the_field_calls():
    assert reverse("usecases:use_case_options") == OPTIONS


def test_a_name_an_id_or_the_lists_text_filters_the_flags(
    client_for, pmo, flags, use_case, other_use_case
):
    client = client_for(pmo)
    for typed in (
        use_case.name,
        use_case.name.upper(),
        "  " + use_case.name.replace(" ", "   ") + " ",
        str(use_case.pk),
        f"{use_case.name} (#{use_case.pk})",
    ):
        response = client.get(FLAGS, {"use_case": typed})
        assert use_case_error(response) is None, typed
        assert listed(response) == {flags["mine"].pk}, typed
    assert listed(client.get(FLAGS, {"use_case": other_use_case.name})) == {flags["other"].pk}


def test_the_field_shows_the_name_when_the_link_carried_the_id(client_for, pmo, flags, use_case):
    """The use case page links to ``?use_case=<pk>``: the field then reads the name."""
    body = client_for(pmo).get(FLAGS, {"use_case": use_case.pk}).content.decode()
    field = re.search(r'<input type="search" name="use_case"[^>]*>', body)[0]
    assert f'value="{use_case.name}"' in field
    assert 'list="id_use_case-options"' in field and f'hx-get="{OPTIONS}"' in field
    assert '<datalist id="id_use_case-options"></datalist>' in body


def test_an_unknown_name_is_reported_at_the_field_and_left_out(client_for, pmo, flags):
    response = client_for(pmo).get(FLAGS, {"use_case": "Nothing like it", "kind": "stop_loss"})
    assert response.status_code == 200
    assert use_case_error(response) == [
        "No use case you can choose here is called “Nothing like it”. Type part of its name "
        "and pick it from the list."
    ]
    assert listed(response) == {flags["mine"].pk, flags["other"].pk}  # the kind alone
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and 'value="Nothing like it"' in body


def test_a_contributor_cannot_find_or_filter_by_a_use_case_they_do_not_see(
    client_for, contributor, flags, use_case, other_use_case
):
    """The contributor sees only ``use_case``: the other one's name and id get the same answer
    as a name nobody has, so the filter does not tell which use cases exist."""
    client = client_for(contributor)
    for hidden in (other_use_case.name, str(other_use_case.pk)):
        error = use_case_error(client.get(FLAGS, {"use_case": hidden}))
        unknown = use_case_error(client.get(FLAGS, {"use_case": "zzz"}))
        assert error == [e.replace("zzz", hidden) for e in unknown]
    assert options(client.get(OPTIONS, {"use_case": ""})) == [(use_case.name, "Rollout")]
    assert options(client.get(OPTIONS, {"use_case": other_use_case.name[:5]})) == []


def test_a_name_that_is_only_digits_is_offered_with_its_id(client_for, pmo, use_case):
    """A use case called after another one's id: the list offers it as ``name (#id)``, which
    names it; the bare digits stay the other one's id, as the links mean them."""
    digits = make_use_case(name=str(use_case.pk))
    flagged = make_flag(digits)
    mine = make_flag(use_case, period="2026-W40")
    client = client_for(pmo)
    offered = options(client.get(OPTIONS, {"use_case": str(use_case.pk)}))
    assert (f"{digits.name} (#{digits.pk})", "Rollout") in offered
    assert listed(client.get(FLAGS, {"use_case": offered[0][0]})) == {flagged.pk}
    assert listed(client.get(FLAGS, {"use_case": str(use_case.pk)})) == {mine.pk}
    body = client.get(FLAGS, {"use_case": f"{digits.name} (#{digits.pk})"}).content.decode()
    assert f'value="{digits.name} (#{digits.pk})"' in body
    assert display_text(7, "Plain name") == "Plain name"


def test_a_name_that_looks_like_the_lists_text_is_still_that_name(client_for, pmo, use_case):
    """A name such as "Report (#<pk of another>)" names its own use case, not the other one."""
    lookalike = make_use_case(name=f"Report (#{use_case.pk})")
    flagged = make_flag(lookalike)
    make_flag(use_case, period="2026-W40")
    response = client_for(pmo).get(FLAGS, {"use_case": lookalike.name})
    assert listed(response) == {flagged.pk}


@pytest.mark.parametrize(
    "typed",
    ["\x00", "abc\x00", "x" * 151, "１２", "%ED%A0%80", "' OR 1=1 --", "%", "_", "1e400",
     "99999999999999999999", "Name (#99999999999999999999)"],
)  # fmt: skip
def test_hostile_text_is_a_message_at_the_field_never_a_500(client_for, pmo, flags, typed):
    """``%ED%A0%80`` is a lone surrogate (U+D800) as UTF-8 bytes, sent as they are; "１２"
    (full-width) is no id; 20 digits overflow a bigint."""
    query = as_query(typed)
    response = client_for(pmo).get(f"{FLAGS}?use_case={query}")
    assert response.status_code == 200
    assert use_case_error(response), typed
    assert len(listed(response)) == 2  # the list, unfiltered
    found = client_for(pmo).get(f"{OPTIONS}?use_case={query}")
    assert found.status_code == 200
    if typed in ("%", "_"):  # a LIKE wildcard is a character here, not "anything"
        assert options(found) == []
    policy = client_for(pmo).get(f"{POLICY}?use_case={query}")
    assert policy.status_code == 200 and policy.context["form"].errors


def test_the_options_list_matching_names_at_most_the_limit(client_for, pmo, use_case):
    for i in range(OPTION_LIMIT + 5):
        make_use_case(name=f"Claims bot {i:02d}", stage="scaled")
    make_use_case(name="<script>alert(1)</script> helper", stage="pilot")
    client = client_for(pmo)
    first = options(client.get(OPTIONS))
    assert len(first) == OPTION_LIMIT
    assert first[0] == ("&lt;script&gt;alert(1)&lt;/script&gt; helper", "Pilot")
    assert first[1] == ("Claims bot 00", "Scaled")
    assert options(client.get(OPTIONS, {"use_case": "BOT 2"})) == [
        (f"Claims bot {i}", "Scaled") for i in range(20, 25)
    ]
    assert "<script>" not in client.get(OPTIONS, {"use_case": "script"}).content.decode()


@pytest.mark.parametrize("role", ["outsider", "contributor", "owner", "leader", "pmo"])
def test_the_options_are_the_use_cases_each_role_sees(
    client_for, role_users, role, use_case, other_use_case
):
    found = {value for value, _ in options(client_for(role_users[role]).get(OPTIONS))}
    expected = {
        "outsider": set(),
        "contributor": {use_case.name},
    }.get(role, {use_case.name, other_use_case.name})
    assert found == expected


def test_no_page_lists_every_use_case_and_the_queries_do_not_grow(
    client_for, pmo, leader, flags, use_case
):
    """30 more use cases: none of their names on the flags, policy or gate page, and the flags
    page runs the same queries."""
    client = client_for(pmo)
    gate = create_gate(pmo, leader)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(FLAGS).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    extra = [make_use_case(name=f"Unflagged helper {i}") for i in range(30)]
    assert queries() == before
    for url in (FLAGS, POLICY, reverse("stagegates:detail", args=[gate.pk])):
        body = client.get(url).content.decode()
        assert not any(uc.name in body for uc in extra), url
        assert "<datalist" in body, url
    assert Flag.objects.filter(kind=FlagKind.STOP_LOSS).count() == 2


def test_the_policy_page_opens_the_use_case_typed(client_for, pmo, use_case):
    client = client_for(pmo)
    target = reverse("reviews:policy_use_case", args=[use_case.pk])
    for typed in (use_case.name.lower(), str(use_case.pk)):
        response = client.get(POLICY, {"use_case": typed})
        assert response.status_code == 302 and response["Location"] == target, typed
    response = client.get(POLICY, {"use_case": "No such thing"})
    assert response.status_code == 200
    assert (
        "No use case you can choose here is called “No such thing”"
        in (response.context["form"].errors["use_case"][0])
    )
    empty = client.get(POLICY, {"use_case": " "})
    assert empty.context["form"].errors["use_case"] == [
        "Type a use case's name and pick it from the list."
    ]
    assert client.get(POLICY).context["form"].errors == {}  # the page itself: no error yet


def test_a_gate_adds_the_use_case_typed_and_refuses_one_it_has(client_for, pmo, leader, use_case):
    gate = create_gate(pmo, leader)
    extra = make_use_case("Extra helper", stage="pilot")
    client = client_for(pmo)
    url = reverse("stagegates:add_item", args=[gate.pk])
    response = client.post(url, {"use_case": "extra HELPER"})
    assert response.status_code == 302
    assert GateItem.objects.filter(gate=gate, use_case=extra, removed_at__isnull=True).exists()
    again = client.post(url, {"use_case": "Extra helper"})
    assert again.status_code == 400
    assert "Extra helper is on the agenda already." in again.content.decode()
    unknown = client.post(url, {"use_case": "Nothing like it"})
    assert unknown.status_code == 400
    assert "No use case you can choose here is called “Nothing like it”" in (
        unknown.content.decode()
    )
    assert GateItem.objects.filter(gate=gate, use_case=extra).count() == 1


def test_the_flags_api_still_filters_by_id_only(client_for, pmo, flags, use_case):
    client = client_for(pmo)
    by_id = client.get("/api/v1/flags/", {"use_case": use_case.pk})
    assert by_id.status_code == 200
    assert [row["id"] for row in by_id.json()["results"]] == [flags["mine"].pk]
    by_name = client.get("/api/v1/flags/", {"use_case": use_case.name})
    assert by_name.status_code == 400 and "use_case" in by_name.json()
