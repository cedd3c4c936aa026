"""Every change of a user's PMO or Leadership group is audited (``RoleChange``), on each path:
the Django admin's user form (with the administrator who saved it), ``create_pmo_user``, code
from either side of the relation; other groups are not audited, nothing is recorded when nothing
changes. Single sign-on (one row per change) is tested in tests/oidc/test_sso.py."""

import importlib
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_use_case, make_user
from usecases.models import RoleChange, RoleSource
from usecases.role_changes import DELETED, UNATTRIBUTED, role_changes_by, roles_kept
from usecases.roles import LEADERSHIP, PMO, is_pmo

pytestmark = pytest.mark.django_db


def group(name: str) -> Group:
    return Group.objects.get_or_create(name=name)[0]


def changes(user) -> list[tuple]:
    return list(
        RoleChange.objects.filter(user=user)
        .order_by("pk")
        .values_list("role", "added", "source", "changed_by")
    )


def admin_form_data(user) -> dict:
    """The admin's change form of ``user`` as the browser sends it back unchanged."""
    joined = user.date_joined.astimezone(timezone.get_current_timezone())
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": list(user.groups.values_list("pk", flat=True)),
        "user_permissions": [],
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }
    data.update(
        {flag: "on" for flag in ("is_active", "is_staff", "is_superuser") if getattr(user, flag)}
    )
    return data


def save_in_admin(client, user, **changes) -> None:
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert client.get(url).status_code == 200
    data = {**admin_form_data(user), **changes}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_the_admin_giving_and_taking_a_role_is_audited_with_the_administrator(
    admin_client, admin_user
):
    olivia = make_user("olivia")
    everyone = group("Everyone")  # not a role group: not audited
    save_in_admin(admin_client, olivia, groups=[group(PMO).pk, everyone.pk])
    assert is_pmo(User.objects.get(pk=olivia.pk))
    assert changes(olivia) == [(PMO, True, RoleSource.ADMIN, admin_user.pk)]
    assert "root" in RoleChange.objects.get(user=olivia).reason

    save_in_admin(admin_client, olivia, groups=[group(LEADERSHIP).pk, everyone.pk])
    assert changes(olivia)[1:] == [
        (PMO, False, RoleSource.ADMIN, admin_user.pk),
        (LEADERSHIP, True, RoleSource.ADMIN, admin_user.pk),
    ]


def test_an_admin_save_that_leaves_the_groups_alone_records_nothing(admin_client):
    pia = make_user("pia", PMO)
    before = changes(pia)
    save_in_admin(admin_client, pia, first_name="Pia Maria")
    assert User.objects.get(pk=pia.pk).first_name == "Pia Maria"
    assert changes(pia) == before


def test_create_pmo_user_is_audited_as_a_command(monkeypatch):
    monkeypatch.setenv("VALUEGATE_PMO_PASSWORD", "plenty-of-entropy-4711")
    call_command("create_pmo_user", "pia", "--noinput", "--leadership", stdout=StringIO())
    pia = User.objects.get(username="pia")
    assert sorted(changes(pia)) == [
        (LEADERSHIP, True, RoleSource.COMMAND, None),
        (PMO, True, RoleSource.COMMAND, None),
    ]
    assert RoleChange.objects.filter(user=pia, reason__contains="create_pmo_user").count() == 2

    call_command("create_pmo_user", "pia", "--noinput", stdout=StringIO())  # already PMO
    assert RoleChange.objects.filter(user=pia).count() == 2


def test_changes_from_the_groups_side_are_audited_too():
    olivia, oscar = make_user("olivia"), make_user("oscar")
    leadership = group(LEADERSHIP)
    with role_changes_by(RoleSource.COMMAND, reason="a script"):
        leadership.user_set.add(olivia, oscar)
    assert changes(olivia) == changes(oscar) == [(LEADERSHIP, True, RoleSource.COMMAND, None)]

    leadership.user_set.remove(oscar)  # outside any attribution: still recorded
    removal = RoleChange.objects.filter(user=oscar).order_by("pk").last()
    assert (removal.added, removal.source, removal.reason) == (
        False,
        RoleSource.OTHER,
        UNATTRIBUTED,
    )

    leadership.user_set.clear()  # olivia is the only member left
    assert changes(olivia)[-1] == (LEADERSHIP, False, RoleSource.OTHER, None)
    assert RoleChange.objects.filter(user=oscar).count() == 2


def test_only_real_changes_of_role_groups_are_recorded():
    olivia = make_user("olivia", PMO)
    assert changes(olivia) == [(PMO, True, RoleSource.OTHER, None)]  # the factory's add

    olivia.groups.add(group(PMO))  # already a member
    olivia.groups.remove(group(LEADERSHIP))  # not a member
    olivia.groups.add(group("Everyone"))  # not a role group
    assert len(changes(olivia)) == 1

    olivia.groups.clear()  # PMO and Everyone go; only PMO is a role
    assert changes(olivia)[1:] == [(PMO, False, RoleSource.OTHER, None)]


def test_a_cached_role_is_forgotten_when_the_group_changes():
    olivia = make_user("olivia")
    assert not is_pmo(olivia)  # cached on the instance
    olivia.groups.add(group(PMO))
    assert is_pmo(olivia)


def test_the_admins_list_of_role_changes_says_given_taken_or_kept(admin_client, admin_user):
    olivia = make_user("olivia", PMO)
    olivia.groups.remove(group(PMO))
    roles_kept(olivia, [LEADERSHIP], source=RoleSource.SSO, reason="groups overage")
    page = admin_client.get(reverse("admin:usecases_rolechange_changelist")).content.decode()
    for word in ("given", "taken away", "kept"):
        assert f">{word}<" in page
    assert "groups overage (not a member)" in page


