"""Security headers on pages and API responses: Django 6's Content-Security-Policy with a
per-request nonce on scripts, no-sniff, referrer policy and clickjacking protection."""

import re

import pytest
from django.urls import reverse


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_common_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def script_nonces(html: str) -> list[str | None]:
    """The nonce of every <script> tag (None for a script without one)."""
    nonces = []
    for tag in re.findall(r"<script\b[^>]*>", html):
        match = re.search(r'\bnonce="([^"]+)"', tag)
        nonces.append(match.group(1) if match else None)
    return nonces


@pytest.mark.django_db
def test_login_page_has_csp_with_script_nonce(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_common_headers(response)

    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    header_nonces = [v for v in directives["script-src"] if v.startswith("'nonce-")]
    assert len(header_nonces) == 1
    nonce = header_nonces[0].removeprefix("'nonce-").removesuffix("'")

    page_nonces = script_nonces(response.content.decode())
    assert page_nonces, "base.html loads htmx with a <script> tag"
    assert page_nonces == [nonce] * len(page_nonces), "every script carries the header's nonce"


@pytest.mark.django_db
def test_nonce_changes_per_request(client):
    first = csp_directives(client.get(reverse("login")))["script-src"]
    second = csp_directives(client.get(reverse("login")))["script-src"]
    assert first != second


def test_logged_in_page_has_the_same_headers(client_for, owner, use_case):
    response = client_for(owner).get(reverse("usecases:list"))
    assert response.status_code == 200
    assert_common_headers(response)
    nonce = (
        next(v for v in csp_directives(response)["script-src"] if v.startswith("'nonce-"))
        .removeprefix("'nonce-")
        .removesuffix("'")
    )
    page_nonces = script_nonces(response.content.decode())
    assert page_nonces and all(n == nonce for n in page_nonces)


def test_pages_have_no_inline_style_or_event_handlers(client_for, owner, use_case):
    """CSP forbids them; a page using them would break in the browser, not in a unit test."""
    for url in (reverse("login"), reverse("usecases:list")):
        html = client_for(owner if "use-cases" in url else None).get(url).content.decode()
        assert not re.search(r"<[^>]+\sstyle=", html), url
        assert not re.search(r"<[^>]+\son[a-z]+=", html), url


@pytest.mark.django_db
def test_api_responses_have_the_headers(client):
    response = client.post(reverse("api:token"), {"username": "nobody", "password": "x"})
    assert response.status_code == 400
    assert_common_headers(response)
    assert "Content-Security-Policy" in response.headers


@pytest.mark.django_db
def test_healthz_answers_with_the_headers(client):
    response = client.get(reverse("portfolio:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_common_headers(response)
