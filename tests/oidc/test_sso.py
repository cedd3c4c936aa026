"""Single sign-on against a real OpenID Connect provider (oidc-provider on loopback), through
Django's test client: accounts made and linked, roles following the groups claim (audited), and
the refusals: a wrong state, a replayed code, a foreign issuer, an administrator's username."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import PASSWORD, make_use_case, make_user
from usecases.models import RoleChange, RoleSource
from usecases.roles import LEADERSHIP, PMO

from .conftest import CALLBACK, LABEL, configure_sso, start_provider
from .provider import USERS

pytestmark = pytest.mark.django_db

User = get_user_model()


def start_login(client) -> str:
    """The login page's single sign-on button: a POST; the provider's authorization URL."""
    response = client.post(reverse("openid_connect_login"), {"process": "login"})
    assert response.status_code == 302, response.content
    return response["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def sso_login(client, idp, username: str):
    """The whole sign-in: button → provider → callback. The callback's response."""
    back = idp.sign_in(start_login(client), username, USERS[username]["password"])
    assert urlsplit(back).path == CALLBACK
    return client.get(callback_path(back))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def groups(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_the_login_page_shows_the_button_with_its_label(client, idp):
    page = client.get(reverse("login")).content.decode()
    assert LABEL in page
    assert reverse("openid_connect_login") in page
    assert 'name="username"' in page  # the password form stays (SSO_ONLY is off)


def test_without_single_sign_on_there_is_no_button(client, settings):
    settings.OIDC_ISSUER = ""
    page = client.get(reverse("login")).content.decode()
    assert "/accounts/oidc/" not in page
    assert 'name="username"' in page


def test_the_authorization_request_uses_pkce_and_the_configured_scopes(client, idp):
    query = parse_qs(urlsplit(start_login(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert set(query["scope"][0].split()) == {"openid", "profile", "email", "groups"}
    assert query["client_id"] == ["valuegate"]
    assert query["redirect_uri"] == [f"http://testserver{CALLBACK}"]


def test_a_first_sign_in_makes_the_account_with_its_roles_audited(client, idp):
    response = sso_login(client, idp, "ann")
    assert response.status_code == 302 and response["Location"] == reverse("portfolio:home")
    ann = signed_in_user(client)
    assert ann.username == "ann" and ann.email == "ann@example.com"
    assert (ann.first_name, ann.last_name) == ("Ann", "Admiral")
    assert not ann.has_usable_password()  # no password to leak or to guess
    assert groups(ann) == {PMO}
    change = RoleChange.objects.get(user=ann)
    assert (change.role, change.added, change.source) == (PMO, True, RoleSource.SSO)
    assert PMO in client.get(reverse("portfolio:home")).content.decode()


def test_without_preferred_username_the_email_is_the_username(client, idp):
    sso_login(client, idp, "cleo")
    cleo = signed_in_user(client)
    assert cleo.username == "cleo@example.com"
    assert groups(cleo) == set()
    assert not RoleChange.objects.filter(user=cleo).exists()  # nothing changed, nothing audited


def test_a_group_removed_at_the_provider_takes_the_role_away_at_the_next_login(client, idp):
    sso_login(client, idp, "ann")
    ann = signed_in_user(client)
    assert groups(ann) == {PMO}
    client.logout()

    idp.set_groups("ann", ["everyone", "vg-leadership"])  # moved from the PMO to leadership
    sso_login(client, idp, "ann")
    assert signed_in_user(client) == ann
    assert groups(ann) == {LEADERSHIP}
    changes = list(RoleChange.objects.filter(user=ann).order_by("pk").values_list("role", "added"))
    assert changes == [(PMO, True), (PMO, False), (LEADERSHIP, True)]  # one row per change
    assert set(RoleChange.objects.filter(user=ann).values_list("source", "changed_by")) == {
        (RoleSource.SSO, None)
    }
    assert "vg-leadership" in RoleChange.objects.filter(user=ann).order_by("pk").last().reason
    client.logout()

    sso_login(client, idp, "ann")  # the same groups again: no change, no new audit record
    assert RoleChange.objects.filter(user=ann).count() == 3


def test_value_owners_and_contributors_stay_assigned_in_valuegate(client, idp):
    olivia = make_user("ben", first_name="Ben")  # a local account the provider's "ben" links to
    use_case = make_use_case(owner=olivia)
    helper = make_user("cleo@example.com")
    use_case.contributors.add(helper)

    sso_login(client, idp, "ben")
    ben = signed_in_user(client)
    assert ben == olivia  # linked by username, not a second account
    assert SocialAccount.objects.get(user=ben).uid == USERS["ben"]["sub"]
    assert groups(ben) == {LEADERSHIP}
    client.logout()
    sso_login(client, idp, "cleo")
    assert signed_in_user(client) == helper

    use_case.refresh_from_db()
    assert use_case.value_owner == ben
    assert list(use_case.contributors.all()) == [helper]


def test_roles_without_a_mapping_are_left_as_assigned_in_valuegate(client, idp, settings):
    settings.OIDC_LEADERSHIP_GROUPS = []  # leadership is managed in Valuegate, not by the IdP
    make_user("ann", LEADERSHIP)
    sso_login(client, idp, "ann")
    assert groups(signed_in_user(client)) == {PMO, LEADERSHIP}


def test_an_administrators_username_is_never_taken_over(client, idp):
    admin = User.objects.create_superuser("ann", "root@example.com", PASSWORD)
    response = sso_login(client, idp, "ann")
    assert response.status_code == 403
    assert "administrator" in response.content.decode()
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.filter(user=admin).exists()


def test_a_wrong_state_is_refused(client, idp):
    back = idp.sign_in(start_login(client), "ann", USERS["ann"]["password"])
    parts = urlsplit(back)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["state"] = "forged-" + query["state"]
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code != 302 or response["Location"] != reverse("portfolio:home")
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="ann").exists()


def test_a_replayed_code_is_refused(client, idp):
    back = idp.sign_in(start_login(client), "ann", USERS["ann"]["password"])
    client.get(callback_path(back))
    assert signed_in_user(client) is not None
    client.logout()

    # A new sign-in started (a fresh state and PKCE verifier in the session), answered with the
    # old code: the provider refuses a code used once.
    fresh = parse_qs(urlsplit(start_login(client)).query)["state"][0]
    parts = urlsplit(back)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["state"] = fresh
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert signed_in_user(client) is None
    assert response.status_code in (200, 401)
    assert "Third-Party Login Failure" in response.content.decode()


def test_a_foreign_issuer_is_refused(client, tmp_path, settings):
    """The provider at the configured address signs its ID tokens as another issuer (what a
    mix-up or a hijacked discovery document looks like): the ``iss`` must be the configured
    issuer, not whatever the discovery document names."""
    foreign = start_provider(
        tmp_path, [f"http://testserver{CALLBACK}"], issuer="https://idp.attacker.example"
    )
    try:
        configure_sso(settings, foreign.url)
        back = foreign.sign_in(start_login(client), "ann", USERS["ann"]["password"])
        response = client.get(callback_path(back))
    finally:
        foreign.stop()
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="ann").exists()
    assert response.status_code in (200, 401)


def test_sso_only_keeps_passwords_for_superusers(client, idp, settings, owner, admin_user):
    configure_sso(settings, idp.url, sso_only=True)
    page = client.get(reverse("login")).content.decode()
    assert LABEL in page and "Administrator sign-in" in page

    refused = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert refused.status_code == 200 and signed_in_user(client) is None
    token = client.post(reverse("api:token"), {"username": owner.username, "password": PASSWORD})
    assert token.status_code == 400

    admitted = client.post(
        reverse("login"), {"username": admin_user.username, "password": PASSWORD}
    )
    assert admitted.status_code == 302 and signed_in_user(client) == admin_user


def test_no_public_sign_up(client, idp):
    assert client.get("/accounts/signup/").status_code == 404
    page = client.get(reverse("login")).content.decode()
    assert "signup" not in page.lower() and "sign up" not in page.lower()


def test_a_single_sign_on_session_needs_no_local_second_factor(client, idp, settings):
    """MFA_REQUIRED is for password sign-ins; the provider enforces its own second factor."""
    settings.MFA_REQUIRED = True
    sso_login(client, idp, "ann")
    assert PMO in groups(signed_in_user(client))
    assert client.get(reverse("portfolio:home")).status_code == 200


def test_the_login_page_is_html_whatever_the_accept_header(client):
    """allauth answers JSON to ``Accept: application/json`` (the production smoke test's
    client); the page and its CSP nonce must be the same for every client."""
    response = client.get(reverse("login"), HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("text/html")
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
