"""The one-page PDF summary of a month's CFO report (issue 19, sent with the XLSX each month):
the three CFO figures, the value-leakage waterfall, the use cases that moved stage in the month
and the open stop-loss flags, as ``viewer`` may see them.

The figures are the ``CfoReport``'s the XLSX is written from (``portfolio.cfo``), passed in:
nothing is computed twice. Laid out by the gate pack's WeasyPrint set-up
(``stagegates.pack_pdf.html_to_pdf``: only our static files and the in-memory charts are fetched)
with its server-drawn waterfall (``stagegates.pack_charts``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.template.loader import render_to_string
from django.templatetags.static import static

from reviews.flags import visible_flags
from reviews.models import FlagKind
from stagegates import pack_charts
from stagegates.pack_pdf import STYLESHEET, PdfSource, html_to_pdf
from usecases import clock, economics
from usecases.models import StageTransition
from usecases.permissions import of_visible_use_cases

from .cfo import CfoReport

#: At most this many stage moves and flags are listed, so the summary stays one page.
LISTED = 6


def stage_moves(viewer, month: datetime.date) -> list[StageTransition]:
    """The stage changes in ``month`` of the use cases ``viewer`` may see (funding-only changes
    are not stage moves)."""
    start = datetime.datetime.combine(month, datetime.time(), tzinfo=datetime.UTC)
    end = datetime.datetime.combine(
        economics.add_months(month, 1), datetime.time(), tzinfo=datetime.UTC
    )
    return list(
        of_visible_use_cases(viewer, StageTransition.objects.filter(at__gte=start, at__lt=end))
        .exclude(stage_before=F("stage_after"))
        .select_related("use_case")
        .order_by("at", "pk")
    )


def summary_source(report: CfoReport, *, viewer) -> PdfSource:
    month = report.month_range.start
    source = PdfSource()
    moves = stage_moves(viewer, month)
    flags = list(
        visible_flags(viewer).open().filter(kind=FlagKind.STOP_LOSS).order_by("-raised_at", "-pk")
    )
    context = {
        "report": report,
        "figures": report.total,
        "month_label": report.month_range.label,
        "waterfall": source.chart(
            pack_charts.waterfall_chart(report.total.waterfall()), "Value-leakage waterfall"
        ),
        "moves": moves[:LISTED],
        "moves_more": max(len(moves) - LISTED, 0),
        "flags": flags[:LISTED],
        "flags_more": max(len(flags) - LISTED, 0),
        "viewer_name": viewer.get_full_name() or viewer.username,
        "generated_at": clock.now(),
        "currency": settings.VALUEGATE_CURRENCY,
        "stylesheet": static(STYLESHEET),
    }
    source.html = render_to_string("portfolio/pdf/cfo_summary.html", context)
    return source


def render_summary_pdf(report: CfoReport, *, viewer) -> bytes:
    source = summary_source(report, viewer=viewer)
    return html_to_pdf(source.html, source.charts)


def filename(report: CfoReport) -> str:
    return f"cfo-summary-{report.month_range.start:%Y-%m}.pdf"
