"""Writes on use cases and what belongs to them. Web views, the API and tasks all call these.

Every function is keyword-only, checks the object-level permission itself (a service called
from a task or the API is as safe as one called from a view), runs in one transaction and
records who made the change and why in the audit history (``usecases.audit.stamp``). A change
of stage or funding goes through ``usecases.transitions`` like every other one.

Business rules that span fields live here and raise ``ValidationError`` keyed by field name,
so a form or serializer can show each message at its field.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from . import clock, transitions
from .audit import fit, stamp
from .fastpaths import forget
from .models import (
    NAME_TAKEN,
    Answer,
    BusinessCase,
    ChecklistAnswer,
    ChecklistItem,
    ModelChange,
    UseCase,
)
from .permissions import (
    can_create_use_case,
    can_edit_business_case,
    can_edit_checklist,
    can_edit_use_case,
    can_log_model_change,
)
from .text import check_field

#: Core fields of a use case that ``use_case_create`` / ``use_case_update`` accept in ``data``
#: (``contributors`` is accepted too: an iterable of users).
USE_CASE_FIELDS = (
    "name",
    "description",
    "business_unit",
    "workflow",
    "stage",
    "funding_status",
    "value_owner",
    "target_users",
    "live_since",
    "scaled_on",
)
#: The fields only ``usecases.transitions`` changes on an existing use case.
TRANSITION_FIELDS = ("stage", "funding_status")
#: The history reason of an edit that gives none.
UPDATED = "Updated"
#: A stage/funding change outside a gate decision needs a written reason (``change_reason``).
CHANGE_REASON_REQUIRED = (
    "Write why you change the stage or funding outside a gate decision: the reason is kept in "
    "the audit and sent to the value owner."
)
CHANGE_REASON_MAX = 1000
BUSINESS_CASE_FIELDS = (
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
MODEL_CHANGE_FIELDS = ("version_label", "kind", "effective_date", "description")


# --- helpers ------------------------------------------------------------------------------------
def _assign(instance, data: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """Copy the keys of ``data`` named in ``fields`` onto ``instance``; return the changed ones."""
    changed = []
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        new = data[name]
        if field.is_relation:
            old = getattr(instance, field.attname)
            new_id = getattr(new, "pk", new)
            if old != new_id:
                changed.append(name)
            setattr(instance, field.attname, new_id)
            if new is None or hasattr(new, "pk"):
                setattr(instance, name, new)
            continue
        if getattr(instance, name) != new:
            changed.append(name)
        setattr(instance, name, new)
    return changed


def _merge(errors: dict[str, list], error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _validate_use_case(use_case: UseCase, changed: Iterable[str] = USE_CASE_FIELDS) -> None:
    """The model's rules, plus: scaled after live; target users at least 1 when set or changed
    (a use case's adoption is measured against them; rows saved with 0 before this rule keep it
    until someone edits the figure)."""
    errors: dict[str, list] = {}
    try:
        use_case.full_clean(validate_constraints=False)
    except ValidationError as e:
        _merge(errors, e)
    if "target_users" in changed and not use_case.target_users and "target_users" not in errors:
        errors["target_users"] = [
            "Enter the headcount of the population meant to use it (at least 1): adoption is "
            "measured against it."
        ]
    if use_case.live_since and use_case.scaled_on and use_case.scaled_on < use_case.live_since:
        errors.setdefault("scaled_on", []).append(
            "A use case reaches full scale after it went live: this date is before “live since”."
        )
    if errors:
        raise ValidationError(errors)


def _save_use_case(use_case: UseCase, **kwargs) -> None:
    """Save, turning a lost race on the unique name into a field message."""
    try:
        with transaction.atomic():
            use_case.save(**kwargs)
    except IntegrityError:
        if UseCase.objects.filter(name__iexact=use_case.name).exclude(pk=use_case.pk).exists():
            raise ValidationError({"name": [NAME_TAKEN]}) from None
        raise


def _set_contributors_quietly(use_case: UseCase, users) -> None:
    """Replace the contributors without one history record per add/remove.

    The caller saves the use case (or snapshots the record) afterwards, so the change lands in
    one history record together with the other fields.
    """
    use_case.skip_history_when_saving = True
    try:
        use_case.contributors.set(users)
    finally:
        del use_case.skip_history_when_saving
    forget(use_case, "contributor_snapshot")  # ``permissions.is_contributor`` asks again


# --- use cases ----------------------------------------------------------------------------------
def use_case_create(*, user, data: Mapping[str, Any], reason: str = "Created") -> UseCase:
    """Create a use case (PMO) with its contributors and an empty business case."""
    if not can_create_use_case(user):
        raise PermissionDenied("Only the PMO creates use cases.")
    with transaction.atomic():
        use_case = UseCase()
        _assign(use_case, data, USE_CASE_FIELDS)
        _validate_use_case(use_case)
        stamp(use_case, user=user, reason=reason)
        _save_use_case(use_case)
        contributors = list(data.get("contributors") or [])
        if contributors:
            _set_contributors_quietly(use_case, contributors)
            # The "+" record was written before the contributors existed: snapshot them onto it,
            # so the creation is one record that names them.
            record = use_case.history.order_by("-history_date", "-history_id").first()
            m2m_model = type(record).contributors.model
            through = UseCase.contributors.through.objects.filter(usecase_id=use_case.pk)
            m2m_model.objects.bulk_create(
                m2m_model(history=record, id=row.id, usecase_id=row.usecase_id, user_id=row.user_id)
                for row in through
            )
        business_case = BusinessCase(use_case=use_case)
        stamp(business_case, user=user, reason=reason)
        business_case.save()
    return use_case


def use_case_update(
    *,
    user,
    use_case: UseCase,
    data: Mapping[str, Any],
    reason: str | None = None,
    via: str = "",
) -> UseCase:
    """Change the core fields and/or contributors of a use case (PMO). No change, no record.

    A new stage or funding is a ``usecases.transitions`` edit outside a gate decision: it needs
    ``reason`` (else a message at ``change_reason``), passes the transitions' guards (e.g. no
    leaving redesign while a stop-loss flag is open: a message at ``stage``), leaves a
    ``StageTransition`` naming the PMO edit (``via``: the page or API) and tells the value owner.
    The use case's history stays one record for the edit (its reason: ``reason``, else
    "Updated")."""
    if not can_edit_use_case(user, use_case):
        raise PermissionDenied("Only the PMO edits use cases.")
    reason = (reason or "").strip()
    with transaction.atomic():
        current = transitions.lock(use_case.pk)
        planned = transitions.plan(
            current,
            move=transitions.Move.EDIT,
            reason=reason,
            stage=data.get("stage"),
            funding=data.get("funding_status"),
        )
        fields = [f for f in USE_CASE_FIELDS if f not in TRANSITION_FIELDS]
        changed = _assign(current, data, fields)
        new_contributors = None
        if "contributors" in data:
            wanted = list(data["contributors"] or [])
            have = set(current.contributors.values_list("pk", flat=True))
            if {u.pk for u in wanted} != have:
                new_contributors = wanted
        if not changed and not planned.changes and new_contributors is None:
            return current
        if planned.changes:
            _check_stage_edit(current, planned, changed)
        else:
            _validate_use_case(current, changed)
        if new_contributors is not None:
            _set_contributors_quietly(current, new_contributors)
            forget(use_case, "contributor_snapshot")  # the caller's instance, asked before
        if planned.changes:
            label = f"PMO edit by {user}" + (f" ({via})" if via else "")
            transitions.apply(
                current,
                planned,
                cause=transitions.Cause(transitions.TransitionCause.PMO_EDIT, None, label),
                actor=user,
                notice=_stage_edit_notice(current, planned, user),
                history_reason=reason,
                save=_save_use_case,
            )
        else:
            stamp(current, user=user, reason=reason or UPDATED)
            _save_use_case(current)
    return current


def _check_stage_edit(use_case: UseCase, planned, changed: list[str]) -> None:
    """All that refuses a stage/funding edit, at once: the reason (missing or too long), the
    transitions' guards (at ``stage``), and the use case's field rules with the new stage."""
    errors: dict[str, list] = {}
    if not planned.reason:
        errors["change_reason"] = [CHANGE_REASON_REQUIRED]
    elif len(planned.reason) > CHANGE_REASON_MAX:
        errors["change_reason"] = [
            f"At most {CHANGE_REASON_MAX} characters (this text has {len(planned.reason)})."
        ]
    refused = transitions.refusals(use_case, planned)
    if refused:
        errors["stage"] = refused
    try:
        _validate_use_case(_with_stage(use_case, planned), changed)
    except ValidationError as e:
        _merge(errors, e)
    if errors:
        raise ValidationError(errors)


def _stage_edit_notice(use_case: UseCase, planned, user) -> transitions.Notice:
    """What the value owner is told of a PMO's stage/funding edit (one notice per edit)."""
    return transitions.Notice(
        kind="stage_edit",
        subject=None,  # the StageTransition record
        period="",
        title=fit(f"{use_case.name}: stage or funding changed by {user}", 200),
        body=f"{planned.sentence()}\n\nReason given: {planned.reason}",
        url=use_case.get_absolute_url(),
    )


