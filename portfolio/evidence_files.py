"""What an evidence pack holds for one use case (issue 19): the files of its folder, built from
the data as ``viewer`` may see it (``portfolio.evidence_pack`` writes them into the ZIP).

``UseCaseEvidence(use_case, viewer=…).files()`` yields the files one at a time (a gate pack PDF
is rendered only when its turn comes, so a portfolio's PDFs are never all in memory); while it
does, it records what ``portfolio.evidence_controls`` needs to judge each control: how many
records each file holds (``rows``), the latest date of each kind of record (``dates``) and the
chair of the use case's latest gate (``chair``).

Queries: a fixed number per use case (about 25, whatever the number of reviews, flags, changes
or votes), plus the gate pack PDFs' own (``stagegates.pack_pdf.render_item_pdf``, a fixed number
per agenda item). The files (``FILES``, in the folder's order):

- ``business-case.csv``: the business case as saved now, field by field (raw values).
- ``business-case-history.csv``: every saved version (simple-history), who saved it and why.
- ``weekly-reviews.csv``: the weekly reviews, in the bulk import's columns
  (``reviews.bulk_import.COLUMNS``: a file the import reads back) and who filed and corrected
  them when; ``monthly-reviews.csv``: the same for the monthly costs.
- ``stop-loss-rules.csv``: the portfolio's default rules and the use case's own, and which apply.
- ``flags.csv``: every stop-loss flag and early-warning signal, with its resolution.
- ``change-log.csv``: the model/prompt change log with what the weekly reviews show per version
  (the weeks reviewed on it, their mean quality score and rework rate).
- ``stage-transitions.csv``: every stage/funding change, its cause and who made it.
- ``checklist.csv``: the 15 checklist answers with their evidence, and what the data suggests.
- ``gate-decisions.csv``, ``gate-votes.csv``: the use case's agenda items, their outcomes and
  decisions; the votes as ``viewer`` may see them (``stagegates.voting.votes_for``: blind voting
  holds, and value owners and contributors never see individual votes).
- ``gate-packs/<item>.pdf``: each agenda item's gate pack PDF (a closed gate's: the snapshot
  frozen at closing).
- ``audit-history.csv``: the audit trail of the use case and its business case
  (``usecases.selectors.use_case_history``), one row per changed field.

Text a user typed is neutralised against spreadsheet formula injection (``exports.safe_text``).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.utils import timezone

from reviews.bulk_import import COLUMNS as WEEKLY_IMPORT_COLUMNS
from reviews.metric_format import rule_text
from reviews.models import Flag, MonthlyReview, StopLossRule, WeeklyReview
from reviews.thresholds import applicable_thresholds
from stagegates import pack_pdf, voting
from stagegates import permissions as gate_perms
from stagegates.checklist import checklist_status
from stagegates.models import GateItem
from usecases import clock
from usecases.models import (
    BusinessCase,
    ChecklistAnswer,
    ModelChange,
    StageTransition,
    UseCase,
)
from usecases.selectors import BUSINESS_CASE_DISPLAY, use_case_history, user_label

from .exports import safe_text

BUSINESS_CASE = "business-case.csv"
BUSINESS_CASE_HISTORY = "business-case-history.csv"
WEEKLY = "weekly-reviews.csv"
MONTHLY = "monthly-reviews.csv"
RULES = "stop-loss-rules.csv"
FLAGS = "flags.csv"
CHANGES = "change-log.csv"
TRANSITIONS = "stage-transitions.csv"
CHECKLIST = "checklist.csv"
DECISIONS = "gate-decisions.csv"
VOTES = "gate-votes.csv"
GATE_PACKS = "gate-packs/"
AUDIT = "audit-history.csv"

#: Every file (and the one folder) of a use case's folder, in the order they are written.
FILES = (
    BUSINESS_CASE,
    BUSINESS_CASE_HISTORY,
    WEEKLY,
    MONTHLY,
    RULES,
    FLAGS,
    CHANGES,
    TRANSITIONS,
    CHECKLIST,
    DECISIONS,
    VOTES,
    GATE_PACKS,
    AUDIT,
)
#: The kinds of record whose latest date a control may be "last reviewed" by.
DATE_KINDS = (
    "weekly_review",
    "monthly_review",
    "business_case",
    "gate_decision",
    "checklist",
    "change_log",
    "flag",
    "audit",
)
#: The most audit history rows of each (use case, business case) a pack holds.
AUDIT_LIMIT = 1000


@dataclass(frozen=True)
class EvidenceFile:
    name: str  # relative to the use case's folder
    data: bytes
    rows: int  # records it holds (data rows of a CSV; 1 for a PDF)


def _cell(value) -> str:
    """One CSV cell: text neutralised, dates ISO (times in the installation's zone), Decimals
    as typed, booleans yes/no, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    return safe_text(str(value))


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable]) -> tuple[bytes, int]:
    """A CSV file (UTF-8, a header row) and how many data rows it holds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    count = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return out.getvalue().encode("utf-8"), count


def _day(moment) -> datetime.date | None:
    if moment is None:
        return None
    if isinstance(moment, datetime.datetime):
        return timezone.localtime(moment).date()
    return moment


@dataclass
class UseCaseEvidence:
    """One use case's folder; ``files()`` yields it and fills ``rows``, ``dates``, ``chair``."""

    use_case: UseCase
    viewer: object
    today: datetime.date | None = None
    rows: dict[str, int] = field(default_factory=dict)
    dates: dict[str, datetime.date | None] = field(default_factory=dict)
    chair: object = None
    gate_pack_files: list[str] = field(default_factory=list)

    def files(self) -> Iterator[EvidenceFile]:
        self.today = self.today or clock.today()
        for build in (
            self._business_case,
            self._business_case_history,
            self._weekly,
            self._monthly,
            self._rules,
            self._flags,
            self._changes,
            self._transitions,
            self._checklist,
        ):
            yield from build()
        yield from self._gates()
        yield from self._audit()

    def _file(self, name: str, header, rows) -> EvidenceFile:
        data, count = csv_bytes(header, rows)
        self.rows[name] = count
        return EvidenceFile(name, data, count)

    def _date(self, kind: str, *moments) -> None:
        days = [d for d in (_day(m) for m in moments) if d is not None]
        if self.dates.get(kind) is not None:
            days.append(self.dates[kind])
        self.dates[kind] = max(days) if days else None

    # --- business case ---------------------------------------------------------------------

    def _business_case(self):
        bc = BusinessCase.objects.filter(use_case_id=self.use_case.pk).first()
        rows = []
        if bc is not None:
            rows = [
                [name, str(BusinessCase._meta.get_field(name).verbose_name), getattr(bc, name)]
                for name in BUSINESS_CASE_DISPLAY
            ]
            rows.append(["updated_at", "Last saved", bc.updated_at])
            rows.append(["currency", "Currency of the amounts", settings.VALUEGATE_CURRENCY])
            self._date("business_case", bc.updated_at)
        else:
            self._date("business_case")
        yield self._file(BUSINESS_CASE, ["field", "label", "value"], rows)

    def _business_case_history(self):
        versions = list(
            BusinessCase.history.filter(use_case_id=self.use_case.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        actions = {"+": "created", "~": "changed", "-": "deleted"}
        rows = (
            [
                v.history_id,
                v.history_date,
                actions.get(v.history_type, v.history_type),
                user_label(v.history_user),
                v.history_change_reason or "",
                *(getattr(v, name) for name in BUSINESS_CASE_DISPLAY),
            ]
            for v in versions
        )
        header = ["version_id", "saved_at", "action", "saved_by", "reason", *BUSINESS_CASE_DISPLAY]
        yield self._file(BUSINESS_CASE_HISTORY, header, rows)

    # --- reviews ---------------------------------------------------------------------------

    def _weekly(self):
        reviews = list(
            WeeklyReview.objects.filter(use_case_id=self.use_case.pk)
            .select_related("submitted_by", "updated_by", "model_version")
            .order_by("week_start")
        )
        input_columns = WEEKLY_IMPORT_COLUMNS[1:]  # after "week"

        def value(review, name):
            if name == "model_version":
                return review.model_version.version_label if review.model_version else ""
            return getattr(review, name)

        rows = (
            [
                review.week,
                *(value(review, name) for name in input_columns),
                review.pk,
                review.week_start,
                user_label(review.submitted_by),
                review.submitted_at,
                user_label(review.updated_by),
                review.updated_at,
                review.version,
                review.telemetry is not None,
            ]
            for review in reviews
        )
        header = [
            *WEEKLY_IMPORT_COLUMNS,
            "review_id",
            "week_start",
            "submitted_by",
            "submitted_at",
            "updated_by",
            "updated_at",
            "corrections",
            "from_telemetry",
        ]
        self._date("weekly_review", *(r.updated_at for r in reviews))
        yield self._file(WEEKLY, header, rows)

    def _monthly(self):
        reviews = list(
            MonthlyReview.objects.filter(use_case_id=self.use_case.pk)
            .select_related("submitted_by", "updated_by")
            .order_by("month_start")
        )
        currency = settings.VALUEGATE_CURRENCY
        rows = (
            [
                review.month,
                *(getattr(review, name) for name in MonthlyReview.COST_FIELDS),
                sum((getattr(review, name) for name in MonthlyReview.COST_FIELDS), Decimal(0)),
                currency,
                review.notes,
                review.pk,
                user_label(review.submitted_by),
                review.submitted_at,
                user_label(review.updated_by),
                review.updated_at,
                review.version,
            ]
            for review in reviews
        )
        header = [
            "month",
            *MonthlyReview.COST_FIELDS,
            "total_cost",
            "currency",
            "notes",
            "review_id",
            "submitted_by",
            "submitted_at",
            "updated_by",
            "updated_at",
            "corrections",
        ]
        self._date("monthly_review", *(r.updated_at for r in reviews))
        yield self._file(MONTHLY, header, rows)

    # --- stop-loss ---------------------------------------------------------------------------

    def _rules(self):
        rules = list(
            StopLossRule.objects.filter(
                Q(use_case__isnull=True) | Q(use_case_id=self.use_case.pk)
            ).order_by("use_case_id", "metric", "pk")
        )
        applying = {
            t.rule.pk
            for t in applicable_thresholds([r for r in rules if r.active], self.use_case.pk)
        }
        rows = (
            [
                rule.pk,
                "this use case" if rule.use_case_id else "portfolio default",
                rule.metric,
                rule.comparison,
                rule.threshold,
                rule.consecutive_weeks,
                rule.grace_weeks,
                rule.action,
                rule.active,
                rule.pk in applying,
                rule_text(rule),
                rule.updated_at,
            ]
            for rule in rules
        )
        header = [
            "rule_id",
            "scope",
            "metric",
            "comparison",
            "threshold",
            "consecutive_periods",
            "grace_weeks",
            "action",
            "active",
            "applies",
            "rule",
            "updated_at",
        ]
        yield self._file(RULES, header, rows)

    def _flags(self):
        flags = list(
            Flag.objects.filter(use_case_id=self.use_case.pk)
            .select_related("resolved_by")
            .order_by("raised_at", "pk")
        )

        def state(flag):
            if flag.resolved_at is None:
                return "withdrawn, awaiting the PMO" if flag.withdrawn_at else "open"
            return flag.get_resolution_kind_display() or "resolved"

        rows = (
            [
                flag.pk,
                flag.kind,
                flag.rule_id,
                flag.period,
                flag.observed_value,
                flag.threshold,
                flag.explanation,
                flag.triggered_by,
                flag.raised_at,
                flag.historical,
                state(flag),
                flag.resolved_at,
                user_label(flag.resolved_by),
                flag.resolution_note,
                flag.withdrawn_at,
                flag.withdrawal_note,
            ]
            for flag in flags
        )
        header = [
            "flag_id",
            "kind",
            "rule_id",
            "period",
            "observed_value",
            "threshold",
            "explanation",
            "triggered_by",
            "raised_at",
            "historical",
            "state",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "withdrawn_at",
            "withdrawal_note",
        ]
        self._date("flag", *(f.resolved_at or f.raised_at for f in flags))
        yield self._file(FLAGS, header, rows)

    # --- change log, stage transitions, checklist ---------------------------------------------

    def _changes(self):
        changes = list(
            ModelChange.objects.filter(use_case_id=self.use_case.pk)
            .select_related("created_by")
            .order_by("effective_date", "pk")
        )
        # What the weekly reviews show per version (one query).
        impact = {
            row["model_version"]: row
            for row in WeeklyReview.objects.filter(
                use_case_id=self.use_case.pk, model_version__isnull=False
            )
            .values("model_version")
            .annotate(
                weeks=Count("pk"),
                first=Min("week_start"),
                last=Max("week_start"),
                quality=Avg("quality_score"),
                reworked=Sum("reworked_outputs"),
                with_ai=Sum("tasks_with_ai"),
            )
            .order_by()
        }

        def effect(change):
            row = impact.get(change.pk)
            if row is None:
                return [0, "", "", "", ""]
            quality = Decimal(row["quality"]).quantize(Decimal("0.01")) if row["quality"] else ""
            rework = (
                (Decimal(row["reworked"]) / row["with_ai"]).quantize(Decimal("0.0001"))
                if row["with_ai"]
                else ""
            )
            return [row["weeks"], row["first"], row["last"], quality, rework]

        rows = (
            [
                change.pk,
                change.version_label,
                change.kind,
                change.effective_date,
                change.description,
                user_label(change.created_by),
                change.created_at,
                *effect(change),
            ]
            for change in changes
        )
        header = [
            "change_id",
            "version_label",
            "kind",
            "effective_date",
            "description",
            "logged_by",
            "logged_at",
            "weeks_reviewed_on_version",
            "first_week_start",
            "last_week_start",
            "mean_quality_score",
            "rework_rate",
        ]
        self._date("change_log", *(c.created_at for c in changes))
        yield self._file(CHANGES, header, rows)

    def _transitions(self):
        transitions = StageTransition.objects.filter(use_case_id=self.use_case.pk).select_related(
            "actor"
        )
        rows = (
            [
                t.at,
                t.stage_before,
                t.stage_after,
                t.funding_before,
                t.funding_after,
                t.cause_kind,
                t.cause_id,
                t.cause_label,
                t.reason,
                user_label(t.actor) or "rule",
            ]
            for t in transitions.order_by("at", "pk")
        )
        header = [
            "at",
            "stage_before",
            "stage_after",
            "funding_before",
            "funding_after",
            "cause",
            "cause_id",
            "cause_label",
            "reason",
            "actor",
        ]
        yield self._file(TRANSITIONS, header, rows)

    def _checklist(self):
        lines = checklist_status([self.use_case.pk], today=self.today)[self.use_case.pk]
        answers = {
            a.item: a
            for a in ChecklistAnswer.objects.filter(use_case_id=self.use_case.pk).select_related(
                "updated_by"
            )
        }
        rows = []
        for line in lines:
            answer = answers.get(line.code)
            rows.append(
                [
                    line.code,
                    line.section,
                    line.label,
                    line.answer or "",
                    line.answer_evidence,
                    user_label(answer.updated_by) if answer else "",
                    answer.updated_at if answer else None,
                    line.data.suggested if line.data and line.data.suggested else "",
                    line.data.text if line.data else "",
                ]
            )
        header = [
            "item",
            "section",
            "label",
            "answer",
            "evidence",
            "answered_by",
            "answered_at",
            "data_suggests",
            "data_evidence",
        ]
        file = self._file(CHECKLIST, header, rows)
        self.rows[CHECKLIST] = sum(1 for a in answers.values() if a.answer)  # answered items
        self._date("checklist", *(a.updated_at for a in answers.values()))
        yield EvidenceFile(file.name, file.data, self.rows[CHECKLIST])

    # --- stage gates -------------------------------------------------------------------------

    def _gates(self):
        items = list(
            gate_perms.visible_items(
                self.viewer, GateItem.objects.on_agenda().filter(use_case_id=self.use_case.pk)
            )
            .select_related(
                "gate",
                "gate__chair",
                "use_case",
                "use_case__value_owner",
                "decision",
                "decision__decided_by",
            )
            .order_by("gate__opens_on", "pk")
        )
        votes = voting.votes_for(self.viewer, items)
        if items:
            self.chair = items[-1].gate.chair
        decisions = []
        for item in items:
            decision = getattr(item, "decision", None)
            decisions.append(
                [
                    item.gate.quarter,
                    item.gate.status,
                    item.gate.opens_on,
                    item.gate.closes_on,
                    user_label(item.gate.chair),
                    item.pk,
                    item.reasons,
                    item.outcome,
                    decision.decision if decision else "",
                    decision.is_override if decision else None,
                    decision.rationale if decision else "",
                    user_label(decision.decided_by) if decision else "",
                    decision.decided_at if decision else None,
                    votes[item.pk].total if votes[item.pk].visible else "",
                    GATE_PACKS + pack_pdf.item_filename(item),
                ]
            )
        self._date(
            "gate_decision",
            *(item.decision.decided_at for item in items if hasattr(item, "decision")),
        )
        yield self._file(
            DECISIONS,
            [
                "gate",
                "gate_status",
                "opens_on",
                "closes_on",
                "chair",
                "item_id",
                "on_agenda_because",
                "vote_outcome",
                "decision",
                "chair_overrode_outcome",
                "rationale",
                "decided_by",
                "decided_at",
                "votes_cast",
                "gate_pack",
            ],
            decisions,
        )
        self.rows[DECISIONS] = sum(1 for row in decisions if row[8])  # decided items
        vote_rows = [
            [
                item.gate.quarter,
                item.pk,
                user_label(vote.voter),
                vote.choice,
                vote.rationale,
                vote.updated_at,
            ]
            for item in items
            for vote in votes[item.pk].votes
        ]
        yield self._file(
            VOTES, ["gate", "item_id", "voter", "choice", "rationale", "voted_at"], vote_rows
        )
        self.rows[GATE_PACKS] = 0
        for item in items:
            name = GATE_PACKS + pack_pdf.item_filename(item)
            data = pack_pdf.render_item_pdf(item, viewer=self.viewer, today=self.today)
            self.rows[GATE_PACKS] += 1
            self.gate_pack_files.append(name)
            yield EvidenceFile(name, data, 1)

    # --- audit -------------------------------------------------------------------------------

    def _audit(self):
        entries = use_case_history(use_case=self.use_case, limit=AUDIT_LIMIT)
        rows = []
        for entry in entries:
            changes = entry.changes or [None]
            for change in changes:
                rows.append(
                    [
                        entry.when,
                        entry.subject,
                        entry.history_id,
                        entry.action,
                        entry.user_display,
                        entry.reason,
                        change.label if change else "",
                        change.before if change else "",
                        change.after if change else "",
                    ]
                )
        self._date("audit", *(e.when for e in entries))
        yield self._file(
            AUDIT,
            ["at", "record", "history_id", "action", "by", "reason", "field", "before", "after"],
            rows,
        )
