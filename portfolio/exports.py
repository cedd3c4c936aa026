"""CSV and XLSX downloads of the CFO report, built from the same ``CfoReport`` as the page.

- CSV: one table per file (``table=use_case|business_unit|month|ninety_days``), a header row of
  stable snake_case column names, money as plain numbers rounded to cents (``1234.50``, no
  thousands separator, no currency sign; the ``currency`` column names it), dates as ISO text.
- XLSX (openpyxl): one sheet per table plus an "About" sheet; numbers are numeric cells with a
  money number format naming the installation's currency, months and dates are date cells, the
  header row is bold and frozen, column widths fit their content, and each figures sheet ends with
  a bold total row of ``SUM`` formulas over the rows above, with their values cached in the file
  (openpyxl writes formulas without a value; ``_cache_formula_values`` adds it) so a viewer that
  does not calculate shows them too.

Money is rounded by the one rule (``usecases.money``): the report's figures are already sums of
rounded use case months, so every row's net value is its gross efficiency − translation gap −
absorption cost to the cent and the rows add up to the total. A row without any review in the
range has empty money cells (no data), not zeros.

User-entered text (use case names, business units) is neutralised against spreadsheet formula
injection in both formats.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from usecases import clock, money
from usecases.text import control_characters

from .cfo import CfoReport

FIGURE_COLUMNS = ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")
FIGURE_HEADERS = ("Gross efficiency", "Absorption cost", "Net value", "Translation gap")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_WIDTH = 48
MONEY, TEXT, INT, MONTH, DATE = "money", "text", "int", "month", "date"


cents = money.cents
#: In a table's total row: a ``SUM`` formula over the column's rows (XLSX).
SUM = "=SUM"


def safe_text(text: str) -> str:
    """Neutralise spreadsheet formulas in user-entered text (CSV/XLSX injection); control
    characters become spaces (openpyxl refuses most of them: a name saved with one before names
    were checked made the XLSX export a 500)."""
    text = text or ""
    text = f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    bad = set(control_characters(text))
    return "".join(" " if c in bad else c for c in text) if bad else text


@dataclass(frozen=True)
class Column:
    key: str  # CSV header
    title: str  # XLSX header
    kind: str


@dataclass(frozen=True)
class Table:
    key: str
    title: str  # sheet name (at most 31 characters)
    columns: Sequence[Column]
    rows: Callable[[CfoReport], list[list]]
    total: Callable[[CfoReport], list] | None = None


def _figures(figures, has_data: bool = True) -> list:
    """A line's money cells: empty without any review in the range (no data, not zero)."""
    if not has_data:
        return [None] * len(FIGURE_COLUMNS)
    return [cents(getattr(figures, name)) for name in FIGURE_COLUMNS]


def _figure_columns() -> list[Column]:
    return [Column(k, t, MONEY) for k, t in zip(FIGURE_COLUMNS, FIGURE_HEADERS, strict=True)]


def _use_case_rows(report: CfoReport) -> list[list]:
    return [
        [
            line.use_case.pk,
            line.use_case.name,
            line.use_case.business_unit,
            line.use_case.get_stage_display(),
            *_figures(line.figures, line.has_data),
        ]
        for line in report.by_use_case
    ]


def _unit_rows(report: CfoReport) -> list[list]:
    return [
        [line.business_unit, line.use_case_count, *_figures(line.figures, line.has_data)]
        for line in report.by_business_unit
    ]


def _month_rows(report: CfoReport) -> list[list]:
    return [[line.month, *_figures(line.figures, line.has_data)] for line in report.by_month]


def _ninety_rows(report: CfoReport) -> list[list]:
    return [
        [
            line.use_case.pk,
            line.use_case.name,
            line.use_case.business_unit,
            line.use_case.scaled_on,
            line.months[0],
            line.months[-1],
            line.status,
            line.months_available,
            cents(line.value),
        ]
        for line in report.ninety_days
    ]


TABLES = {
    "use_case": Table(
        "use_case",
        "By use case",
        [
            Column("use_case_id", "ID", INT),
            Column("use_case", "Use case", TEXT),
            Column("business_unit", "Business unit", TEXT),
            Column("stage", "Stage", TEXT),
            *_figure_columns(),
        ],
        _use_case_rows,
        lambda r: ["", "Total", "", "", *[SUM] * len(FIGURE_COLUMNS)],
    ),
    "business_unit": Table(
        "business_unit",
        "By business unit",
        [
            Column("business_unit", "Business unit", TEXT),
            Column("use_cases", "Use cases", INT),
            *_figure_columns(),
        ],
        _unit_rows,
        lambda r: ["Total", SUM, *[SUM] * len(FIGURE_COLUMNS)],
    ),
    "month": Table(
        "month",
        "By month",
        [Column("month", "Month", MONTH), *_figure_columns()],
        _month_rows,
        lambda r: ["Total", *[SUM] * len(FIGURE_COLUMNS)],
    ),
    "ninety_days": Table(
        "ninety_days",
        "90 days at scale",
        [
            Column("use_case_id", "ID", INT),
            Column("use_case", "Use case", TEXT),
            Column("business_unit", "Business unit", TEXT),
            Column("scaled_on", "Scaled on", DATE),
            Column("first_month", "First month", MONTH),
            Column("last_month", "Last month", MONTH),
            Column("status", "Status", TEXT),
            Column("months_available", "Months with a monthly review", INT),
            Column("net_value_90_days", "Net value after 90 days", MONEY),
        ],
        _ninety_rows,
    ),
}
DEFAULT_TABLE = "use_case"


def filename(report: CfoReport, extension: str, table: str | None = None) -> str:
    part = f"-{table.replace('_', '-')}" if table else ""
    return f"cfo-report{part}-{report.month_range.slug}.{extension}"


