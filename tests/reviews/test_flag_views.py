"""The flags page (everyone, for the use cases they may see) and the PMO's resolve form."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Flag, FlagKind
from tests.conftest import make_use_case

pytestmark = pytest.mark.django_db

LIST = reverse("reviews:flags")


def make_flag(use_case, *, kind=FlagKind.STOP_LOSS, period="2026-W47", **fields):
    defaults = dict(
        rule_key=f"rule:{period}" if kind == FlagKind.STOP_LOSS else kind,
        explanation=f"Plain words about {use_case.name} in {period}.",
        observed_value=Decimal("0.19"),
        threshold=Decimal("0.15"),
    )
    defaults.update(fields)
    return Flag.objects.create(use_case=use_case, kind=kind, period=period, **defaults)


@pytest.fixture
def flags(use_case, other_use_case):
    return {
        "mine": make_flag(use_case),
        "other": make_flag(other_use_case, kind=FlagKind.EXCEPTIONS_GROWING, period="2026-W46"),
    }


# role -> which flags the list shows
VISIBLE = {
    "owner": {"mine", "other"},
    "other_owner": {"mine", "other"},
    "contributor": {"mine"},
    "leader": {"mine", "other"},
    "pmo": {"mine", "other"},
    "admin": {"mine", "other"},
    "outsider": set(),
}


def listed(response):
    return {flag.pk for flag in response.context["flags"]}


def test_anonymous_is_sent_to_login(client, flags):
    for url in (LIST, reverse("reviews:flag_resolve", args=[flags["mine"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", VISIBLE)
def test_list_shows_the_flags_of_visible_use_cases(role, role_users, client_for, flags):
    response = client_for(role_users[role]).get(LIST)
    assert response.status_code == 200
    assert listed(response) == {flags[name].pk for name in VISIBLE[role]}
    body = response.content.decode()
    for name in VISIBLE[role]:
        assert flags[name].explanation in body
    resolve_link = reverse("reviews:flag_resolve", args=[flags["mine"].pk])
    assert (resolve_link in body) is (role in {"pmo", "admin"})


def test_filters(client_for, pmo, flags, use_case, other_use_case):
    client = client_for(pmo)
    resolved = make_flag(use_case, period="2026-W45", resolved_at="2026-11-20T10:00:00Z")
    by_use_case = client.get(LIST, {"use_case": use_case.pk})
    assert listed(by_use_case) == {flags["mine"].pk, resolved.pk}
    by_kind = client.get(LIST, {"kind": FlagKind.EXCEPTIONS_GROWING})
    assert listed(by_kind) == {flags["other"].pk}
    open_only = client.get(LIST, {"open": "true"})
    assert listed(open_only) == {flags["mine"].pk, flags["other"].pk}
    closed = client.get(LIST, {"open": "false", "use_case": use_case.pk})
    assert listed(closed) == {resolved.pk}


def test_an_unknown_status_is_an_error_at_the_field(client_for, pmo, flags):
    """``open=maybe`` used to be ignored without a word and list every flag."""
    response = client_for(pmo).get(LIST, {"open": "maybe"})
    assert response.status_code == 200
    assert list(response.context["filter"].errors) == ["open"]
    assert b"Select a valid choice" in response.content


def test_contributor_cannot_filter_on_an_invisible_use_case(client_for, contributor, flags):
    response = client_for(contributor).get(LIST, {"use_case": flags["other"].use_case_id})
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert listed(response) == {flags["mine"].pk}


def test_htmx_request_gets_the_table_only(client_for, pmo, flags):
    response = client_for(pmo).get(LIST, {"kind": "stop_loss"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="flag-table"' in body
    assert "<html" not in body
    assert flags["mine"].explanation in body


def test_values_are_shown_in_the_rule_units(client_for, pmo, use_case):
    from .stoploss_helpers import default_rule

    make_flag(use_case, rule=default_rule("rework_rate"), observed_value=Decimal("0.1901"))
    body = client_for(pmo).get(LIST).content.decode()
    assert "19.01%" in body and "15.0%" in body


def page_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_list_query_count_is_constant(client_for, pmo, owner):
    client = client_for(pmo)
    first = make_use_case("First", owner=owner)
    make_flag(first)
    one = page_queries(client)
    for i in range(12):
        uc = make_use_case(f"Flagged {i}", owner=owner if i % 2 else None)
        make_flag(uc, resolved_by=pmo, resolved_at="2026-11-20T10:00:00Z", resolution_note="ok")
        make_flag(uc, kind=FlagKind.NO_ACCOUNTABLE_OWNER, period="2026-11")
    many = page_queries(client)
    assert len(many) == len(one), "\n".join(many)


def test_nav_links(client_for, owner, pmo, use_case):
    body = client_for(owner).get(LIST).content.decode()
    assert f'href="{LIST}"' in body
    assert f'href="{reverse("reviews:policy")}"' not in body
    body = client_for(pmo).get(LIST).content.decode()
    assert f'href="{reverse("reviews:policy")}"' in body


# --- resolve -----------------------------------------------------------------------------------

# role -> status for the flag on ``use_case`` (GET and POST)
RESOLVE = {
    "owner": 403,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("role", RESOLVE)
def test_resolve_is_pmo_only(role, role_users, client_for, flags):
    client = client_for(role_users[role])
    url = reverse("reviews:flag_resolve", args=[flags["mine"].pk])
    assert client.get(url).status_code == RESOLVE[role]
    assert client.post(url, {"note": "done"}).status_code == RESOLVE[role]
    assert Flag.objects.get(pk=flags["mine"].pk).is_open


def test_contributor_gets_404_for_a_flag_of_another_use_case(client_for, contributor, flags):
    url = reverse("reviews:flag_resolve", args=[flags["other"].pk])
    assert client_for(contributor).get(url).status_code == 404


@pytest.mark.parametrize("role", ["pmo", "admin"])
def test_pmo_resolves_with_a_note(role, role_users, client_for, flags):
    user = role_users[role]
    client = client_for(user)
    url = reverse("reviews:flag_resolve", args=[flags["mine"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert flags["mine"].explanation in page.content.decode()
    response = client.post(url, {"note": "  Rework spike explained by onboarding.  "})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?use_case={flags['mine'].use_case_id}"
    flag = Flag.objects.get(pk=flags["mine"].pk)
    assert not flag.is_open
    assert flag.resolved_by == user
    assert flag.resolution_note == "Rework spike explained by onboarding."
    assert flag.history.latest().history_user == user


def test_resolve_needs_a_note(client_for, pmo, flags):
    url = reverse("reviews:flag_resolve", args=[flags["mine"].pk])
    response = client_for(pmo).post(url, {"note": "   "})
    assert response.status_code == 200
    assert "Write a note: why is this flag resolved?" in response.content.decode()
    assert Flag.objects.get(pk=flags["mine"].pk).is_open


def test_resolving_twice_is_refused(client_for, pmo, flags):
    client = client_for(pmo)
    url = reverse("reviews:flag_resolve", args=[flags["mine"].pk])
    client.post(url, {"note": "first"})
    response = client.post(url, {"note": "second"})
    assert response.status_code == 200
    assert "already resolved by pia" in response.content.decode()
    assert Flag.objects.get(pk=flags["mine"].pk).resolution_note == "first"
