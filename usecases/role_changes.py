"""Role groups (PMO, Leadership): every change of a user's membership audited, whatever the path.

- **One place records**: ``audit_role_groups``, a receiver of ``m2m_changed`` on
  ``User.groups`` (connected in ``UsecasesConfig.ready``), writes one ``RoleChange`` per role group
  actually given or taken away, from either side of the relation (``user.groups.add(group)``,
  ``group.user_set.remove(user)``, ``clear()``, the admin form's ``set()``), in the transaction of
  the change. Other groups are not audited.
- **Who and why** come from the code that makes the change: ``role_changes_by(source, reason=...,
  by=...)`` around it (the admin's user form: the administrator; ``create_pmo_user``: the command;
  single sign-on: ``roles_follow``). A change made outside any of them is still recorded, as
  ``RoleSource.OTHER`` without an actor.
- ``roles_kept`` records that a source could not say (an identity provider's groups overage):
  one row per role, ``added`` empty, the membership left as it was; nothing when the latest
  record of the role already says so (a second sign-in with an overage changes nothing).
- ``audit_user_deleted`` (``pre_delete`` of a user) records what a deleted account loses: its role
  groups and its use cases as value owner and contributor, as "taken away" rows (the cascade
  delete of the memberships sends no ``m2m_changed``), in the deletion's transaction.
- ``roles_follow`` puts a user in or out of each named role group as ``wanted`` says (single
  sign-on); roles not named in ``wanted`` are left alone: value owners and contributors are fields
  of use cases and never pass here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .audit import fit
from .fastpaths import forget
from .models import RoleChange, RoleSource, UseCase
from .roles import LEADERSHIP, PMO

#: The role groups that are audited (and that an outside source may manage).
MANAGED_ROLES = (PMO, LEADERSHIP)

#: The reason of a change made outside ``role_changes_by``.
UNATTRIBUTED = "Changed outside the admin, the management commands and single sign-on"

_PENDING = "_valuegate_role_changes_pending"


@dataclass
class _Attribution:
    source: str
    reason: str
    by: object | None = None
    recorded: list[RoleChange] = field(default_factory=list)


_current: ContextVar[_Attribution | None] = ContextVar("valuegate_role_changes", default=None)


@contextmanager
def role_changes_by(source: str, *, reason: str, by=None) -> Iterator[list[RoleChange]]:
    """Role group changes made inside are recorded with this source, reason and actor; yields
    the list of the ``RoleChange`` rows written (filled as the changes happen)."""
    attribution = _Attribution(source=source, reason=reason, by=by)
    token = _current.set(attribution)
    try:
        yield attribution.recorded
    finally:
        _current.reset(token)


def _record(pairs: list[tuple[int, str]], *, added: bool, instance, reverse: bool) -> None:
    """One ``RoleChange`` per (user id, role) pair, with the usernames copied (the record
    outlives the accounts)."""
    if not pairs:
        return
    attribution = _current.get() or _Attribution(source=RoleSource.OTHER, reason=UNATTRIBUTED)
    if reverse:  # ``group.user_set``: the users by id
        usernames = dict(
            get_user_model()
            .objects.filter(pk__in={user_id for user_id, _ in pairs})
            .values_list("pk", get_user_model().USERNAME_FIELD)
        )
    else:
        usernames = {instance.pk: instance.get_username()}
    by = _actor(attribution)
    rows = _write(
        [(user_id, usernames[user_id], role) for user_id, role in pairs],
        added=added,
        source=attribution.source,
        reason=attribution.reason,
        changed_by=by,
        changed_by_username=by.get_username() if by is not None else "",
    )
    attribution.recorded.extend(rows)


def _actor(attribution: _Attribution | None):
    """Who made the changes: the attribution's user when it is a saved one, else None."""
    by = attribution.by if attribution else None
    return by if getattr(by, "pk", None) else None


def _write(
    entries: list[tuple[int | None, str, str]],
    *,
    added: bool,
    source: str,
    reason: str,
    changed_by,
    changed_by_username: str,
) -> list[RoleChange]:
    """The ``RoleChange`` rows of ``entries`` (user id or None, username, role), one INSERT,
    the role and reason cut to their columns, all at the same moment."""
    field = RoleChange._meta.get_field
    reason = fit(reason, field("reason").max_length)
    now = timezone.now()
    return RoleChange.objects.bulk_create(
        RoleChange(
            user_id=user_id,
            username=username,
            role=fit(role, field("role").max_length),
            added=added,
            source=source,
            reason=reason,
            changed_by=changed_by,
            changed_by_username=changed_by_username,
            at=now,
        )
        for user_id, username, role in entries
    )


def _role_pairs(instance, reverse: bool, pk_set, *, members_only: bool) -> list[tuple[int, str]]:
    """The (user id, role) pairs a change touches; ``members_only``: only those in the group now
    (a remove or clear names pks that need not be members)."""
    if reverse:  # ``group.user_set``: instance is a Group, pk_set holds user pks
        if instance.name not in MANAGED_ROLES:
            return []
        if members_only:
            users = instance.user_set.all()
            if pk_set is not None:
                users = users.filter(pk__in=pk_set)
            user_ids = list(users.values_list("pk", flat=True))
        else:
            user_ids = list(pk_set or ())
        return [(pk, instance.name) for pk in sorted(user_ids)]
    groups = instance.groups.all() if members_only else Group.objects.all()
    groups = groups.filter(name__in=MANAGED_ROLES)
    if pk_set is not None:
        groups = groups.filter(pk__in=pk_set)
    return [(instance.pk, name) for name in groups.order_by("name").values_list("name", flat=True)]


