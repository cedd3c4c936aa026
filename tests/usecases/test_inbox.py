"""The in-app inbox (usecases.inbox_views) and the unread count in the navigation."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from usecases.context_processors import inbox as inbox_context
from usecases.models import Notification
from usecases.notify import notify

INBOX = "/inbox/"


def note(user, subject, period="2026-W20", title=None, url="/use-cases/"):
    n, _ = notify(
        recipient=user,
        kind="weekly_reminder",
        subject=subject,
        period=period,
        title=title or f"Review {period} for {user.username}",
        body="Please submit it.",
        url=url,
    )
    return n


def test_urls():
    assert reverse("usecases:inbox") == INBOX
    assert reverse("usecases:inbox_read", args=[7]) == "/inbox/7/read/"
    assert reverse("usecases:inbox_read_all") == "/inbox/read-all/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", INBOX), ("post", "/inbox/1/read/"), ("post", "/inbox/read-all/")],
)
def test_anonymous_goes_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["owner", "other_owner", "contributor", "leader", "pmo", "admin", "outsider"]
)
def test_everyone_sees_only_their_own(role_users, use_case, client_for, role):
    user = role_users[role]
    mine = note(user, use_case, title=f"For {role}")
    someone_else = role_users["outsider" if role != "outsider" else "owner"]
    note(someone_else, use_case, title="Not yours")
    response = client_for(user).get(INBOX)
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [mine]
    assert b"Not yours" not in response.content
    assert b'Inbox (<span id="inbox-count">1</span>)' in response.content


@pytest.mark.django_db
def test_mark_read_with_a_form_post(owner, use_case, client_for):
    n = note(owner, use_case)
    client = client_for(owner)
    assert client.get(f"/inbox/{n.pk}/read/").status_code == 405
    response = client.post(f"/inbox/{n.pk}/read/", {"next": "/inbox/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?show=unread"
    n.refresh_from_db()
    first_read = n.read_at
    assert first_read is not None
    client.post(f"/inbox/{n.pk}/read/")
    n.refresh_from_db()
    assert n.read_at == first_read  # reading again keeps the first time
    page = client.get(INBOX)
    assert b'Inbox (<span id="inbox-count">0</span>)' in page.content
    assert b'<span id="menu-unread" class="badge navmenu-unread" hidden>0<' in page.content


@pytest.mark.django_db
def test_someone_elses_notification_is_a_404(owner, contributor, use_case, client_for):
    n = note(owner, use_case)
    response = client_for(contributor).post(f"/inbox/{n.pk}/read/")
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
def test_open_marks_read_and_goes_to_the_form(owner, use_case, client_for):
    n = note(owner, use_case, url="/reviews/use-cases/1/weekly/new/?week=2026-W20")
    response = client_for(owner).post(f"/inbox/{n.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/reviews/use-cases/1/weekly/new/?week=2026-W20"
    n.refresh_from_db()
    assert n.read_at is not None


@pytest.mark.django_db
def test_open_never_redirects_off_site(owner, use_case, client_for):
    n = note(owner, use_case, url="https://evil.example/phish")
    client = client_for(owner)
    assert client.post(f"/inbox/{n.pk}/read/", {"open": "1"})["Location"] == INBOX
    assert client.post(f"/inbox/{n.pk}/read/", {"next": "//evil.example/"})["Location"] == INBOX


@pytest.mark.django_db
def test_htmx_mark_read_returns_the_item_and_the_new_count(owner, use_case, client_for):
    n = note(owner, use_case)
    other = note(owner, use_case, period="2026-W21")
    response = client_for(owner).post(f"/inbox/{n.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{n.pk}"' in html
    assert "Mark read" not in html and "<html" not in html
    assert '<span id="inbox-count" hx-swap-oob="true">1</span>' in html
    # the count on the narrow screens' "Menu" button follows too; at zero it hides
    assert '<span id="menu-unread" class="badge navmenu-unread" hx-swap-oob="true">1<' in html
    last = client_for(owner).post(f"/inbox/{other.pk}/read/", headers={"HX-Request": "true"})
    assert 'id="menu-unread" class="badge navmenu-unread" hx-swap-oob="true" hidden>0<' in (
        last.content.decode()
    )


@pytest.mark.django_db
def test_mark_all_read_touches_only_mine(owner, contributor, use_case, client_for):
    note(owner, use_case)
    note(owner, use_case, period="2026-W21")
    theirs = note(contributor, use_case)
    response = client_for(owner).post("/inbox/read-all/")
    assert response.status_code == 302 and response["Location"] == INBOX
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_unread_filter(owner, use_case, client_for):
    read = note(owner, use_case, title="Old news")
    unread = note(owner, use_case, period="2026-W21", title="Fresh")
    read.read_at = read.created_at
    read.save(update_fields=["read_at"])
    response = client_for(owner).get(INBOX + "?show=unread")
    assert list(response.context["page_obj"]) == [unread]
    assert list(client_for(owner).get(INBOX).context["page_obj"]) == [unread, read]


@pytest.mark.django_db
def test_unread_count_costs_one_count_query_and_nothing_when_anonymous(owner, use_case):
    note(owner, use_case)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as ctx:
        assert inbox_context(request) == {}
    assert len(ctx.captured_queries) == 0
    request.user = owner
    with CaptureQueriesContext(connection) as ctx:
        assert inbox_context(request) == {"inbox_unread": 1}
    assert len(ctx.captured_queries) == 1
    assert "COUNT(" in ctx.captured_queries[0]["sql"].upper()


@pytest.mark.django_db
def test_inbox_page_queries_do_not_grow(owner, use_case, client_for):
    def queries(n: int) -> int:
        Notification.objects.all().delete()
        for i in range(n):
            note(owner, use_case, period=f"P{i}")
        client = client_for(owner)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(INBOX).status_code == 200
        return len(ctx.captured_queries)

    assert queries(1) == queries(25)
