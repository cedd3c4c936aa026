"""Refusals and errors in the app's layout (issue 16; ``portfolio/errors.py``): 400 (and a CSRF
failure), 403 with the reason the code gave, 404, 429 and 500 — per role, anonymous and logged
in. The 500 page is made without the database (every query is blocked while it renders) and
without user-specific navigation; under ``/api/`` every one is JSON."""

import json

import pytest
from axes.utils import reset as axes_reset
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from portfolio.errors import HTMX_SWAPPED
from tests.conftest import PASSWORD

NAV = 'aria-label="Main"'
LAYOUT = 'class="card error-page"'
ERROR_URLS = pytest.mark.urls("tests.portfolio.error_urls")


def page(response) -> str:
    return response.content.decode()


def assert_in_layout(response, status: int, message: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = page(response)
    assert LAYOUT in html
    assert f"Error {status}" in html
    assert message in html
    assert 'href="/static/css/app.css"' in html and "img/favicon.svg" in html
    return html


# --- 403: the reason, with the navigation -------------------------------------------------------

REFUSED = [
    ("owner", "reviews:overdue", "The overdue tracker is for the PMO."),
    ("contributor", "reviews:overdue", "The overdue tracker is for the PMO."),
    ("leader", "reviews:policy", "Only the PMO sets the stop-loss policy."),
    ("owner", "usecases:create", "Only the PMO creates use cases."),
    ("other_owner", "stagegates:new", "Only the PMO creates gates."),
]


@pytest.mark.parametrize(("role", "url_name", "message"), REFUSED)
def test_403_says_why_in_the_layout_with_navigation(
    role, url_name, message, role_users, client_for
):
    user = role_users[role]
    response = client_for(user).get(reverse(url_name))
    html = assert_in_layout(response, 403, message)
    assert NAV in html
    assert user.username in html or user.get_full_name() in html  # the user box
    assert 'href="/"' in html  # a way on: My work


@pytest.mark.parametrize(("role", "url_name", "message"), REFUSED)
def test_403_to_htmx_is_the_message_alone(role, url_name, message, role_users, client_for):
    """htmx swaps a 403 in where the answer was awaited (base.html's htmx-config): the reason,
    not a whole page with its navigation inside the page."""
    response = client_for(role_users[role]).get(reverse(url_name), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="msg msg-error htmx-refusal" role="alert">')
    assert "Not allowed." in html and message in html
    assert NAV not in html and "<html" not in html


def test_404_to_htmx_is_the_message_alone(client_for, owner):
    """A section of a use case that is gone (or never was): htmx swaps the message in."""
    url = reverse("portfolio:use_case_trends", kwargs={"pk": 999999})
    response = client_for(owner).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="msg msg-error htmx-refusal" role="alert">')
    assert "Not found." in html
    assert NAV not in html and "<html" not in html


def test_csrf_failure_to_htmx_is_the_message_alone(owner, use_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    client.get(url)
    response = client.post(
        url, {"csrfmiddlewaretoken": "x" * 64}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=url
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not sent." in html and "Reload the page and try again." in html
    assert "<html" not in html


def test_htmx_config_swaps_the_refusals_in(client_for, owner):
    """The configuration itself: the statuses errors.py answers with a message alone (400, 403,
    404, 409, 422, 429) swap and are no errors; the rest of htmx
    2's defaults stay (204 swaps nothing, other 4xx/5xx are errors)."""
    html = client_for(owner).get(reverse("portfolio:home")).content.decode()
    meta = html[html.index('<meta name="htmx-config" content=\'') :]
    config = json.loads(meta.split("'", 2)[1])
    assert config["includeIndicatorStyles"] is False
    handling = config["responseHandling"]
    assert handling[0] == {"code": "204", "swap": False}
    swapped = "|".join(str(code) for code in sorted(HTMX_SWAPPED))
    assert handling[1] == {"code": f"^({swapped})$", "swap": True, "error": False}
    assert handling[-2:] == [
        {"code": "[45]..", "swap": False, "error": True},
        {"code": "...", "swap": False},
    ]


# --- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "owner", "pmo"])
def test_404_in_the_layout_for_anonymous_and_logged_in(role, role_users, client_for):
    user = None if role == "anonymous" else role_users[role]
    response = client_for(user).get("/no-such-page/")
    html = assert_in_layout(response, 404, "There is no page at this address.")
    if user is None:
        assert NAV not in html
        assert f'href="{reverse("login")}"' in html
    else:
        assert NAV in html


def test_404_says_the_codes_reason_but_not_a_model_class_name(role_users, client_for, use_case):
    client = client_for(role_users["outsider"])
    html = assert_in_layout(client.get(use_case.get_absolute_url()), 404, "No such use case.")
    response = client_for(role_users["pmo"]).get(reverse("reviews:weekly_edit", args=[999999]))
    html = assert_in_layout(response, 404, "There is no page at this address.")
    assert "matches the given query" not in html


def test_api_errors_are_json(role_users, client_for):
    for user in (None, role_users["owner"]):
        response = client_for(user).get("/api/v1/no-such-resource/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"detail": "There is no page at this address."}


# --- 400: CSRF failure and a suspicious request ----------------------------------------------


def test_csrf_failure_is_a_400_page_saying_to_reload(owner, use_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    client.get(url)  # the form page sets the CSRF cookie; the POST below sends a stale token
    response = client.post(url, {"week": "2026-W40", "csrfmiddlewaretoken": "x" * 64})
    html = assert_in_layout(response, 400, "Reload the page and try again.")
    assert "The form could not be sent" in html
    assert NAV in html
    assert f'href="{url}"' in html  # "Reload the page"


def test_csrf_failure_without_the_cookie_names_the_cookie(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "x", "password": "y"}
    )
    html = assert_in_layout(response, 400, "did not send this site&#x27;s security cookie")
    assert NAV not in html


@ERROR_URLS
def test_suspicious_request_is_a_400_page(owner, client_for):
    response = client_for(owner).get("/test-errors/suspicious/")
    html = assert_in_layout(response, 400, "The request could not be understood.")
    assert NAV in html


# --- 429: login limits and lockouts ----------------------------------------------------------


def test_too_many_login_checks_is_a_429_page_with_retry_after(settings, owner, login_clock):
    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (1, 60), "global": (10_000, 1)}
    client = Client()
    client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "olivia", "password": PASSWORD})
    html = assert_in_layout(response, 429, "Too many sign-in attempts right now.")
    assert int(response["Retry-After"]) == 30  # the clock stands 30 s into the window
    assert f'href="{reverse("login")}"' in html


def test_lockout_is_a_429_page_with_retry_after(settings, owner):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    axes_reset()
    client = Client()
    try:
        client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
        response = client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
        assert_in_layout(response, 429, "too many login attempts")
        assert int(response["Retry-After"]) == 15 * 60
    finally:
        axes_reset()


# --- 500: no database, no user-specific navigation -------------------------------------------


@ERROR_URLS
@pytest.mark.parametrize("role", ["anonymous", "owner"])
def test_500_page_needs_no_database(role, role_users, django_db_blocker):
    client = Client(raise_request_exception=False)
    user = None if role == "anonymous" else role_users[role]
    if user is not None:
        client.force_login(user)
    with django_db_blocker.block():  # any query now raises: the page must make none
        response = client.get("/test-errors/crash/")
    html = assert_in_layout(response, 500, "Something went wrong on our side.")
    assert NAV not in html
    assert "Log out" not in html
    if user is not None:
        assert user.username not in html
    assert 'href="/"' in html


@ERROR_URLS
def test_500_under_the_api_is_json(django_db_blocker):
    with django_db_blocker.block():
        response = Client(raise_request_exception=False).get("/api/v1/test-errors/crash/")
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "detail": "Something went wrong on our side. It has been logged; please try again in a "
        "moment."
    }


# --- the admin, the browsable API and the icon carry the app's name ------------------------


def test_admin_carries_the_apps_name_icon_and_a_link_home(client_for, admin_user):
    login_page = page(Client().get(reverse("admin:login")))
    assert "Valuegate administration" in login_page
    assert "Valuegate admin" in login_page  # <title>
    assert 'href="/">← Back to Valuegate</a>' in login_page
    assert static("img/favicon.svg") in login_page
    index = page(client_for(admin_user).get(reverse("admin:index")))
    assert "Valuegate administration" in index and "← Back to Valuegate" in index


@pytest.mark.parametrize("url_name", ["api:api-root", "api:use-case-list", "api:flag-list"])
def test_browsable_api_carries_the_apps_name_and_no_inline_style(url_name, owner, client_for):
    response = client_for(owner).get(reverse(url_name), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = page(response)
    assert '<a class="navbar-brand" href="/">Valuegate</a>' in html
    assert "Valuegate API" in html  # <title>
    assert static("img/favicon.svg") in html
    # The Content-Security-Policy allows no inline style: none is sent.
    assert "<style" not in html and "style=" not in html


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")