def audit_role_groups(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """``m2m_changed`` on ``User.groups.through``: record the role groups given or taken."""
    if action == "post_add":  # Django's pk_set for an add holds only the new memberships
        pairs = _role_pairs(instance, reverse, pk_set, members_only=False)
        _record(pairs, added=True, instance=instance, reverse=reverse)
    elif action in ("pre_remove", "pre_clear"):
        pending = _role_pairs(instance, reverse, pk_set, members_only=True)
        setattr(instance, _PENDING, pending)
    elif action in ("post_remove", "post_clear"):
        pairs = instance.__dict__.pop(_PENDING, [])
        _record(pairs, added=False, instance=instance, reverse=reverse)
    else:
        return
    if not reverse:
        forget(instance, "roles")  # the request's cached roles (usecases.roles.roles)


@transaction.atomic
def roles_follow(user, *, wanted: dict[str, bool], source: str, reason: str) -> list[RoleChange]:
    """Make ``user``'s membership of each group in ``wanted`` match it; the changes made (each
    recorded once, by ``audit_role_groups``)."""
    unknown = set(wanted) - set(MANAGED_ROLES)
    if unknown:
        raise ValueError(f"not a managed role: {sorted(unknown)}")
    groups = {group.name: group for group in Group.objects.filter(name__in=wanted)}
    have = set(user.groups.filter(name__in=wanted).values_list("name", flat=True))
    with role_changes_by(source, reason=reason) as recorded:
        for name, want in wanted.items():
            if want == (name in have):
                continue
            group = groups.get(name) or Group.objects.get_or_create(name=name)[0]
            (user.groups.add if want else user.groups.remove)(group)
    return recorded


def roles_kept(user, roles: list[str], *, source: str, reason: str) -> list[RoleChange]:
    """Record that ``user``'s ``roles`` were left as they were (the source could not tell), for
    each role whose latest record is not already "kept" by this source: the membership cannot
    have changed since without a newer record, so a sign-in that keeps the roles again writes
    nothing. The rows written (none when nothing changed)."""
    unknown = set(roles) - set(MANAGED_ROLES)
    if unknown:
        raise ValueError(f"not a managed role: {sorted(unknown)}")
    roles = [role for role in roles if not _kept_already(user, role, source=source)]
    if not roles:
        return []
    have = set(user.groups.filter(name__in=roles).values_list("name", flat=True))
    now = timezone.now()
    return RoleChange.objects.bulk_create(
        RoleChange(
            user=user,
            username=user.get_username(),
            role=role,
            added=None,
            source=source,
            reason=fit(
                f"{reason} ({'member' if role in have else 'not a member'})",
                RoleChange._meta.get_field("reason").max_length,
            ),
            at=now,
        )
        for role in roles
    )


def _kept_already(user, role: str, *, source: str) -> bool:
    """Whether the latest record of ``user``'s ``role`` is a "kept" by ``source``."""
    latest = (
        RoleChange.objects.filter(user=user, role=role)
        .order_by("-at", "-pk")
        .values_list("added", "source")
        .first()
    )
    return latest == (None, source)


#: The reason of the rows a deleted user's roles leave (with the deleting code's reason if any).
DELETED = "The account was deleted"


def audit_user_deleted(sender, instance, **kwargs) -> None:
    """``pre_delete`` of a user: record every role the account loses with it — its PMO and
    Leadership groups and its use cases as value owner and contributor — as "taken away" rows
    (a cascade delete sends no ``m2m_changed``). Django sends ``pre_delete`` inside the
    deletion's transaction: the rows are written with the delete or not at all. They name no
    user (the account is going; ``username`` keeps who it was)."""
    roles = list(
        instance.groups.filter(name__in=MANAGED_ROLES)
        .order_by("name")
        .values_list("name", flat=True)
    )
    roles += [
        f"Value owner of use case #{pk} {name}"
        for pk, name in UseCase.objects.filter(value_owner=instance)
        .order_by("pk")
        .values_list("pk", "name")
    ]
    roles += [
        f"Contributor to use case #{pk} {name}"
        for pk, name in UseCase.objects.filter(contributors=instance)
        .order_by("pk")
        .values_list("pk", "name")
    ]
    if not roles:
        return
    attribution = _current.get()
    by = _actor(attribution)
    reason = f"{DELETED}: {attribution.reason}" if attribution else DELETED
    rows = _write(
        [(None, instance.get_username(), role) for role in roles],
        added=False,
        source=attribution.source if attribution else RoleSource.OTHER,
        reason=reason,
        # Deleting one's own account: the row outlives it, the username says who.
        changed_by=by if by is not None and by.pk != instance.pk else None,
        changed_by_username=by.get_username() if by is not None else "",
    )
    if attribution:
        attribution.recorded.extend(rows)
