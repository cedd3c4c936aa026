"""Bulk import of weekly reviews from a CSV or XLSX file (beyond DESIGN.md; asked in issue 8 by
teams that keep a spreadsheet today).

The file: the first row names the columns with the weekly review's field names (``COLUMNS``, in
any order, case and spaces ignored); every further row is one weekly review of the use case.
``week`` and the counts and minutes are required; ``target_users`` defaults to the use case's
target users, ``declared_hours_saved`` to 0, ``model_version`` (a version label from the use
case's model/prompt log) to the version in effect that week; ``notes`` and ``user_barriers`` may
be empty. Numbers use a dot as decimal separator. Empty rows are skipped.

Rules:

- Every row is validated with the SAME rules as the weekly review page: the page's form
  (``reviews.forms.WeeklyReviewForm``: conversion, model rules, duplicate week in the database)
  and then ``reviews.services.weekly_review_submit`` (permission, duplicate week, the stop-loss
  and early-warning evaluation), all in ONE transaction with a savepoint per row.
- ``weekly_reviews_import(commit=False)`` is the preview: it runs exactly that, reports every
  error by row and column and what the import would raise (flags, a stage change, and the
  breaches older than the stop-loss look-back it records as historical, ``reviews.lookback``),
  then rolls
  everything back. ``commit=True`` runs it again (the data may have changed meanwhile) and keeps
  the result only if every row is valid: one bad cell and nothing is imported.
- A week that appears twice in the file is an error on each later row; a week that already has a
  review is an error naming that review.
- Rows are submitted in week order, so the stop-loss rules and the signals see them as if they had
  been submitted week by week; errors still name the file's row numbers (the header is row 1).
- Limits: ``MAX_BYTES`` per file, ``MAX_ROWS`` data rows (ten years of weeks), ``MAX_COLUMNS``;
  reading the file is bounded in time and memory by ``reviews.spreadsheets`` (its docstring
  gives the caps and the measured bound). A file that cannot be read is refused with a message
  (the view answers 400), never a 500.

Who may import: ``usecases.permissions.can_import_reviews``: whoever may submit the use case's
reviews (its value owner, its contributors, admins) and the PMO, as the issue asks ("a value owner
or PMO uploads"). The service applies that same check to every row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction

from usecases import economics
from usecases.models import ModelChange, Stage, UseCase
from usecases.permissions import can_import_reviews
from usecases.selectors import saved_hourly_costs

from . import lookback, services, spreadsheets
from .forms import WeeklyReviewForm
from .models import Flag, WeeklyReview

MAX_BYTES = 1024 * 1024
MAX_SIZE = "1 MB"  # MAX_BYTES in words
MAX_ROWS = 520
MAX_COLUMNS = 30
EXTENSIONS = (".csv", ".xlsx")

#: Every column a file may have, in the template's order.
COLUMNS = ("week", *WeeklyReview.INPUT_FIELDS)
#: Columns that may be left out of the file (or empty in a row).
OPTIONAL = frozenset(
    {"target_users", "declared_hours_saved", "model_version", "notes", "user_barriers"}
)
REQUIRED = tuple(c for c in COLUMNS if c not in OPTIONAL)
#: What an empty optional cell means (the form would otherwise call it required).
DEFAULTS = {"declared_hours_saved": "0"}
#: One example value per column, for the page that documents the format.
EXAMPLES = {
    "week": "2026-W07",
    "active_users": "64",
    "target_users": "100",
    "tasks_total": "1800",
    "tasks_with_ai": "1200",
    "reworked_outputs": "140",
    "exceptions": "35",
    "minutes_saved_per_task": "3.5",
    "rework_minutes_per_output": "6",
    "quality_score": "86.5",
    "backlog": "240",
    "declared_hours_saved": "75",
    "model_version": "prompt-v2",
    "notes": "Month-end peak",
    "user_barriers": "Login is slow",
}
FILE = ""  # the column of an error about the whole file or row


@dataclass(frozen=True)
class CellError:
    """One problem: ``row`` is the file's row number (None: the file itself), ``column`` the
    field name (empty: the whole row or file)."""

    row: int | None
    column: str
    message: str

    @property
    def column_label(self) -> str:
        if not self.column:
            return ""
        try:
            return WeeklyReview._meta.get_field(self.column).verbose_name
        except FieldDoesNotExist:
            return self.column


@dataclass
class ParsedFile:
    """The rows of an uploaded file as strings, keyed by column: ``[(row number, values)]``."""

    filename: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


@dataclass(frozen=True)
class RaisedFlag:
    kind: str
    period: str
    explanation: str


@dataclass
class RowResult:
    number: int
    values: dict[str, str]
    errors: list[CellError] = field(default_factory=list)
    adoption_rate: Decimal | None = None
    rework_rate: Decimal | None = None

    @property
    def week(self) -> str:
        return self.values.get("week", "")

    @property
    def cells(self) -> list[str]:
        """The row's values in ``COLUMNS`` order (empty for a column the file has not)."""
        return [self.values.get(column, "") for column in COLUMNS]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    rows: list[RowResult]
    committed: bool = False
    flags: list[RaisedFlag] = field(default_factory=list)
    #: Breaches and signals older than the stop-loss look-back: recorded, no flag (in words).
    historical: list[str] = field(default_factory=list)
    stage_before: str = ""
    stage_after: str = ""

    @property
    def errors(self) -> list[CellError]:
        return [e for row in self.rows for e in row.errors]

    @property
    def stage_change(self) -> tuple[str, str] | None:
        """(from, to) stage labels when the import moves the use case, else None."""
        if self.stage_before == self.stage_after:
            return None
        return Stage(self.stage_before).label, Stage(self.stage_after).label

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def imported(self) -> int:
        return len(self.rows) if self.committed else 0

    @property
    def invalid_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)


