"""Object-level permissions: the one place every view, API view and task asks.

Rules (DESIGN.md "Users and roles"):
- PMO and admins read and manage every use case; leadership reads everything.
- A value owner reads the whole portfolio and edits their own use cases' business case,
  checklist and model/prompt log; they submit and correct their use cases' reviews.
- A contributor sees and submits reviews only for the use cases they were named on.
- Anyone else logged in (no role, owns nothing) sees nothing; anonymous users are sent to login.

Outsiders get 404 (the object's existence is not revealed); a user who may see an object but not
change it gets 403 (``PermissionDenied``).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from .fastpaths import memo, recall, remember
from .models import UseCase
from .prepared_sql import PreparedQuery
from .roles import roles


def reads_whole_portfolio(user) -> bool:
    """PMO, leadership, admins and anyone who owns a use case read the whole portfolio."""
    if not user.is_authenticated:
        return False
    r = roles(user)
    if r.is_pmo or r.is_leadership:
        return True
    return memo(user, "is_owner", lambda: UseCase.objects.filter(value_owner=user).exists())


def visible_use_cases(user, queryset=None):
    """The use cases ``user`` may read, as a queryset (no DISTINCT, no join blow-up)."""
    qs = UseCase.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return qs.none()
    if reads_whole_portfolio(user):
        return qs
    contributes = UseCase.contributors.through.objects.filter(
        usecase_id=OuterRef("pk"), user_id=user.pk
    )
    return qs.filter(Exists(contributes))


def visible_use_case_ids(user):
    """The ids of the use cases ``user`` may read, as a subquery for ``use_case_id__in``; None
    for a whole-portfolio reader, whose rows need no restriction (no subquery to join every row
    against before a page of them is read)."""
    if reads_whole_portfolio(user):
        return None
    if not user.is_authenticated:
        return UseCase.objects.none().values("pk")
    return UseCase.contributors.through.objects.filter(user_id=user.pk).values("usecase_id")


def of_visible_use_cases(user, queryset, field: str = "use_case"):
    """The rows of ``queryset`` that belong (through ``field``) to a use case ``user`` may read:
    the one place a list of a use case's things is cut to what its reader may see."""
    ids = visible_use_case_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def is_value_owner(user, use_case) -> bool:
    return user.is_authenticated and use_case.value_owner_id == user.pk


def is_contributor(user, use_case) -> bool:
    if not user.is_authenticated:
        return False
    # Set by ``get_use_case_for_user``: (user pk, is a contributor), read with the use case.
    snapshot = recall(use_case, "contributor_snapshot")
    if snapshot is not None and snapshot[0] == user.pk:
        return snapshot[1]
    cache = getattr(use_case, "_prefetched_objects_cache", {})
    if "contributors" in cache:
        return any(u.pk == user.pk for u in cache["contributors"])
    # Asked once per request: the API's check and the service's (a correction) both ask.
    answer = use_case.contributors.filter(pk=user.pk).exists()
    remember(use_case, "contributor_snapshot", (user.pk, answer))
    return answer


def can_view_use_case(user, use_case) -> bool:
    return reads_whole_portfolio(user) or is_contributor(user, use_case)


def can_create_use_case(user) -> bool:
    return roles(user).is_pmo


def can_edit_use_case(user, use_case) -> bool:
    """Core fields (name, stage, owner, contributors, funding...): PMO and admins."""
    return roles(user).is_pmo


def can_edit_business_case(user, use_case) -> bool:
    return roles(user).is_pmo or is_value_owner(user, use_case)


def can_edit_checklist(user, use_case) -> bool:
    return roles(user).is_admin or is_value_owner(user, use_case)


def can_log_model_change(user, use_case) -> bool:
    return roles(user).is_admin or is_value_owner(user, use_case)


def can_submit_review(user, use_case) -> bool:
    """Submit and correct weekly and monthly reviews: owner, contributors, admins."""
    return roles(user).is_admin or is_value_owner(user, use_case) or is_contributor(user, use_case)


def can_import_reviews(user, use_case) -> bool:
    """Bulk import of weekly reviews from a spreadsheet: whoever submits the use case's reviews,
    and the PMO (issue: "a value owner or PMO uploads"), who often holds the teams' sheets."""
    return can_submit_review(user, use_case) or roles(user).is_pmo


def can_manage_policy(user) -> bool:
    return roles(user).is_pmo


def can_resolve_flags(user) -> bool:
    return roles(user).is_pmo


def can_manage_gates(user) -> bool:
    return roles(user).is_pmo


def can_vote(user) -> bool:
    """Leadership members vote; the PMO never votes unless also in Leadership."""
    return user.is_authenticated and "Leadership" in roles(user).groups


def can_see_overdue(user) -> bool:
    return roles(user).is_pmo


