"""Who is who. Roles are Django groups (Leadership, PMO) or derived from use case fields."""

from functools import cached_property

from .fastpaths import memo
from .prepared_sql import PreparedQuery

LEADERSHIP = "Leadership"
PMO = "PMO"


def _group_names(user_id: int):
    from django.contrib.auth.models import Group  # not at import: roles is read by models

    return Group.objects.filter(user__id=user_id).values_list("name")


#: The user's group names (what ``user.groups`` reads), compiled once (``prepared_sql``): it
#: runs on every page, for the navigation.
GROUP_NAMES = PreparedQuery(_group_names, user_id=int)


class Roles:
    """The groups of one user, read once per request (one query) and cached on the user."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def groups(self) -> frozenset[str]:
        if not self.user.is_authenticated:
            return frozenset()
        return frozenset(name for (name,) in GROUP_NAMES(user_id=self.user.pk))

    @property
    def is_admin(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_superuser)

    @property
    def is_pmo(self) -> bool:
        return self.is_admin or PMO in self.groups

    @property
    def is_leadership(self) -> bool:
        return LEADERSHIP in self.groups or self.is_admin


def roles(user) -> Roles:
    """The user's ``Roles``, cached on the user for the request (``fastpaths.memo``)."""
    return memo(user, "roles", lambda: Roles(user), keep=user.is_authenticated)


def is_pmo(user) -> bool:
    return roles(user).is_pmo


def is_leadership(user) -> bool:
    return roles(user).is_leadership
