"""The PMO overdue tracker: page, CSV export and API ``overdue-reviews/``.

Clock frozen on Wednesday 27 May 2026: 2026-W20 (due Tue 19 May) is 8 days overdue and 2026-W21
(due Tue 26 May) 1 day; April 2026 (due 5 May) is 22 days overdue.
"""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import cadence
from tests.conftest import api_token, make_use_case
from tests.reviews.cadence_helpers import add_monthly, add_weekly, frozen
from usecases.models import UseCase

D = datetime.date
TODAY = D(2026, 5, 27)
PAGE, CSV_URL, API = "/overdue/", "/overdue/export.csv", "/api/v1/overdue-reviews/"


def engine_rows(*fields: str) -> list[tuple]:
    """Today's overdue reviews as the engine lists them, in its order: ``fields`` of each."""
    from usecases import clock

    return [tuple(row[f] for f in fields) for row in cadence.overdue_reviews(today=clock.today())]


NOT_PMO = ["owner", "other_owner", "contributor", "leader", "outsider"]


@pytest.fixture
def clock_frozen():
    with frozen(TODAY):
        yield TODAY


@pytest.fixture
def overdue(role_users, clock_frozen):
    """Assistant (Olivia, Customer Service): W20, W21 overdue. Matching (Oscar, Finance): W21
    and April overdue. Orphan (no owner, Finance): W21."""
    owner, other_owner = role_users["owner"], role_users["other_owner"]
    assistant = make_use_case("Assistant", owner=owner, live_since=D(2026, 5, 11))
    matching = make_use_case(
        "Matching", owner=other_owner, business_unit="Finance", live_since=D(2026, 4, 1)
    )
    for week in ("2026-W14", "2026-W15", "2026-W16", "2026-W17", "2026-W18", "2026-W19"):
        add_weekly(matching, week)
    add_weekly(matching, "2026-W20")
    orphan = make_use_case(
        "=Orphan", owner=None, business_unit="Finance", live_since=D(2026, 5, 18)
    )
    add_monthly(assistant, "2026-04")  # not due anyway (live since May): no effect
    return {"assistant": assistant, "matching": matching, "orphan": orphan}


def test_urls():
    assert reverse("reviews:overdue") == PAGE
    assert reverse("reviews:overdue_csv") == CSV_URL
    assert reverse("api:overdue-review-list") == API


# --- access -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PAGE, CSV_URL])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_anonymous_api_is_refused(client):
    assert client.get(API).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_PMO)
@pytest.mark.parametrize("url", [PAGE, CSV_URL, API])
def test_every_other_role_gets_403(role_users, overdue, client_for, role, url):
    assert client_for(role_users[role]).get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["pmo", "admin"])
@pytest.mark.parametrize("url", [PAGE, CSV_URL, API])
def test_pmo_and_admin_get_in(role_users, overdue, client_for, role, url):
    assert client_for(role_users[role]).get(url).status_code == 200


@pytest.mark.django_db
def test_overdue_link_in_navigation_for_pmo_only(role_users, client_for):
    assert b'href="/overdue/"' in client_for(role_users["pmo"]).get("/inbox/").content
    assert b'href="/overdue/"' not in client_for(role_users["leader"]).get("/inbox/").content