# --- reading files -------------------------------------------------------------------------------


def normalise_header(text) -> str:
    """``" Active users "`` → ``active_users``."""
    return "_".join(str(text or "").strip().lower().replace("-", " ").split())


def parse_weekly_file(uploaded) -> ParsedFile:
    """Read an uploaded CSV or XLSX file (a Django ``UploadedFile``) into rows of strings.
    File-level problems (type, size, header) come back as errors with ``row=None`` or 1."""
    name = getattr(uploaded, "name", "") or "upload"
    parsed = ParsedFile(filename=name)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        parsed.errors.append(
            CellError(None, FILE, "Upload a .csv or .xlsx file (the first row names the columns).")
        )
        return parsed
    if uploaded.size > MAX_BYTES:
        parsed.errors.append(CellError(None, FILE, f"The file is larger than {MAX_SIZE}."))
        return parsed
    data = uploaded.read(MAX_BYTES + 1)
    try:
        if extension == ".csv":
            table = spreadsheets.read_csv(data, max_rows=MAX_ROWS, known_columns=frozenset(COLUMNS))
        else:
            table = spreadsheets.read_xlsx(data, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except spreadsheets.UnreadableFile as exc:
        parsed.errors.append(CellError(None, FILE, str(exc)))
        return parsed
    # Trailing empty rows and columns are what spreadsheets leave behind.
    while table and not any(table[-1]):
        table.pop()
    if not table:
        parsed.errors.append(CellError(None, FILE, "The file is empty."))
        return parsed
    _read_header(parsed, table[0])
    if parsed.errors:
        return parsed
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if len(parsed.rows) == MAX_ROWS:
            parsed.errors.append(
                CellError(None, FILE, f"The file has more than {MAX_ROWS} rows: split it.")
            )
            return parsed
        values = {}
        for index, column in enumerate(parsed.columns):
            if column:
                values[column] = cells[index] if index < len(cells) else ""
        extra = [c for c in cells[len(parsed.columns) :] if c]
        if extra:
            parsed.errors.append(
                CellError(number, FILE, "This row has more cells than the header has columns.")
            )
        parsed.rows.append((number, values))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(CellError(None, FILE, "The file has a header but no data rows."))
    return parsed


def _read_header(parsed: ParsedFile, header: list[str]) -> None:
    while header and not header[-1]:
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        parsed.errors.append(CellError(1, FILE, f"The file has more than {MAX_COLUMNS} columns."))
        return
    columns = [normalise_header(h) for h in header]
    seen = set()
    for raw, column in zip(header, columns, strict=True):
        if not column:
            parsed.errors.append(CellError(1, FILE, "A column has no name in the header row."))
        elif column not in COLUMNS:
            parsed.errors.append(
                CellError(
                    1,
                    FILE,
                    f"Unknown column “{raw}”. Columns are the weekly review's field names: "
                    f"{', '.join(COLUMNS)}.",
                )
            )
        elif column in seen:
            parsed.errors.append(CellError(1, column, f"The column “{raw}” appears twice."))
        seen.add(column)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        parsed.errors.append(
            CellError(
                1,
                FILE,
                f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}.",
            )
        )
    parsed.columns = columns


