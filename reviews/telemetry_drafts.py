"""Weekly review drafts from telemetry: the fields spans can measure (``MEASURED_FIELDS``),
pre-filled for the owner to confirm, each with its evidence ("measured: n traces, last at …").

A draft is saved through the same preview and save as a typed review (``reviews.services``);
saved with ``from_draft``, the review records what was measured and which fields the owner
changed (``provenance``), computed again on the server from the week's telemetry — never taken
from the client."""

import dataclasses
import datetime

from django.utils import timezone

from usecases import economics
from usecases.models import UseCase

from .models import WeeklyReview
from .telemetry_figures import WeekTelemetry, week_telemetry
from .telemetry_models import WorkflowMetrics

#: Rates that change rarely, carried from the latest earlier review into a draft.
CARRIED_FIELDS = ("minutes_saved_per_task", "rework_minutes_per_output")

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
    #: What the workflow system pushed (``tasks_total``, ``backlog``; empty: nothing).
    pushed: dict = dataclasses.field(default_factory=dict)
    pushed_at: datetime.datetime | None = None
    #: Rates carried from the latest earlier review (``carried_from``: its week).
    carried: dict = dataclasses.field(default_factory=dict)
    carried_from: str = ""

    @property
    def values(self) -> dict:
        """Every pre-filled field: measured, pushed, carried (none without telemetry or pushed
        figures: a draft is made of evidence, not of last week alone)."""
        if not (self.measured or self.pushed):
            return {}
        return {**self.carried, **self.measured, **self.pushed}

    @property
    def pushed_note(self) -> str:
        if not self.pushed:
            return ""
        return f"from the workflow system, {timezone.localtime(self.pushed_at):%a %-d %b %H:%M}"

    def note_of(self, field: str) -> str:
        if field in self.pushed:
            return self.pushed_note
        if field in self.carried:
            return f"as in your review of {self.carried_from}"
        return self.note

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
    pushed = WorkflowMetrics.objects.filter(use_case=use_case, week=week).first()
    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(week))
    previous = (
        WeeklyReview.objects.filter(use_case=use_case, week_start__lt=monday)
        .order_by("-week_start")
        .values("week", *CARRIED_FIELDS)
        .first()
    )
    return Draft(
        use_case_id=use_case.pk,
        week=week,
        measured=measured_of(figures),
        traces=figures.traces,
        last_span_at=figures.last_span_at,
        pushed={"tasks_total": pushed.tasks_total, "backlog": pushed.backlog} if pushed else {},
        pushed_at=pushed.updated_at if pushed else None,
        carried={k: previous[k] for k in CARRIED_FIELDS} if previous else {},
        carried_from=previous["week"] if previous else "",
    )


def provenance(use_case: UseCase, week: str, values: dict) -> dict | None:
    """What a review saved from a draft records: the measured values (and the workflow
    system's), the fields whose saved value differs from them, the evidence. None when the week
    has neither."""
    draft = weekly_draft(use_case, week)
    if not draft.values:
        return None

    def plain(found: dict) -> dict:
        return {k: v if isinstance(v, int) else str(v) for k, v in found.items()}

    return {
        "measured": plain(draft.measured),
        "pushed": plain(draft.pushed),
        "changed": sorted(
            k for k, v in {**draft.measured, **draft.pushed}.items() if values.get(k) != v
        ),
        "traces": draft.traces,
        "last_span_at": draft.last_span_at.isoformat() if draft.last_span_at else None,
    }
