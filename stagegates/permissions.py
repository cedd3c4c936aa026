"""Who may see and do what at a stage gate (built on ``usecases.permissions``).

- A gate is visible to everyone who reads the whole portfolio (PMO, leadership, value owners,
  admins); a contributor sees the gates whose agenda holds a use case they contribute to, and on
  it only those items. Everyone else gets 404.
- The PMO creates and edits gates, edits the agenda while it is a draft and opens voting.
- The chair or the PMO closes a gate. The chair (or an admin) records decisions.
- Leadership members vote (``usecases.permissions.can_vote``); the PMO never votes unless also
  in Leadership.
- Blind voting: while a gate is open for votes, only a voter who has cast their own vote on an
  item sees the other votes on it (choices, rationales and counts alike). Once the gate is closed,
  leadership, the PMO and admins see every vote; value owners and contributors see the outcome and
  the decision, never the individual votes.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from usecases.permissions import (
    can_manage_gates,
    can_vote,
    of_visible_use_cases,
    reads_whole_portfolio,
)
from usecases.roles import roles

from .models import Gate, GateItem

__all__ = [
    "can_chair",
    "can_close",
    "can_decide",
    "can_edit_agenda",
    "can_manage_gates",
    "can_see_votes",
    "can_vote",
    "can_vote_on",
    "get_gate_for_user",
    "get_item_for_user",
    "visible_gates",
    "visible_items",
]


def visible_items(user, queryset=None):
    """The gate items ``user`` may read: those whose use case they may read."""
    qs = GateItem.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return qs.none()
    return of_visible_use_cases(user, qs)


def visible_gates(user, queryset=None):
    """The gates ``user`` may read, as a queryset (an EXISTS subquery, no DISTINCT)."""
    qs = Gate.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return qs.none()
    if reads_whole_portfolio(user):
        return qs
    items = visible_items(user, GateItem.objects.on_agenda()).filter(gate_id=OuterRef("pk"))
    return qs.filter(Exists(items))


def can_chair(user, gate) -> bool:
    return bool(user.is_authenticated and gate.chair_id is not None and gate.chair_id == user.pk)


def can_edit_agenda(user, gate) -> bool:
    return can_manage_gates(user)


def can_close(user, gate) -> bool:
    return can_chair(user, gate) or can_manage_gates(user)


def can_decide(user, gate) -> bool:
    """The chair records the decisions (an admin may stand in)."""
    return can_chair(user, gate) or roles(user).is_admin


def can_vote_on(user, item) -> bool:
    return can_vote(user)


def can_see_votes(user, item, *, has_voted: bool) -> bool:
    """Whether ``user`` may see the other votes on ``item`` (see the module docstring)."""
    if not user.is_authenticated:
        return False
    if item.gate.is_closed:
        r = roles(user)
        return r.is_leadership or r.is_pmo
    return item.gate.is_voting and has_voted and can_vote(user)


def get_gate_for_user(user, pk, *, check=None, queryset=None) -> Gate:
    """A gate ``user`` may see (404 otherwise); 403 when ``check(user, gate)`` says no."""
    qs = visible_gates(user, queryset if queryset is not None else Gate.objects.all())
    try:
        gate = qs.select_related("chair").get(pk=pk)
    except (Gate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such gate.") from None
    if check is not None and not check(user, gate):
        raise PermissionDenied("You may not do this at this gate.")
    return gate


def get_item_for_user(user, pk, *, check=None, queryset=None) -> GateItem:
    """A gate item ``user`` may see (404 otherwise); 403 when ``check(user, item)`` says no."""
    qs = visible_items(user, queryset if queryset is not None else GateItem.objects.all())
    try:
        item = qs.select_related("gate", "gate__chair", "use_case", "use_case__value_owner").get(
            pk=pk
        )
    except (GateItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such gate item.") from None
    if check is not None and not check(user, item):
        raise PermissionDenied("You may not do this on this gate item.")
    return item