def template_csv() -> str:
    """The header row of an import file (every column, in ``COLUMNS`` order)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(COLUMNS)
    return out.getvalue()


# --- validating and importing --------------------------------------------------------------------


def _week_order(row: tuple[int, dict]) -> tuple:
    number, values = row
    try:
        return (0, economics.parse_iso_week(values.get("week", "").strip()), number)
    except ValueError:
        return (1, (0, 0), number)


def _duplicate_errors(rows) -> dict[int, CellError]:
    first_row: dict[str, int] = {}
    errors = {}
    for number, values in rows:
        week = values.get("week", "").strip().upper()
        if not week:
            continue
        if week in first_row:
            errors[number] = CellError(
                number,
                "week",
                f"{week} appears more than once in the file (first in row {first_row[week]}).",
            )
        else:
            first_row[week] = number
    return errors


def _form_data(number: int, values: dict[str, str], use_case: UseCase, versions: dict[str, int]):
    """The row as the weekly review form's POST data, with the documented defaults; plus the
    errors found on the way (an unknown model version label)."""
    data = {name: values.get(name, "").strip() for name in COLUMNS}
    data["week"] = data["week"].upper()
    if not data["target_users"]:
        data["target_users"] = str(use_case.target_users)
    for name, default in DEFAULTS.items():
        if not data[name]:
            data[name] = default
    errors = []
    label = data.pop("model_version")
    if label:
        if label in versions:
            data["model_version"] = str(versions[label])
        else:
            errors.append(
                CellError(
                    number,
                    "model_version",
                    f"No version “{label}” in this use case's model/prompt log.",
                )
            )
    return data, errors


def _messages(error_dict: dict, number: int, known: set) -> list[CellError]:
    result = []
    for name, messages in error_dict.items():
        column = name if name in known else FILE
        for message in messages:
            result.append(CellError(number, column, message))
    return result


def weekly_reviews_import(
    *, user, use_case: UseCase, rows: list[tuple[int, dict[str, str]]], commit: bool
) -> ImportResult:
    """Validate (``commit=False``: the preview) or import (``commit=True``) weekly reviews of
    ``use_case``: every row through the page's form and ``services.weekly_review_submit`` in
    one transaction, a savepoint per row. Nothing stays unless ``commit`` and every row is valid.
    Raises ``PermissionDenied`` for a user who may not submit the use case's reviews."""
    if not can_import_reviews(user, use_case):
        raise PermissionDenied("You may not import reviews for this use case.")
    results = {number: RowResult(number, dict(values)) for number, values in rows}
    duplicates = _duplicate_errors(rows)
    for number, error in duplicates.items():
        results[number].errors.append(error)
    known = set(COLUMNS)
    result = ImportResult(rows=[results[number] for number, _ in rows])
    hourly_cost = _hourly_cost(use_case)
    with transaction.atomic():
        stage_before = UseCase.objects.values_list("stage", flat=True).get(pk=use_case.pk)
        flags_before = set(Flag.objects.filter(use_case=use_case).values_list("pk", flat=True))
        versions = dict(
            ModelChange.objects.filter(use_case=use_case).values_list("version_label", "pk")
        )
        for number, values in sorted(rows, key=_week_order):
            if number in duplicates:
                continue
            row = results[number]
            data, errors = _form_data(number, values, use_case, versions)
            row.errors.extend(errors)
            form = WeeklyReviewForm(data, use_case=use_case)
            if not form.is_valid():
                row.errors.extend(_messages(form.errors, number, known))
                continue
            if row.errors:
                continue
            try:
                with transaction.atomic():
                    review = services.weekly_review_submit(
                        user=user,
                        use_case=use_case,
                        week=form.cleaned_data["week"],
                        data=form.service_data(),
                        permission=can_import_reviews,
                    )
            except ValidationError as exc:
                error_dict = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                row.errors.extend(_messages(error_dict, number, known))
                continue
            metrics = economics.week_metrics(review.figures(), hourly_cost)
            row.adoption_rate, row.rework_rate = metrics.adoption_rate, metrics.rework_rate
        result.stage_before = stage_before
        result.stage_after = UseCase.objects.values_list("stage", flat=True).get(pk=use_case.pk)
        new_flags = list(
            Flag.objects.filter(use_case=use_case)
            .exclude(pk__in=flags_before)
            .select_related("rule")
            .order_by("raised_at", "pk")
        )
        result.flags = [
            RaisedFlag(flag.get_kind_display(), flag.period, flag.explanation)
            for flag in new_flags
            if not flag.historical
        ]
        result.historical = [lookback.flag_sentence(f) for f in new_flags if f.historical]
        if commit and result.ok:
            result.committed = True
        else:
            transaction.set_rollback(True)
    return result


def _hourly_cost(use_case: UseCase):
    return saved_hourly_costs([use_case.pk]).get(use_case.pk, 0)
