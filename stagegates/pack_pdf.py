"""The gate pack as a PDF (issue 19): one per gate, one per item. The one entry point for every
PDF of a pack (pages, API, the background task, and later the evidence pack):

- ``render_gate_pdf(gate, *, viewer) -> bytes``: a cover page (the gate, its agenda with each
  item's recommendation, CFO net value, open stop-loss flags, and the votes and decisions so far
  as ``viewer`` may see them), then one section per agenda item.
- ``render_item_pdf(item, *, viewer) -> bytes``: one item's section.

A section is what the pack page shows (``templates/stagegates/item.html``): the recommendation
with its reasons, the CFO figures month by month, the waterfall, the scenario comparison, the KPI
trends against the stop-loss thresholds with the model/prompt changes, the open flags, the scale
blockers and the checklist, and the votes, the outcome and the decision. The figures are the
pack's: ``selectors.item_pack`` / ``selectors.gate_agenda(detail=True)`` build them
(``gatepack.build_packs``), and a closed gate's come from the snapshot frozen at closing
(``snapshots.frozen_pack``); nothing is computed a second time. The votes are
``voting.votes_for`` / ``snapshots.frozen_votes`` for ``viewer``: blind voting holds in the PDF
(a Leadership member who has not voted on an item gets no votes of it while voting is open).
Callers check that ``viewer`` may see the gate or item (``permissions.get_*_for_user``); the agenda
is the items ``viewer`` may see (a contributor's PDF holds only their use cases).

Charts are SVG drawn here on the server (``pack_charts``). WeasyPrint lays the HTML out with the
installed fonts (DejaVu) and fetches nothing but our own static files (``StaticOnlyFetcher``:
the stylesheet; any other URL, local file or network, is refused).

Model/prompt change markers are the use case's logged changes inside the trend's weeks (one
query for the whole gate); for a pack frozen at closing, only the changes logged by then.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from usecases import clock
from usecases.models import ModelChange

from . import pack_charts, selectors
from . import permissions as perms
from .models import Gate, GateItem
from .pack_charts import ChangeMarker
from .selectors import AgendaLine

#: The origin the PDF's HTML is laid out under: only its static URLs are ever fetched.
PDF_ORIGIN = "https://pack-pdf.valuegate.invalid"
STYLESHEET = "css/pack_pdf.css"
KPI_LABELS = {metric: label for metric, label, _ in pack_charts.KPIS}


def background_above() -> int:
    """Gates with more agenda items than this (that the viewer sees) render in a Celery task
    (``VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS``, default 10: well inside gunicorn's 30 s timeout)."""
    return int(getattr(settings, "VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS", 10))


CHARTS_PATH = "/charts/"


class StaticOnlyFetcher(URLFetcher):
    """Serves our static files (``STATIC_URL`` under ``PDF_ORIGIN``) from disk and this PDF's
    charts (``CHARTS_PATH``, drawn in memory); refuses every other URL (the network, ``file:``,
    ``data:``), so a PDF never reaches out of the server."""

    def __init__(self, charts: dict[str, bytes] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.charts = charts or {}

    def fetch(self, url, headers=None):
        if url.startswith(PDF_ORIGIN + CHARTS_PATH) and url[len(PDF_ORIGIN) :] in self.charts:
            body = self.charts[url[len(PDF_ORIGIN) :]]
            return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})
        # The storage's base URL, not static(""): a manifest storage has no entry for "".
        prefix = PDF_ORIGIN + staticfiles_storage.base_url
        parts = urlsplit(url)
        if not url.startswith(prefix) or parts.query or ".." in parts.path:
            raise ValueError(f"Only our static files are fetched for a PDF, not {url}")
        name = parts.path[len(urlsplit(prefix).path) :]
        path = None
        if staticfiles_storage.exists(name):
            path = staticfiles_storage.path(name)
        else:
            path = finders.find(name)
        if not path:
            raise ValueError(f"No static file {name}")
        with open(path, "rb") as f:
            body = f.read()
        content_type = "text/css" if name.endswith(".css") else "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


@dataclass
class PdfSource:
    """A PDF's HTML and its charts. The charts are SVG files the HTML names as images (served by
    ``StaticOnlyFetcher`` from memory): WeasyPrint parses an SVG file with ElementTree, several
    times faster than the same markup inline in the HTML (a 40-item gate: 240 charts)."""

    html: str = ""
    charts: dict[str, bytes] = field(default_factory=dict)

    def chart(self, svg: str | None, alt: str = "") -> SafeString:
        if svg is None:
            return mark_safe("")
        path = f"{CHARTS_PATH}{len(self.charts) + 1}.svg"
        self.charts[path] = svg.encode()
        return format_html('<img src="{}" alt="{}">', path, alt)

    @property
    def text(self) -> str:
        """The HTML and every chart's SVG (what the PDF shows, for tests)."""
        return self.html + "".join(c.decode() for c in self.charts.values())


