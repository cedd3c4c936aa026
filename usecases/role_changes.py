"""Role groups (PMO, Leadership) that follow an outside source, each change audited.

``roles_follow`` puts a user in or out of each named role group as ``wanted`` says and writes one
``RoleChange`` per group actually added or removed (none when nothing changes), in one
transaction. Roles not named in ``wanted`` are left alone: value owners and contributors are
fields of use cases and never pass here.
"""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .audit import fit
from .models import RoleChange
from .roles import LEADERSHIP, PMO

#: The role groups an outside source may manage.
MANAGED_ROLES = (PMO, LEADERSHIP)


@transaction.atomic
def roles_follow(user, *, wanted: dict[str, bool], source: str, reason: str) -> list[RoleChange]:
    """Make ``user``'s membership of each group in ``wanted`` match it; the changes made."""
    unknown = set(wanted) - set(MANAGED_ROLES)
    if unknown:
        raise ValueError(f"not a managed role: {sorted(unknown)}")
    groups = {group.name: group for group in Group.objects.filter(name__in=wanted)}
    have = set(user.groups.filter(name__in=wanted).values_list("name", flat=True))
    now = timezone.now()
    changes: list[RoleChange] = []
    for name, want in wanted.items():
        if want == (name in have):
            continue
        group = groups.get(name) or Group.objects.get_or_create(name=name)[0]
        (user.groups.add if want else user.groups.remove)(group)
        changes.append(
            RoleChange(
                user=user,
                role=name,
                added=want,
                source=source,
                reason=fit(reason, RoleChange._meta.get_field("reason").max_length),
                at=now,
            )
        )
    RoleChange.objects.bulk_create(changes)
    if changes and hasattr(user, "_valuegate_roles"):
        del user._valuegate_roles  # the request's cached roles (usecases.roles.roles)
    return changes
