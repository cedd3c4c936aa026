"""CSV and XLSX downloads of the CFO report, built from the same ``CfoReport`` as the page.

- CSV: one table per file (``table=use_case|business_unit|month|ninety_days``), a header row of
  stable snake_case column names, money as plain numbers rounded to cents (``1234.50``, no
  thousands separator, no currency sign; the ``currency`` column names it), dates as ISO text.
- XLSX (openpyxl): one sheet per table plus an "About" sheet; numbers are numeric cells with a
  money number format naming the installation's currency, months and dates are date cells, the
  header row is bold and frozen, column widths fit their content, and each figures sheet ends with
  a bold total row.

User-entered text (use case names, business units) is neutralised against spreadsheet formula
injection in both formats.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from usecases import clock
from usecases.text import control_characters

from .cfo import CfoReport

CENT = Decimal("0.01")
FIGURE_COLUMNS = ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")
FIGURE_HEADERS = ("Gross efficiency", "Absorption cost", "Net value", "Translation gap")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_WIDTH = 48
MONEY, TEXT, INT, MONTH, DATE = "money", "text", "int", "month", "date"


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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


def _figures(figures) -> list:
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
            *_figures(line.figures),
        ]
        for line in report.by_use_case
    ]


def _unit_rows(report: CfoReport) -> list[list]:
    return [
        [line.business_unit, line.use_case_count, *_figures(line.figures)]
        for line in report.by_business_unit
    ]


def _month_rows(report: CfoReport) -> list[list]:
    return [[line.month, *_figures(line.figures)] for line in report.by_month]


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
        lambda r: ["", "Total", "", "", *_figures(r.total)],
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
        lambda r: ["Total", len(r.by_use_case), *_figures(r.total)],
    ),
    "month": Table(
        "month",
        "By month",
        [Column("month", "Month", MONTH), *_figure_columns()],
        _month_rows,
        lambda r: ["Total", *_figures(r.total)],
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


def _add_sheet(workbook: Workbook, table: Table, report: CfoReport, currency: str) -> None:
    sheet = workbook.create_sheet(table.title)
    sheet.append([c.title for c in table.columns])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    rows = table.rows(report)
    total_row = table.total(report) if table.total else None
    body = [*rows, total_row] if total_row is not None else rows
    widths = [len(c.title) for c in table.columns]
    number_formats = {
        i: money_format(currency) if c.kind == MONEY else FORMATS.get(c.kind)
        for i, c in enumerate(table.columns)
    }
    for r, row in enumerate(body, start=2):
        for i, (value, column) in enumerate(zip(row, table.columns, strict=True)):
            if column.kind == TEXT and isinstance(value, str):
                value = safe_text(value)
            if value == "":
                value = None
            cell = sheet.cell(row=r, column=i + 1, value=value)
            if number_formats[i] and value is not None and not isinstance(value, str):
                cell.number_format = number_formats[i]  # a total row's label stays text
            if total_row is not None and r == len(body) + 1:
                cell.font = bold
            widths[i] = max(widths[i], _display_width(value, column.kind, currency))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"


def xlsx_bytes(report: CfoReport) -> bytes:
    """The whole report as a workbook: one sheet per table, then "About"."""
    currency = settings.VALUEGATE_CURRENCY
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in TABLES.values():
        _add_sheet(workbook, table, report, currency)
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
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 20
    workbook.properties.title = f"CFO report {report.month_range.label}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
