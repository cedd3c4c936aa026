"""Weekly review drafts from telemetry: the fields spans can measure (``MEASURED_FIELDS``),
pre-filled for the owner to confirm, each with its evidence ("measured: n traces, last at …").

A draft is saved through the same preview and save as a typed review (``reviews.services``);
saved with ``from_draft``, the review records what was measured and which fields the owner
changed (``provenance``), computed again on the server from the week's telemetry — never taken
from the client."""

import dataclasses
import datetime

from django.utils import timezone

from usecases.models import UseCase

from .telemetry_figures import WeekTelemetry, week_telemetry

#: What telemetry measures of a weekly review; the owner adds the rest.
MEASURED_FIELDS = (
    "active_users",
    "tasks_with_ai",
    "exceptions",
    "reworked_outputs",
    "quality_score",
)


@dataclasses.dataclass(frozen=True)
class Draft:
    use_case_id: int
    week: str
    measured: dict  # field → value (empty: no telemetry that week)
    traces: int
    last_span_at: datetime.datetime | None

    @property
    def note(self) -> str:
        """``measured: 42 traces, last at Sun 29 Nov 18:05``."""
        if not self.measured:
            return ""
        last = (
            f", last at {timezone.localtime(self.last_span_at):%a %-d %b %H:%M}"
            if self.last_span_at
            else ""
        )
        return f"measured: {self.traces} trace{'' if self.traces == 1 else 's'}{last}"


def measured_of(figures: WeekTelemetry) -> dict:
    if not (figures.traces or figures.spans):
        return {}
    measured = {
        "active_users": figures.active_users,
        "tasks_with_ai": figures.tasks_with_ai,
        "exceptions": figures.exceptions,
        "reworked_outputs": figures.reworked_outputs,
    }
    if figures.quality_score is not None:
        measured["quality_score"] = figures.quality_score
    return measured


def weekly_draft(use_case: UseCase, week: str) -> Draft:
    figures = week_telemetry(use_case.pk, week)
    return Draft(
        use_case_id=use_case.pk,
        week=week,
        measured=measured_of(figures),
        traces=figures.traces,
        last_span_at=figures.last_span_at,
    )


def provenance(use_case: UseCase, week: str, values: dict) -> dict | None:
    """What a review saved from a draft records: the measured values, the fields whose saved
    value differs from them, the evidence. None when the week has no telemetry."""
    draft = weekly_draft(use_case, week)
    if not draft.measured:
        return None
    return {
        "measured": {k: str(v) if not isinstance(v, int) else v for k, v in draft.measured.items()},
        "changed": sorted(k for k, v in draft.measured.items() if values.get(k) != v),
        "traces": draft.traces,
        "last_span_at": draft.last_span_at.isoformat() if draft.last_span_at else None,
    }