def test_the_audit_outlives_the_accounts_it_names(admin_client, admin_user):
    """Deleting a user (or the administrator who changed her roles) leaves the role changes,
    with the usernames as they were."""
    olivia = make_user("olivia")
    save_in_admin(admin_client, olivia, groups=[group(PMO).pk])  # given by the administrator
    leadership = group(LEADERSHIP)
    leadership.user_set.add(olivia)  # from the groups side: the username by id
    roles_kept(olivia, [PMO], source=RoleSource.SSO, reason="groups overage")
    ids = sorted(RoleChange.objects.filter(user=olivia).values_list("pk", flat=True))
    assert len(ids) == 3

    olivia.delete()
    rows = RoleChange.objects.filter(pk__in=ids).order_by("pk")
    assert [(r.user_id, r.username, r.role, r.change) for r in rows] == [
        (None, "olivia", PMO, "given"),
        (None, "olivia", LEADERSHIP, "given"),
        (None, "olivia", PMO, "kept"),
    ]
    assert rows[0].changed_by_username == admin_user.username
    assert str(rows[2]) == "olivia: kept PMO (sso)"

    admin_user.delete()
    given = RoleChange.objects.get(pk=ids[0])
    assert (given.changed_by_id, given.changed_by_username) == (None, admin_user.username)
    page_admin = make_user("second-admin", is_superuser=True, is_staff=True)
    admin_client.force_login(page_admin)
    page = admin_client.get(reverse("admin:usecases_rolechange_changelist")).content.decode()
    assert "olivia" in page and admin_user.username in page


def test_the_migration_copies_the_usernames_of_the_rows_written_before(admin_client, admin_user):
    """usecases.0014 fills ``username`` and ``changed_by_username`` of the existing rows."""
    from django.apps import apps

    migration = importlib.import_module("usecases.migrations.0014_role_change_survives_user_delete")
    olivia = make_user("olivia")
    save_in_admin(admin_client, olivia, groups=[group(PMO).pk])
    make_user("oscar", LEADERSHIP)
    RoleChange.objects.update(username="", changed_by_username="")  # as the column was added

    migration.copy_usernames(apps, None)
    assert sorted(RoleChange.objects.values_list("username", "role", "changed_by_username")) == [
        ("olivia", PMO, admin_user.username),
        ("oscar", LEADERSHIP, ""),
    ]


def test_keeping_the_roles_again_records_nothing():
    dora = make_user("dora", PMO)
    kept = roles_kept(dora, [PMO, LEADERSHIP], source=RoleSource.SSO, reason="groups overage")
    assert len(kept) == 2
    assert roles_kept(dora, [PMO, LEADERSHIP], source=RoleSource.SSO, reason="overage") == []
    assert len(changes(dora)) == 3  # the factory's add, then the two "kept"

    dora.groups.remove(group(PMO))  # a real change in between: PMO's "kept" is news again
    (again,) = roles_kept(dora, [PMO, LEADERSHIP], source=RoleSource.SSO, reason="overage")
    assert (again.role, again.change, again.reason) == (PMO, "kept", "overage (not a member)")


def taken_on_delete(username: str) -> list[tuple]:
    return list(
        RoleChange.objects.filter(username=username, reason__startswith=DELETED)
        .order_by("pk")
        .values_list("user_id", "role", "added", "source", "changed_by_username")
    )


def test_deleting_a_user_records_every_role_and_use_case_taken_away(owner, contributor, use_case):
    """A cascade delete sends no ``m2m_changed``: the ``pre_delete`` receiver records the role
    groups and the use case memberships the account loses, with the username."""
    other = make_use_case(name="Invoice matching", owner=owner)
    other.contributors.add(contributor)
    owner.groups.add(group(PMO), group(LEADERSHIP), group("Auditors"))
    owner.delete()
    contributor.delete()
    assert taken_on_delete("olivia") == [
        (None, LEADERSHIP, False, RoleSource.OTHER, ""),
        (None, PMO, False, RoleSource.OTHER, ""),
        (None, f"Value owner of use case #{use_case.pk} {use_case.name}", False, "other", ""),
        (None, f"Value owner of use case #{other.pk} Invoice matching", False, "other", ""),
    ]
    assert taken_on_delete("carl") == [
        (None, f"Contributor to use case #{use_case.pk} {use_case.name}", False, "other", ""),
        (None, f"Contributor to use case #{other.pk} Invoice matching", False, "other", ""),
    ]


def test_a_delete_rolled_back_leaves_no_record(owner, use_case):
    owner.groups.add(group(PMO))
    pk = owner.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        owner.delete()
        assert len(taken_on_delete("olivia")) == 2  # PMO, value owner: written with the delete
        raise RuntimeError("rolled back")
    assert taken_on_delete("olivia") == []
    assert User.objects.filter(pk=pk).exists()


def test_a_user_without_roles_is_deleted_without_a_record():
    make_user("otto").delete()
    assert not RoleChange.objects.exists()


def test_deleting_a_user_in_the_admin_names_the_administrator(admin_client, admin_user, owner):
    owner.groups.add(group(LEADERSHIP))
    url = reverse("admin:auth_user_delete", args=[owner.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    [row] = RoleChange.objects.filter(username="olivia", added=False)
    assert (row.role, row.source, row.changed_by, row.user_id) == (
        LEADERSHIP,
        RoleSource.ADMIN,
        admin_user,
        None,
    )
    assert row.reason == f"{DELETED}: Django admin: {admin_user.username} deleted the user"