@pytest.mark.django_db
def test_api_token_auth_non_pmo_403(role_users, overdue, client):
    token = api_token(role_users["leader"])
    response = client.get(API, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 403


# --- the page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_lists_every_overdue_review(role_users, overdue, client_for):
    response = client_for(role_users["pmo"]).get(PAGE)
    items = response.context["items"]
    assert {(i.use_case_name, i.kind, i.period, i.due_on, i.days_overdue) for i in items} == {
        ("Matching", "monthly", "2026-04", D(2026, 5, 5), 22),
        ("Assistant", "weekly", "2026-W20", D(2026, 5, 19), 8),
        ("=Orphan", "weekly", "2026-W21", D(2026, 5, 26), 1),
        ("Assistant", "weekly", "2026-W21", D(2026, 5, 26), 1),
        ("Matching", "weekly", "2026-W21", D(2026, 5, 26), 1),
    }
    assert [i.due_on for i in items] == sorted(i.due_on for i in items)  # oldest first
    html = response.content.decode()
    assert "Olivia Owner" in html and "Oscar Other" in html
    assert "Tue 19 May 2026" in html
    per_owner = [(c.username, c.count) for c in response.context["per_owner"]]
    assert per_owner == [("olivia", 2), ("oscar", 2), ("", 1)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("owner=olivia", {("Assistant", "2026-W20"), ("Assistant", "2026-W21")}),
        (f"owner={cadence.NO_OWNER}", {("=Orphan", "2026-W21")}),
        (
            "business_unit=Finance",
            {("Matching", "2026-04"), ("Matching", "2026-W21"), ("=Orphan", "2026-W21")},
        ),
        ("kind=monthly", {("Matching", "2026-04")}),
        ("owner=oscar&kind=weekly", {("Matching", "2026-W21")}),
    ],
)
def test_filters(role_users, overdue, client_for, query, expected):
    client = client_for(role_users["pmo"])
    items = client.get(f"{PAGE}?{query}").context["items"]
    assert {(i.use_case_name, i.period) for i in items} == expected
    rows = list(csv.DictReader(io.StringIO(client.get(f"{CSV_URL}?{query}").content.decode())))
    assert {(r["use_case"].lstrip("'"), r["period"]) for r in rows} == expected
    api = client.get(f"{API}?{query}").json()
    assert {(r["use_case_name"], r["period"]) for r in api["results"]} == expected
    assert api["count"] == len(expected)


@pytest.mark.django_db
def test_counts_follow_the_filter(role_users, overdue, client_for):
    response = client_for(role_users["pmo"]).get(f"{PAGE}?business_unit=Finance")
    assert [(c.username, c.count) for c in response.context["per_owner"]] == [
        ("oscar", 2),
        ("", 1),
    ]
    assert b"?business_unit=Finance&amp;owner=oscar" in response.content


@pytest.mark.django_db
def test_invalid_kind_is_reported_not_applied(role_users, overdue, client_for):
    response = client_for(role_users["pmo"]).get(f"{PAGE}?kind=daily")
    assert response.status_code == 200
    assert "kind" in response.context["errors"]
    assert len(response.context["items"]) == 5


@pytest.mark.django_db
def test_htmx_filter_renders_the_results_only(role_users, overdue, client_for):
    response = client_for(role_users["pmo"]).get(
        f"{PAGE}?kind=weekly", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="overdue-results">')
    assert "<html" not in html and "2026-04" not in html and "2026-W20" in html
    assert 'href="/overdue/export.csv?kind=weekly"' in html


@pytest.mark.django_db
def test_nothing_overdue(role_users, client_for, clock_frozen):
    response = client_for(role_users["pmo"]).get(PAGE)
    assert response.context["items"] == []
    assert b"No overdue reviews" in response.content


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_export(role_users, overdue, client_for):
    response = client_for(role_users["pmo"]).get(CSV_URL)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="overdue-reviews-2026-05-27.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "use_case_id",
        "use_case",
        "business_unit",
        "kind",
        "period",
        "due_on",
        "days_overdue",
        "value_owner",
        "value_owner_name",
    ]
    assert len(rows) == 6
    assert rows[1] == [
        str(overdue["matching"].pk),
        "Matching",
        "Finance",
        "monthly",
        "2026-04",
        "2026-05-05",
        "22",
        "oscar",
        "Oscar Other",
    ]
    orphan = next(r for r in rows if r[0] == str(overdue["orphan"].pk))
    assert orphan[1] == "'=Orphan"  # no formula injection into spreadsheets
    assert orphan[7:] == ["", ""]