def _with_contributes(queryset, user_id):
    """``queryset`` with the value owner joined and whether ``user_id`` is a contributor."""
    contributes = UseCase.contributors.through.objects.filter(
        usecase_id=OuterRef("pk"), user_id=user_id
    )
    return queryset.select_related("value_owner").annotate(
        _valuegate_user_contributes=Exists(contributes)
    )


def get_use_case_for_user(user, pk, *, check=can_view_use_case, queryset=None):
    """Fetch a use case for ``user``: 404 when they may not see it, 403 when ``check`` says no.

    One query reads the use case (value owner joined) and whether ``user`` is one of its
    contributors; the rules ask for the user's roles only when that does not settle visibility
    (a use case is visible to its value owner — who reads the whole portfolio — and its
    contributors; ``visible_use_cases`` for anyone else)."""
    if not user.is_authenticated:
        raise Http404("No such use case.")
    qs = queryset if queryset is not None else UseCase.objects.all()
    try:
        use_case = _with_contributes(qs, user.pk).get(pk=pk)
    except (UseCase.DoesNotExist, ValueError, TypeError):
        raise Http404("No such use case.") from None
    return _checked(user, use_case, check)


#: The largest primary key (``BigAutoField``): a larger one names no use case.
MAX_PK = 2**63 - 1


def use_case_with_business_case(pk, user_id):
    """The queryset of ``USE_CASE_WITH_BUSINESS_CASE``; a read that wants more of the same row
    (``reviews.services.USE_CASE_WITH_CHANGE_IN_EFFECT``) annotates it."""
    return _with_contributes(UseCase.objects.select_related("business_case"), user_id).filter(pk=pk)


#: ``get_prepared_use_case_for_user``'s read, compiled once per connection (``prepared_sql``):
#: one use case as ``get_use_case_for_user`` reads it, with its business case joined (the use
#: case page and its sections, a review's submission and preview).
USE_CASE_WITH_BUSINESS_CASE = PreparedQuery(use_case_with_business_case, pk=int, user_id=int)


def get_prepared_use_case_for_user(user, pk, *, check=can_view_use_case, read=None, **arguments):
    """``get_use_case_for_user`` with its business case, the fetch a prepared read
    (``USE_CASE_WITH_BUSINESS_CASE``): the same query, the same rules, the same 404 and 403.
    ``read``: another prepared read of ``use_case_with_business_case`` (annotated), given ``pk``,
    ``user_id`` and ``arguments``."""
    if not user.is_authenticated:
        raise Http404("No such use case.")
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise Http404("No such use case.") from None
    read = read or USE_CASE_WITH_BUSINESS_CASE
    rows = read(pk=pk, user_id=user.pk, **arguments) if 0 < pk <= MAX_PK else []
    if not rows:
        raise Http404("No such use case.")
    return _checked(user, rows[0], check)


def _checked(user, use_case, check):
    """``use_case`` (read with ``_with_contributes``) if ``user`` may see it and ``check``
    allows; 404 when they may not see it, 403 when ``check`` says no."""
    remember(use_case, "contributor_snapshot", (user.pk, use_case._valuegate_user_contributes))
    visible = (
        is_value_owner(user, use_case)  # an owner reads the whole portfolio
        or is_contributor(user, use_case)
        or reads_whole_portfolio(user)
    )
    if not visible:
        raise Http404("No such use case.")
    if not check(user, use_case):
        raise PermissionDenied("You may not do this on this use case.")
    return use_case


def visible_use_cases_of_request(request):
    """``visible_use_cases`` of the request's user, for a list filter's ``use_case`` choices
    (django-filter calls it with the request): an id the user may not see is then refused like
    one that does not exist, instead of an empty page that tells it exists."""
    if request is None:
        return UseCase.objects.none()
    return visible_use_cases(request.user)


def can_manage_ingest_keys(user, use_case) -> bool:
    """Telemetry ingest keys of a use case: its value owner and the PMO (admins)."""
    return roles(user).is_pmo or is_value_owner(user, use_case)


def can_manage_portfolio_ingest_keys(user) -> bool:
    """Ingest keys that cover the whole portfolio: the PMO."""
    return roles(user).is_pmo


def can_manage_model_prices(user) -> bool:
    return roles(user).is_pmo


def can_read_model_prices(user) -> bool:
    """Whoever reads some use case reads the prices its token cost is computed with."""
    return reads_whole_portfolio(user) or visible_use_cases(user).exists()


def can_push_workflow_metrics(user, use_case) -> bool:
    """A workflow system's figures of a use case's week: with the token of its value owner or
    the PMO."""
    return roles(user).is_pmo or is_value_owner(user, use_case)


def can_decide_proposed_change(user, use_case) -> bool:
    """Confirm or dismiss a change-log entry proposed from telemetry: the value owner and the
    PMO (admins are PMO)."""
    return roles(user).is_pmo or is_value_owner(user, use_case)