def html_to_pdf(html: str, charts: dict[str, bytes] | None = None) -> bytes:
    """Lay ``html`` out as a PDF (only our static files and ``charts`` fetched)."""
    fetcher = StaticOnlyFetcher(charts)
    return HTML(string=html, base_url=PDF_ORIGIN + "/", url_fetcher=fetcher).write_pdf()


# --- what the templates draw ----------------------------------------------------------------------


def change_markers(lines: list[AgendaLine]) -> dict[int, list[ChangeMarker]]:
    """``{use_case_id: [ChangeMarker]}``: the model/prompt changes of the lines' use cases (one
    query); a frozen line keeps only the changes logged before its snapshot was taken."""
    if not lines:
        return {}
    cutoff = {line.item.use_case_id: line.snapshot_taken_at for line in lines}
    found: dict[int, list[ChangeMarker]] = defaultdict(list)
    for uc_id, label, effective, created in (
        ModelChange.objects.filter(use_case_id__in=list(cutoff))
        .order_by("effective_date", "pk")
        .values_list("use_case_id", "version_label", "effective_date", "created_at")
    ):
        taken = cutoff[uc_id]
        if taken is None or created <= taken:
            found[uc_id].append(ChangeMarker(effective, label))
    return found


def _section(
    source: PdfSource, line: AgendaLine, markers: list[ChangeMarker], number: int | None = None
) -> dict:
    pack = line.pack
    name = line.item.use_case.name
    return {
        "line": line,
        "item": line.item,
        "uc": line.item.use_case,
        "pack": pack,
        "votes": line.votes,
        "number": number,
        "waterfall_svg": source.chart(
            pack_charts.waterfall_chart(pack.waterfall), f"Value-leakage waterfall of {name}"
        ),
        "kpi_svgs": [
            source.chart(svg, f"{name}: a KPI per week against the stop-loss thresholds")
            for svg in pack_charts.kpi_charts(pack, markers)
        ],
        "markers": [
            m
            for m in markers
            if pack.trend
            and min(w.week_start for w in pack.trend)
            <= m.effective_date
            <= max(w.week_start for w in pack.trend) + datetime.timedelta(days=6)
        ],
        "breach_weeks": [
            (w.week, ", ".join(KPI_LABELS.get(b, b).lower() for b in w.breaches))
            for w in sorted(pack.trend, key=lambda w: w.week_start)
            if w.breaches
        ],
    }


def _common(viewer) -> dict:
    return {
        "viewer": viewer,
        "viewer_name": viewer.get_full_name() or viewer.username,
        "viewer_can_vote": perms.can_vote(viewer),
        "generated_at": clock.now(),
        "currency": settings.VALUEGATE_CURRENCY,
        "stylesheet": static(STYLESHEET),
    }


# --- the entry points -----------------------------------------------------------------------------


def gate_pdf_source(gate: Gate, *, viewer, today: datetime.date | None = None) -> PdfSource:
    source = PdfSource()
    lines = selectors.gate_agenda(user=viewer, gate=gate, today=today, detail=True)
    markers = change_markers(lines)
    sections = [
        _section(source, line, markers.get(line.item.use_case_id, []), number=i)
        for i, line in enumerate(lines, start=1)
    ]
    context = {**_common(viewer), "gate": gate, "sections": sections}
    source.html = render_to_string("stagegates/pdf/gate.html", context)
    return source


def render_gate_pdf(gate: Gate, *, viewer, today: datetime.date | None = None) -> bytes:
    """The gate's pack as ``viewer`` may see it: cover page, then one section per item."""
    source = gate_pdf_source(gate, viewer=viewer, today=today)
    return html_to_pdf(source.html, source.charts)


def item_pdf_source(item: GateItem, *, viewer, today: datetime.date | None = None) -> PdfSource:
    source = PdfSource()
    line = selectors.item_pack(user=viewer, item=item, today=today)
    markers = change_markers([line]).get(line.item.use_case_id, [])
    section = _section(source, line, markers)
    context = {**_common(viewer), "gate": line.item.gate, "section": section}
    source.html = render_to_string("stagegates/pdf/item.html", context)
    return source


def render_item_pdf(item: GateItem, *, viewer, today: datetime.date | None = None) -> bytes:
    """One agenda item's pack as ``viewer`` may see it."""
    source = item_pdf_source(item, viewer=viewer, today=today)
    return html_to_pdf(source.html, source.charts)


def gate_filename(gate: Gate) -> str:
    return f"gate-{gate.quarter}-pack.pdf"


def item_filename(item: GateItem) -> str:
    return f"gate-{item.gate.quarter}-item-{item.pk}-pack.pdf"