def _with_stage(use_case: UseCase, planned) -> UseCase:
    """A copy of ``use_case`` with the planned stage and funding, to validate before writing."""
    copy = UseCase(
        **{f.attname: getattr(use_case, f.attname) for f in UseCase._meta.concrete_fields}
    )
    copy._state.adding, copy._state.db = False, use_case._state.db
    copy.stage, copy.funding_status = planned.stage_after, planned.funding_after
    return copy


# --- business case ------------------------------------------------------------------------------
def business_case_update(
    *, user, use_case: UseCase, data: Mapping[str, Any], reason: str = "Business case updated"
) -> BusinessCase:
    """Save a new version of the use case's business case (PMO or its value owner).

    Each save is one version in the history; an unchanged submission writes no version.
    """
    if not can_edit_business_case(user, use_case):
        raise PermissionDenied("Only the PMO and the value owner edit the business case.")
    with transaction.atomic():
        business_case = (
            BusinessCase.objects.select_for_update().filter(use_case_id=use_case.pk).first()
        )
        created = business_case is None
        if created:
            business_case = BusinessCase(use_case_id=use_case.pk)
        changed = _assign(business_case, data, BUSINESS_CASE_FIELDS)
        if not changed and not created:
            return business_case
        business_case.full_clean(exclude=["use_case"])
        stamp(business_case, user=user, reason=reason)
        business_case.save()
    return business_case


