"""Reads for the use case pages (and anyone else who needs the same shapes).

Every function runs a fixed number of queries whatever the size of the data: history is read
in bounded slices with ``select_related``/``prefetch_related`` and diffed in memory.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.formats import date_format

from . import economics
from .models import (
    CHECKLIST_SECTIONS,
    BusinessCase,
    ChecklistAnswer,
    ChecklistItem,
    ModelChange,
    UseCase,
)
from .permissions import (
    can_edit_business_case,
    can_edit_checklist,
    can_edit_use_case,
    visible_use_cases,
)
from .prepared_sql import PreparedQuery
from .templatetags.money import money

#: How many audit records the use case page shows (newest first).
HISTORY_LIMIT = 50
#: How many business case versions the use case page lists before "all versions".
RECENT_VERSIONS = 10

FRACTION_FIELDS = frozenset(
    {
        "pilot_effort_reduction",
        "reclaimable_share",
        "adoption_pessimistic",
        "adoption_base",
        "adoption_optimistic",
    }
)
MONEY_FIELDS = frozenset(
    {
        "hourly_cost",
        "planned_monthly_run_cost",
        "planned_monthly_support_cost",
        "planned_monthly_maintenance_cost",
        "one_off_integration_cost",
        "one_off_training_cost",
    }
)
#: Business case fields in the order the pages show them.
BUSINESS_CASE_DISPLAY = (
    "baseline_tasks_per_week",
    "baseline_minutes_per_task",
    "baseline_source",
    "hourly_cost",
    "pilot_effort_reduction",
    "reclaimable_share",
    "adoption_pessimistic",
    "adoption_base",
    "adoption_optimistic",
    "planned_monthly_run_cost",
    "planned_monthly_support_cost",
    "planned_monthly_maintenance_cost",
    "one_off_integration_cost",
    "one_off_training_cost",
)
USE_CASE_AUDITED = (
    "name",
    "description",
    "business_unit",
    "workflow",
    "stage",
    "funding_status",
    "value_owner",
    "contributors",
    "target_users",
    "live_since",
    "scaled_on",
)
EMPTY = "—"


# --- display of single values -------------------------------------------------------------------
def _plain_number(value: Decimal) -> str:
    """``2000.00`` → ``2,000``; ``12.50`` → ``12.5``."""
    return f"{value.normalize():,f}"


def fraction_display(value) -> str:
    """A 0..1 fraction as an exact percentage: ``0.3`` → ``30%``, ``0.125`` → ``12.5%``."""
    if value is None:
        return EMPTY
    pct = (Decimal(value) * 100).normalize()
    return f"{pct:f}%"


def active_users():
    """The accounts that may be named on a use case (value owner, contributor)."""
    return get_user_model().objects.filter(is_active=True)


def person_label(username: str, full_name: str) -> str:
    """How a person is named in lists and records: ``Full Name (username)``, or the username."""
    return f"{full_name} ({username})" if full_name else username


def user_label(user) -> str:
    """``person_label`` of a user; empty for no user."""
    return person_label(user.username, user.get_full_name()) if user is not None else ""


def _user_display(user, user_id=None) -> str:
    if user is None:
        return f"deleted user #{user_id}" if user_id else EMPTY
    return user_label(user)


def value_display(model, name: str, value) -> str:
    """One field's value as the pages show it (choices by label, money, %, dates)."""
    if value is None or value == "":
        return EMPTY
    if name in FRACTION_FIELDS:
        return fraction_display(value)
    if name in MONEY_FIELDS:
        return money(value)
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value)
    if isinstance(value, Decimal):
        return _plain_number(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


#: Labels where the field's verbose name reads badly.
LABELS = {
    "adoption_pessimistic": "Adoption, pessimistic scenario",
    "adoption_base": "Adoption, base scenario",
    "adoption_optimistic": "Adoption, optimistic scenario",
    "one_off_integration_cost": "One-off integration cost",
    "one_off_training_cost": "One-off training cost",
}


def field_label(model, name: str) -> str:
    return LABELS.get(name) or str(model._meta.get_field(name).verbose_name).capitalize()


# --- portfolio list -----------------------------------------------------------------------------
def use_case_list(*, user):
    """The use cases ``user`` may see, with their value owner (one query)."""
    return visible_use_cases(user).select_related("value_owner").order_by("name")


def use_case_detail_queryset():
    """What the use case page needs in the same fetch: business case and contributors."""
    User = get_user_model()
    return UseCase.objects.select_related("business_case").prefetch_related(
        Prefetch("contributors", queryset=User.objects.order_by("username"))
    )


#: A use case's contributors by username (what ``use_case_detail_queryset`` prefetches),
#: compiled once: with ``permissions.get_prepared_use_case_for_user`` the use case page's two
#: reads of ``use_case_detail_queryset()``, without building them on every view.
CONTRIBUTORS = PreparedQuery(
    lambda use_case_id: (
        get_user_model().objects.filter(contributed_use_cases=use_case_id).order_by("username")
    ),
    use_case_id=int,
)


def saved_business_case(use_case: UseCase) -> BusinessCase | None:
    """The use case's business case, None if it was never saved."""
    try:
        return use_case.business_case
    except BusinessCase.DoesNotExist:
        return None


def business_case_of(use_case: UseCase) -> BusinessCase:
    """The use case's business case, or an unsaved empty one (all zeros) when it has none yet:
    what every figure is computed with. No query when the business case was loaded with
    ``select_related("business_case")`` (or read before); one otherwise."""
    return saved_business_case(use_case) or BusinessCase(use_case=use_case)


def saved_hourly_costs(use_case_ids) -> dict[int, Decimal]:
    """``{use_case_id: H}`` for those of ``use_case_ids`` whose business case was saved (one
    query, no model instances). A use case missing from it has none: its figures are the empty
    business case's (H = 0), or none at all where a caller shows that."""
    return dict(
        BusinessCase.objects.filter(use_case_id__in=list(use_case_ids))
        .order_by()
        .values_list("use_case_id", "hourly_cost")
    )


def business_case_inputs(use_case: UseCase) -> economics.BusinessCaseInputs:
    """The engine inputs of ``business_case_of(use_case)``."""
    return business_case_of(use_case).inputs()


def use_case_page_context(*, user, use_case: UseCase, panels=None, contributors=None) -> dict:
    """What the use case page shows of the use case itself: its facts and what ``user`` may
    edit (no query), plus the ``panels`` asked for (``USE_CASE_PANELS``; all of them when None):
    business case and its recent versions (1 query), checklist (1), audit history (3) — whatever
    the data size. The model/prompt log is a section of the page's own, with each change's
    impact (``portfolio.use_case_page.changes_data``).

    ``use_case`` must come from ``use_case_detail_queryset()`` (business case and contributors
    loaded), or be ``permissions.get_prepared_use_case_for_user``'s with ``contributors`` its
    ``CONTRIBUTORS``. The page
    that composes it with reviews, flags and economics lives in the portfolio layer
    (``portfolio.use_case_page``; it loads the panels as sections of their own); the templates
    are ``usecases/_use_case_panels.html``.
    """
    context = {
        "use_case": use_case,
        "contributors": (
            list(use_case.contributors.all()) if contributors is None else list(contributors)
        ),
        "business_case": saved_business_case(use_case),
        "can_edit": can_edit_use_case(user, use_case),
        "can_edit_business_case": can_edit_business_case(user, use_case),
        "can_edit_checklist": can_edit_checklist(user, use_case),
    }
    for panel in USE_CASE_PANELS if panels is None else panels:
        context.update(USE_CASE_PANELS[panel](use_case, context["business_case"]))
    return context


def _business_case_panel(use_case: UseCase, business_case) -> dict:
    recent_versions = list(
        business_case_versions(business_case=business_case)[: RECENT_VERSIONS + 1]
    )
    return {
        "business_case_rows": business_case_rows(business_case),
        "versions": recent_versions[:RECENT_VERSIONS],
        "more_versions": len(recent_versions) > RECENT_VERSIONS,
        "current_version_id": recent_versions[0].history_id if recent_versions else None,
    }


def _checklist_panel(use_case: UseCase, business_case) -> dict:
    return {"checklist": checklist_overview(use_case=use_case)}


def _history_panel(use_case: UseCase, business_case) -> dict:
    return {"history": use_case_history(use_case=use_case), "history_limit": HISTORY_LIMIT}


#: The panels of ``use_case_page_context``, by the name of their partial in
#: ``usecases/_use_case_panels.html``.
USE_CASE_PANELS = {
    "business_case": _business_case_panel,
    "checklist": _checklist_panel,
    "history": _history_panel,
}


# --- business case ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    label: str
    value: str
    help_text: str = ""


def business_case_rows(business_case) -> list[Row]:
    """Every business case field, formatted; works on the current row and on old versions."""
    rows = []
    for name in BUSINESS_CASE_DISPLAY:
        value = getattr(business_case, name) if business_case is not None else None
        rows.append(
            Row(
                name=name,
                label=field_label(BusinessCase, name),
                value=value_display(BusinessCase, name, value),
                help_text=str(BusinessCase._meta.get_field(name).help_text),
            )
        )
    return rows


def business_case_versions(*, business_case: BusinessCase | None):
    """All saved versions of a business case, newest first, with who saved them."""
    if business_case is None:
        return BusinessCase.history.none()
    return business_case.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )


# --- model/prompt log and checklist -------------------------------------------------------------
def model_changes_list(*, use_case: UseCase):
    """The model/prompt change log, newest first."""
    return (
        ModelChange.objects.filter(use_case_id=use_case.pk)
        .select_related("created_by")
        .order_by("-effective_date", "-id")
    )


@dataclass(frozen=True)
class ChecklistLine:
    code: str
    label: str
    answer: ChecklistAnswer | None


@dataclass(frozen=True)
class ChecklistSection:
    key: str
    title: str
    lines: list[ChecklistLine]


def checklist_overview(*, use_case: UseCase) -> list[ChecklistSection]:
    """The 15 items grouped by section; ``answer`` is None for an unanswered item (1 query)."""
    answers = {
        a.item: a
        for a in ChecklistAnswer.objects.filter(use_case_id=use_case.pk).select_related(
            "updated_by"
        )
    }
    labels = dict(ChecklistItem.choices)
    return [
        ChecklistSection(
            key=key,
            title=title,
            lines=[ChecklistLine(code, labels[code], answers.get(code)) for code in codes],
        )
        for key, (title, codes) in CHECKLIST_SECTIONS.items()
    ]


# --- audit history ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditEntry:
    subject: str  # "Use case" or "Business case"
    history_id: int
    when: datetime
    user: object
    action: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def user_display(self) -> str:
        return _user_display(self.user) if self.user is not None else "system"


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _contributors_display(record) -> tuple[frozenset, str]:
    rows = record.historicalusecase_contributors_set.all()  # prefetched
    users = sorted(
        (_user_display(r.user, r.user_id) for r in rows),
        key=str.lower,
    )
    return frozenset(r.user_id for r in rows), ", ".join(users) or EMPTY