# --- API ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_fields_and_pagination(role_users, overdue, client_for):
    client = client_for(role_users["pmo"])
    body = client.get(API).json()
    assert body["count"] == 5 and body["next"] is None and body["previous"] is None
    assert body["results"][0] == {
        "use_case": overdue["matching"].pk,
        "use_case_name": "Matching",
        "business_unit": "Finance",
        "kind": "monthly",
        "period": "2026-04",
        "due_on": "2026-05-05",
        "days_overdue": 22,
        "value_owner": "oscar",
    }
    orphan = client.get(API + "?owner=(none)").json()["results"][0]
    assert orphan["value_owner"] is None
    for name in ("Old 1", "Old 2"):  # 26 weeks + 6 months overdue each
        make_use_case(name, owner=role_users["leader"], live_since=D(2025, 1, 6))
    first = client.get(API).json()
    assert first["count"] == 5 + 2 * 32 and len(first["results"]) == 50 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 19 and second["next"] is None


@pytest.mark.django_db
def test_the_api_pages_in_one_pass_over_the_portfolio(role_users, overdue, client_for):
    """The count and the page come from one statement (``OverdueWindow``), not a COUNT over
    the union and then the page; the rows are the engine's, in its order. "last" is served
    too (a second statement: its offset is not known before the count); a page past the
    end is DRF's 404."""

    for name in ("Old 1", "Old 2"):  # 26 weeks + 6 months overdue each
        make_use_case(name, owner=role_users["leader"], live_since=D(2025, 1, 6))
    everything = engine_rows("use_case_id", "kind", "period")
    assert len(everything) == 69
    client = client_for(role_users["pmo"])
    client.get(API)
    for query, first, passes in [("", 0, 1), ("?page=2", 50, 1), ("?page=last", 50, 2)]:
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(API + query).json()
        assert body["count"] == 69
        got = [(r["use_case"], r["kind"], r["period"]) for r in body["results"]]
        assert got == everything[first : first + 50], query
        assert len([q for q in ctx.captured_queries if "UNION ALL" in q["sql"]]) == passes
    assert client.get(API + "?page=3").status_code == 404
    assert client.get(API + "?page=" + "9" * 40).status_code == 404


@pytest.mark.django_db
def test_api_invalid_kind_is_400(role_users, client_for):
    response = client_for(role_users["pmo"]).get(API + "?kind=daily")
    assert response.status_code == 400
    assert "kind" in response.json()


# --- constant queries ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PAGE, CSV_URL, API])
def test_queries_do_not_grow_with_the_portfolio(role_users, client_for, clock_frozen, url):
    client = client_for(role_users["pmo"])

    def queries(n: int) -> int:
        existing = UseCase.objects.count()
        for i in range(existing, n):
            make_use_case(f"UC {i:02d}", owner=role_users["owner"], live_since=D(2026, 1, 5))
        client.get(url)  # warm up (session, content types)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    one = queries(3)  # role_users' two use cases (not live yet) + 1
    fifty = queries(52)
    assert one == fifty


@pytest.mark.django_db
def test_per_owner_lists_the_owners_with_most_and_sums_the_rest(
    role_users, overdue, client_for, monkeypatch
):
    """``OWNERS_SHOWN`` owners with the most overdue reviews, and the use cases without an
    owner always; the others in one line, whose count is theirs together, so the column still
    adds up to the page's total."""
    from reviews import overdue_views

    monkeypatch.setattr(overdue_views, "OWNERS_SHOWN", 1)
    response = client_for(role_users["pmo"]).get(PAGE)
    per_owner = [(c.username, c.count) for c in response.context["per_owner"]]
    assert per_owner == [("olivia", 2), ("", 1)]
    assert (response.context["more_owners"], response.context["more_owners_overdue"]) == (1, 2)
    html = response.content.decode()
    assert "1 more value owner (choose one under “Value owner”, or export the CSV)" in html
    assert "— no value owner —" in html
    assert "Oscar Other</a>" not in html.split('id="list-heading"')[0]
    assert '<option value="oscar"' not in html  # the filter searches owners, lists none
    assert 'type="search" name="owner"' in html and 'hx-get="/use-cases/owners/"' in html

    monkeypatch.setattr(overdue_views, "OWNERS_SHOWN", 2)
    response = client_for(role_users["pmo"]).get(PAGE)
    assert len(response.context["per_owner"]) == 3
    assert response.context["more_owners"] == 0
    assert "more value owner" not in response.content.decode()