# --- CSV ----------------------------------------------------------------------------------------


def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == TEXT:
        return safe_text(str(value))
    if kind == MONTH:
        return value.strftime("%Y-%m")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def write_csv(report: CfoReport, table_key: str, out) -> None:
    """Write one table of ``report`` to the text stream ``out``."""
    table = TABLES[table_key]
    money = any(c.kind == MONEY for c in table.columns)
    writer = csv.writer(out)
    writer.writerow([c.key for c in table.columns] + (["currency"] if money else []))
    currency = settings.VALUEGATE_CURRENCY
    for row in table.rows(report):
        cells = [_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
        writer.writerow(cells + ([currency] if money else []))


# --- XLSX ---------------------------------------------------------------------------------------


def money_format(currency: str) -> str:
    """E.g. ``"EUR" #,##0.00;-"EUR" #,##0.00`` (the currency as a literal, two decimals)."""
    literal = '"' + currency.replace('"', "") + '"'
    return f"{literal} #,##0.00;-{literal} #,##0.00"


FORMATS = {INT: "0", MONTH: "yyyy-mm", DATE: "yyyy-mm-dd"}


def _display_width(value, kind: str, currency: str) -> int:
    if value is None:
        return 0
    if kind == MONEY:
        return len(f"{currency} {abs(value):,.2f}") + (1 if value < 0 else 0)
    if kind == MONTH:
        return 7
    if kind == DATE:
        return 10
    return len(str(value))


def _add_sheet(workbook: Workbook, table: Table, report: CfoReport, currency: str) -> dict:
    """Add ``table`` as a sheet; return the cached values of its total row's formulas
    (``{cell reference: value}``)."""
    sheet = workbook.create_sheet(table.title)
    sheet.append([c.title for c in table.columns])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    rows = table.rows(report)
    total_row = table.total(report) if table.total else None
    widths = [len(c.title) for c in table.columns]
    number_formats = {
        i: money_format(currency) if c.kind == MONEY else FORMATS.get(c.kind)
        for i, c in enumerate(table.columns)
    }
    cached = {}
    if total_row is not None:
        sums = [
            sum((row[i] for row in rows if row[i] is not None), Decimal(0))
            if value == SUM
            else None
            for i, value in enumerate(total_row)
        ]
    for r, row in enumerate([*rows, total_row] if total_row is not None else rows, start=2):
        is_total = total_row is not None and r == len(rows) + 2
        for i, (value, column) in enumerate(zip(row, table.columns, strict=True)):
            shown = value
            if is_total and value == SUM and not rows:
                value = shown = 0  # nothing to add up
            elif is_total and value == SUM:
                letter = get_column_letter(i + 1)
                value = f"=SUM({letter}2:{letter}{len(rows) + 1})"
                shown = sums[i]
                cached[f"{letter}{r}"] = shown
            elif column.kind == TEXT and isinstance(value, str):
                value = shown = safe_text(value)
            if value == "":
                value = shown = None
            cell = sheet.cell(row=r, column=i + 1, value=value)
            if number_formats[i] and shown is not None and not isinstance(shown, str):
                cell.number_format = number_formats[i]  # a total row's label stays text
            if is_total:
                cell.font = bold
            widths[i] = max(widths[i], _display_width(shown, column.kind, currency))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    return cached


def _cache_formula_values(data: bytes, cached: dict[int, dict[str, object]]) -> bytes:
    """Write each formula's value into the saved workbook (``cached``: sheet number, from 1 →
    cell reference → value). openpyxl saves a formula cell as ``<f>…</f><v />``; the value goes
    into ``<v>``, so a viewer that does not calculate shows the total (Excel and LibreOffice
    recalculate on opening anyway)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            values = cached.get(int(match[1])) if match else None
            if values:
                text = content.decode("utf-8")
                for ref, value in values.items():
                    text, n = re.subn(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v ?/>',
                        lambda m, v=value: f"{m[1]}{m[2]}<v>{v}</v>",
                        text,
                    )
                    if n != 1:
                        raise ValueError(f"no formula cell {ref} in {info.filename}")
                content = text.encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


def xlsx_bytes(report: CfoReport) -> bytes:
    """The whole report as a workbook: one sheet per table, then "About"."""
    currency = settings.VALUEGATE_CURRENCY
    workbook = Workbook()
    workbook.remove(workbook.active)
    cached = {}
    for number, table in enumerate(TABLES.values(), start=1):
        cached[number] = _add_sheet(workbook, table, report, currency)
    about = workbook.create_sheet("About")
    about.append(["Valuegate CFO report"])
    about["A1"].font = Font(bold=True)
    for label, value in (
        ("First month", report.month_range.start),
        ("Last month", report.month_range.end),
        ("Currency", currency),
        ("Generated", timezone.localtime(clock.now()).replace(tzinfo=None, microsecond=0)),
    ):
        about.append([label, value])
    about["B2"].number_format = about["B3"].number_format = "yyyy-mm"
    about["B5"].number_format = "yyyy-mm-dd hh:mm"
    about.append([])
    about.append(
        [
            "Net value = gross efficiency × reclaimable share − absorption cost; "
            "translation gap = gross efficiency × (1 − reclaimable share)."
        ]
    )
    about.append(
        [
            "Rounding: each use case's month is rounded half-up to the cent, its net value is "
            "its rounded gross efficiency − translation gap − absorption cost, and every other "
            "figure (a use case over the range, a business unit, a month, a total) is the sum "
            "of rounded months. Totals are SUM formulas over the rows. Empty cells: no review."
        ]
    )
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 20
    workbook.properties.title = f"CFO report {report.month_range.label}"
    out = io.BytesIO()
    workbook.save(out)
    return _cache_formula_values(out.getvalue(), cached)