def _use_case_changes(record, prev) -> list[FieldChange]:
    fields = [f for f in USE_CASE_AUDITED if f != "contributors"]
    delta = record.diff_against(prev, included_fields=fields, excluded_fields=["contributors"])
    changes = []
    for change in delta.changes:
        if change.field == "value_owner":
            before = _user_display(prev.value_owner, change.old) if change.old else EMPTY
            after = _user_display(record.value_owner, change.new) if change.new else EMPTY
        else:
            before = value_display(UseCase, change.field, change.old)
            after = value_display(UseCase, change.field, change.new)
        changes.append(FieldChange(change.field, field_label(UseCase, change.field), before, after))
    old_ids, old_names = _contributors_display(prev)
    new_ids, new_names = _contributors_display(record)
    if old_ids != new_ids:
        changes.append(FieldChange("contributors", "Contributors", old_names, new_names))
    order = {name: i for i, name in enumerate(USE_CASE_AUDITED)}
    return sorted(changes, key=lambda c: order[c.field])


def _business_case_changes(record, prev) -> list[FieldChange]:
    delta = record.diff_against(prev, included_fields=list(BUSINESS_CASE_DISPLAY))
    order = {name: i for i, name in enumerate(BUSINESS_CASE_DISPLAY)}
    return [
        FieldChange(
            c.field,
            field_label(BusinessCase, c.field),
            value_display(BusinessCase, c.field, c.old),
            value_display(BusinessCase, c.field, c.new),
        )
        for c in sorted(delta.changes, key=lambda c: order[c.field])
    ]


def _entries(subject: str, records: list, differ, limit: int) -> list[AuditEntry]:
    """Turn ``limit + 1`` records (newest first) into up to ``limit`` entries with diffs."""
    entries = []
    for i, record in enumerate(records[:limit]):
        prev = records[i + 1] if i + 1 < len(records) else None
        changes = differ(record, prev) if prev is not None and record.history_type == "~" else []
        entries.append(
            AuditEntry(
                subject=subject,
                history_id=record.history_id,
                when=record.history_date,
                user=record.history_user,
                action=ACTIONS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


def business_case_diff(record, prev) -> list[FieldChange]:
    """Field by field, what changed from one business case version to the next."""
    return _business_case_changes(record, prev) if prev is not None else []


def use_case_history(*, use_case: UseCase, limit: int = HISTORY_LIMIT) -> list[AuditEntry]:
    """The audit trail of a use case and its business case, newest first (4 queries).

    Reads ``limit + 1`` records of each (the extra one is only the "before" of the oldest shown)
    and diffs neighbours in memory: who, when, and each changed field with before → after,
    contributors included.
    """
    m2m_model = UseCase.history.model.contributors.model
    uc_records = list(
        use_case.history.select_related("history_user", "value_owner")
        .prefetch_related(
            Prefetch(
                "historicalusecase_contributors_set",
                queryset=m2m_model.objects.select_related("user"),
            )
        )
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    bc_records = list(
        BusinessCase.history.filter(use_case_id=use_case.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = _entries("Use case", uc_records, _use_case_changes, limit)
    entries += _entries("Business case", bc_records, _business_case_changes, limit)
    entries.sort(key=lambda e: (e.when, e.subject == "Use case", e.history_id), reverse=True)
    return entries[:limit]
