"""Who is who. Roles are Django groups (Leadership, PMO) or derived from use case fields."""

from functools import cached_property

from .fastpaths import memo

LEADERSHIP = "Leadership"
PMO = "PMO"


class Roles:
    """The groups of one user, read once per request (one query) and cached on the user."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def groups(self) -> frozenset[str]:
        if not self.user.is_authenticated:
            return frozenset()
        return frozenset(self.user.groups.values_list("name", flat=True))

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