def test_the_owner_is_searched_by_username_or_full_name(role_users, overdue, client_for):
    """The tracker's owner field is the dashboard's search (``usecases.owner_search``): a
    username, a full name only one owner has (any case), or "(none)"; the CSV follows. An owner
    nobody has is reported at the field and the tracker is left unfiltered, never emptied."""
    client = client_for(role_users["pmo"])
    oscar = {("Matching", "2026-W21"), ("Matching", "2026-04")}
    for typed in ("oscar", "Oscar Other", "  oscar   OTHER "):
        response = client.get(PAGE, {"owner": typed})
        assert "owner" not in response.context["owner_form"].errors, typed
        assert {(i.use_case_name, i.period) for i in response.context["items"]} == oscar, typed
    assert 'value="Oscar Other"' in client.get(PAGE, {"owner": "Oscar Other"}).content.decode()
    rows = list(csv.reader(io.StringIO(client.get(CSV_URL, {"owner": "oscar other"}).text)))
    assert {(row[1], row[4]) for row in rows[1:]} == oscar

    unknown = client.get(PAGE, {"owner": "Nobody Atall", "kind": "weekly"})
    assert unknown.status_code == 200
    assert unknown.context["owner_form"].errors["owner"] == [
        "No use case you can see has the value owner “Nobody Atall”. Type part of a name and "
        "pick one from the list."
    ]
    assert len(unknown.context["items"]) == 4  # every weekly one: the kind alone
    assert 'aria-invalid="true"' in unknown.content.decode()
    assert client.get(PAGE, {"owner": "\x00"}).context["owner_form"].errors["owner"]


def test_owner_summary_keeps_the_order_and_adds_up():
    counts = [
        cadence.OwnerCount(username=u, name=u or "", count=n)
        for u, n in [("a", 9), ("b", 5), ("", 5), ("c", 4), ("d", 1)]
    ]
    summary = cadence.owner_summary(counts, limit=2)
    assert [c.username for c in summary.shown] == ["a", "b", ""]
    assert (summary.more_owners, summary.more_overdue) == (2, 5)
    assert sum(c.count for c in summary.shown) + summary.more_overdue == summary.total == 24
    nobody_last = cadence.owner_summary(counts[:2] + counts[3:] + counts[2:3], limit=1)
    assert [c.username for c in nobody_last.shown] == ["a", ""]
    assert cadence.owner_summary(counts, limit=0).shown == [counts[2]]


@pytest.mark.django_db
def test_the_page_passes_over_the_portfolio_once(role_users, overdue, client_for, monkeypatch):
    """The page's rows and every owner's count, whose sum is the rows' number, come from one
    statement over the union of every period (``overdue_digest``), and the rows are the
    engine's, in its order. A page number out of range serves the last page, whose rows then
    cost a second statement; a number no portfolio has is not used as an OFFSET."""
    from reviews import overdue_views

    monkeypatch.setattr(overdue_views, "PAGE_SIZE", 2)
    everything = engine_rows("use_case_name", "kind", "period")
    assert len(everything) == 5
    client = client_for(role_users["pmo"])
    client.get(PAGE)
    for query, number, passes in [
        ("", 1, 1),
        ("?page=2", 2, 1),
        ("?page=3", 3, 1),
        ("?page=99", 3, 2),
        ("?page=x", 1, 1),
        ("?page=" + "9" * 30, 3, 2),
        ("?page=-1", 3, 2),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PAGE + query)
        assert response.status_code == 200
        page = response.context["page_obj"]
        assert (page.paginator.count, page.paginator.num_pages, page.number) == (5, 3, number)
        shown = [(i.use_case_name, i.kind, i.period) for i in response.context["items"]]
        assert shown == everything[(number - 1) * 2 : number * 2], query
        assert "5 overdue reviews on" in response.content.decode()
        over_the_union = [q for q in ctx.captured_queries if "UNION ALL" in q["sql"]]
        assert len(over_the_union) == passes, query
        assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in over_the_union)
