"""Change-log entries proposed from telemetry (issue 17, "Change impact"; rules in
``docs/telemetry.md``, "Proposed changes").

The OTLP ingest (``reviews.telemetry_ingest``) records each model and prompt version it sees per
use case, once (``reviews.telemetry_models.TelemetryVersion``, a unique row inserted with
``ON CONFLICT DO NOTHING``: only the request whose insert made the row learns it is new). For a
new version that is not the use case's first of its kind, it calls ``propose``: a
``ProposedChange`` (previous → new, the day first seen) and a notification to the value owner (to
the PMO when the use case has none). The value owner or the PMO then

- ``proposal_confirm``: it becomes a normal change-log entry (``ModelChange``, written by
  ``services.model_change_save`` with the rules of a logged change); version label, effective
  date (default: the day first seen) and description may be edited on the way;
- ``proposal_dismiss``: it stays as a dismissed proposal (the version stays known: it is not
  proposed again).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format

from . import clock, services
from .models import ModelChange, ProposalStatus, ProposedChange, UseCase
from .notify import notify
from .permissions import can_decide_proposed_change
from .roles import PMO

NOTIFICATION_KIND = "change_proposed"
#: What a confirmation may set (the rest comes from the proposal).
CONFIRM_FIELDS = ("version_label", "effective_date", "description")
LABEL_MAX = ModelChange._meta.get_field("version_label").max_length


@dataclass(frozen=True)
class Seen:
    """A version new to a use case's telemetry, and the one in use before it."""

    kind: str  # ChangeKind.MODEL or ChangeKind.PROMPT
    previous: str
    new: str
    first_seen: datetime.date


def _recipients(use_case: UseCase) -> list:
    if use_case.value_owner_id is not None and use_case.value_owner.is_active:
        return [use_case.value_owner]
    return list(get_user_model().objects.filter(groups__name=PMO, is_active=True).distinct())


def propose(*, use_case_id: int, seen: Iterable[Seen]) -> list[ProposedChange]:
    """Create a proposal per new version (inside the caller's transaction) and tell the value
    owner. A proposal that exists already is left alone (the unique constraint decides)."""
    seen = list(seen)
    if not seen:
        return []
    use_case = UseCase.objects.select_related("value_owner").get(pk=use_case_id)
    created = []
    for s in seen:
        proposal, new = ProposedChange.objects.get_or_create(
            use_case_id=use_case_id,
            kind=s.kind,
            new_value=s.new,
            defaults={"previous_value": s.previous, "first_seen": s.first_seen},
        )
        if new:
            created.append(proposal)
    recipients = _recipients(use_case) if created else []
    for proposal in created:
        for recipient in recipients:
            notify(
                recipient=recipient,
                kind=NOTIFICATION_KIND,
                subject=proposal,
                period="",
                title=f"{use_case.name}: new {proposal.get_kind_display().lower()} seen — "
                f"{proposal.previous_value} → {proposal.new_value}"[:200],
                body=(
                    f"The telemetry of {use_case.name} names "
                    f"{proposal.get_kind_display().lower()} “{proposal.new_value}” since "
                    f"{date_format(proposal.first_seen)} (before: “{proposal.previous_value}”). "
                    "Confirm it as a change-log entry to see its impact, or dismiss it."
                ),
                url=f"{use_case.get_absolute_url()}#changes",
            )
    return created


def proposal_defaults(proposal: ProposedChange) -> dict[str, Any]:
    """The change-log entry a confirmation writes unless told otherwise."""
    return {
        "version_label": proposal.new_value[:LABEL_MAX],
        "effective_date": proposal.first_seen,
        "description": (
            f"{proposal.what_changed}: first seen in the telemetry on "
            f"{proposal.first_seen.isoformat()}."
        ),
    }


def _decided(user, proposal: ProposedChange) -> ProposedChange:
    """The proposal locked for the decision; PermissionDenied / ValidationError otherwise."""
    if not can_decide_proposed_change(user, proposal.use_case):
        raise PermissionDenied("Only the value owner and the PMO confirm or dismiss proposals.")
    locked = ProposedChange.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PROPOSED:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"This proposal was already {locked.get_status_display().lower()}."
                ]
            }
        )
    return locked


def proposal_confirm(*, user, proposal: ProposedChange, data: Mapping[str, Any]) -> ModelChange:
    """Turn the proposal into a change-log entry (``data``: ``CONFIRM_FIELDS``, each optional)."""
    with transaction.atomic():
        locked = _decided(user, proposal)
        values = proposal_defaults(locked)
        values.update(
            {k: v for k, v in data.items() if k in CONFIRM_FIELDS and v not in (None, "")}
        )
        values["kind"] = locked.kind
        change = services.model_change_save(
            user=user,
            use_case=proposal.use_case,
            data=values,
            reason="Confirmed from telemetry",
        )
        locked.status = ProposalStatus.CONFIRMED
        locked.change = change
        locked.decided_by = user
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "change", "decided_by", "decided_at"])
    return change


def proposal_dismiss(*, user, proposal: ProposedChange) -> ProposedChange:
    """Dismiss the proposal: no change-log entry; the version is not proposed again."""
    with transaction.atomic():
        locked = _decided(user, proposal)
        locked.status = ProposalStatus.DISMISSED
        locked.decided_by = user
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def open_proposals(use_case_id: int) -> list[ProposedChange]:
    """The use case's proposals waiting for a decision, newest first (one query)."""
    return list(
        ProposedChange.objects.filter(
            use_case_id=use_case_id, status=ProposalStatus.PROPOSED
        ).order_by("-first_seen", "-pk")
    )
