"""Microsoft Entra ID's groups overage against the real provider: a user in more groups than fit
in the token gets ``_claim_names: {"groups": ...}`` (or ``hasgroups: true``) instead of the
list. Her roles are kept as they were (not stripped), with a warning in the log, an audit row per
managed role ("kept") and a message on the page she lands on."""

import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.conftest import make_user
from usecases.models import RoleChange, RoleSource
from usecases.roles import LEADERSHIP, PMO

from .test_sso import groups, signed_in_user, sso_login

pytestmark = pytest.mark.django_db


def audit(user) -> list[tuple]:
    return list(
        RoleChange.objects.filter(user=user, source=RoleSource.SSO)
        .order_by("role")
        .values_list("role", "added")
    )


def test_a_groups_overage_keeps_the_roles_and_says_so(client, idp, caplog):
    dora = make_user("dora", PMO)  # PMO in Valuegate, linked at her first single sign-on
    caplog.set_level(logging.WARNING, logger="portfolio.sso")

    response = sso_login(client, idp, "dora")
    assert response.status_code == 302 and signed_in_user(client) == dora
    token = SocialAccount.objects.get(user=dora).extra_data["id_token"]
    assert "groups" not in token and token["_claim_names"] == {"groups": "src1"}  # the overage

    assert groups(dora) == {PMO}  # not stripped
    assert audit(dora) == [(LEADERSHIP, None), (PMO, None)]  # kept, each recorded
    pmo_row = RoleChange.objects.get(user=dora, role=PMO, source=RoleSource.SSO)
    assert "overage" in pmo_row.reason and "(member)" in pmo_row.reason
    assert pmo_row.change == "kept"
    assert any("overage" in r.getMessage() and "dora" in r.getMessage() for r in caplog.records)

    page = client.get(reverse("portfolio:home")).content.decode()
    assert "your Valuegate roles were kept as they were" in page


def test_hasgroups_is_an_overage_too(client, idp):
    eve = make_user("eve", LEADERSHIP)
    sso_login(client, idp, "eve")
    assert SocialAccount.objects.get(user=eve).extra_data["id_token"]["hasgroups"] is True
    assert groups(eve) == {LEADERSHIP}
    assert audit(eve) == [(LEADERSHIP, None), (PMO, None)]


def test_the_roles_follow_again_once_the_provider_sends_the_list(client, idp):
    dora = make_user("dora", PMO)
    sso_login(client, idp, "dora")
    client.logout()

    idp.set_groups("dora", ["vg-leadership"])  # the list again (its overage flag stays set:
    sso_login(client, idp, "dora")  # a token with the list is no overage, whatever else it has)
    assert groups(dora) == {LEADERSHIP}
    followed = RoleChange.objects.filter(user=dora, source=RoleSource.SSO, added__isnull=False)
    assert sorted(followed.values_list("role", "added")) == [(LEADERSHIP, True), (PMO, False)]


def test_an_overage_again_records_nothing_new(client, idp, caplog):
    """The second sign-in with an overage changes nothing: no new audit row (the warning and the
    message still say it); once a role changed in between, its "kept" is recorded again."""
    dora = make_user("dora", PMO)
    sso_login(client, idp, "dora")
    client.logout()
    first = list(RoleChange.objects.filter(user=dora).values_list("pk", flat=True))
    caplog.set_level(logging.WARNING, logger="portfolio.sso")

    sso_login(client, idp, "dora")
    assert list(RoleChange.objects.filter(user=dora).values_list("pk", flat=True)) == first
    assert any("overage" in r.getMessage() for r in caplog.records)
    page = client.get(reverse("portfolio:home")).content.decode()
    assert "your Valuegate roles were kept as they were" in page
    client.logout()

    dora.groups.remove(Group.objects.get(name=PMO))  # in Valuegate, between two sign-ins
    sso_login(client, idp, "dora")
    assert groups(dora) == set()
    assert audit(dora) == [(LEADERSHIP, None), (PMO, None), (PMO, None)]
    latest = RoleChange.objects.filter(user=dora).order_by("-pk").first()
    assert (latest.role, latest.change) == (PMO, "kept")
    assert "(not a member)" in latest.reason