# --- model/prompt change log --------------------------------------------------------------------
def model_change_create(*, user, use_case: UseCase, data: Mapping[str, Any]) -> ModelChange:
    """Log a model, prompt or configuration change (the value owner)."""
    if not can_log_model_change(user, use_case):
        raise PermissionDenied("Only the value owner logs model and prompt changes.")
    return model_change_save(user=user, use_case=use_case, data=data)


def model_change_save(
    *, user, use_case: UseCase, data: Mapping[str, Any], reason: str = "Logged"
) -> ModelChange:
    """Write a change-log entry after its rules (the caller checked who may): fields valid, the
    effective date not in the future, the version label unused in this use case (a field
    message, also when a concurrent request took it first). ``model_change_create`` and the
    confirmation of a proposed change (``usecases.change_proposals``) both write through it."""
    with transaction.atomic():
        change = ModelChange(use_case_id=use_case.pk, created_by=user)
        _assign(change, data, MODEL_CHANGE_FIELDS)
        errors: dict[str, list] = {}
        try:
            change.full_clean(exclude=["use_case", "created_by"], validate_constraints=False)
        except ValidationError as e:
            _merge(errors, e)
        if change.effective_date and change.effective_date > clock.today():
            errors.setdefault("effective_date", []).append(
                "Log a change once it is in effect: this date is in the future."
            )
        taken = "This use case already has a change with this version label."
        if change.version_label and "version_label" not in errors:
            label_used = ModelChange.objects.filter(
                use_case_id=use_case.pk, version_label=change.version_label
            ).exists()
            if label_used:
                errors["version_label"] = [taken]
        if errors:
            raise ValidationError(errors)
        stamp(change, user=user, reason=reason)
        try:
            with transaction.atomic():
                change.save()
        except IntegrityError:
            raise ValidationError({"version_label": [taken]}) from None
    return change


# --- checklist ----------------------------------------------------------------------------------
def checklist_update(*, user, use_case: UseCase, answers: Mapping[str, tuple[str, str]]) -> int:
    """Save checklist answers (the value owner) in one go; return how many rows changed.

    ``answers`` maps an item code (``"T1"``) to ``(answer, evidence)``; an empty answer clears
    the item (it shows as unanswered again). Items not in ``answers`` are left alone.
    """
    if not can_edit_checklist(user, use_case):
        raise PermissionDenied("Only the value owner edits the checklist.")
    errors: dict[str, list] = {}
    for item, (answer, evidence) in answers.items():
        if item not in ChecklistItem.values:
            errors.setdefault(item, []).append("Unknown checklist item.")
        elif answer and answer not in Answer.values:
            errors.setdefault(item, []).append("Answer yes, partial or no.")
        elif not answer and evidence.strip():
            errors.setdefault(item, []).append("Choose an answer for this evidence.")
        else:
            try:
                check_field(ChecklistAnswer, "evidence", evidence.strip(), key=item)
            except ValidationError as exc:
                errors.setdefault(item, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    changed = 0
    with transaction.atomic():
        existing = {
            a.item: a
            for a in ChecklistAnswer.objects.select_for_update().filter(use_case_id=use_case.pk)
        }
        for item, (answer, evidence) in answers.items():
            current = existing.get(item)
            evidence = evidence.strip()
            if not answer:
                if current is not None:
                    stamp(current, user=user, reason="Cleared")
                    current.delete()
                    changed += 1
                continue
            if current is not None and (current.answer, current.evidence) == (answer, evidence):
                continue
            row = current or ChecklistAnswer(use_case_id=use_case.pk, item=item)
            row.answer, row.evidence, row.updated_by = answer, evidence, user
            stamp(row, user=user, reason="Answered")
            row.save()
            changed += 1
    return changed
