"""Portfolio-wide pages: My work (the landing page), the portfolio dashboard, the CFO report and
its CSV/XLSX exports, and the health check.

Views stay thin: the reads live in ``mywork``, ``dashboard`` and ``cfo``; the files are written by
``exports``, the tables' rows by ``dashboard_rows`` and ``cfo_rows``. The dashboard and the CFO
report are for everyone who may see at least one use case (a contributor sees only theirs);
anyone else logged in gets 403, anonymous users go to login.
"""

from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaulttags import querystring
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from usecases import clock, economics
from usecases.permissions import visible_use_cases

from . import (
    cfo,
    cfo_rows,
    cfo_subscriptions,
    dashboard,
    dashboard_rows,
    evidence_jobs,
    exports,
    mywork,
)
from .filters import SORT_CHOICES, DashboardFilter, choices_for

#: Query parameters of the filter form (kept by the range form, and the other way round).
FILTER_PARAMS = ("business_unit", "stage", "funding", "owner", "flags", "sort")
RANGE_PARAMS = ("start", "end")
PRESET_MONTHS = (3, 6, 12)


@login_required
@require_GET
def home(request):
    """My work: the landing page after login."""
    today = clock.today()
    work = mywork.my_work(request.user, today=today)
    return render(
        request,
        "portfolio/home.html",
        {
            "work": work,
            "today": today,
            "reads_portfolio": dashboard.reads_portfolio(request.user),
        },
    )


def _require_portfolio_reader(user) -> None:
    if not dashboard.reads_portfolio(user):
        raise PermissionDenied(
            "You are not named on any use case yet: ask the PMO to add you to one."
        )


def _presets(today) -> list[dict]:
    """Quick ranges: the last 3, 6 and 12 complete months."""
    end = dashboard.default_range(today).end
    presets = []
    for n in PRESET_MONTHS:
        start = economics.add_months(end, -(n - 1))
        presets.append({"label": f"Last {n} months", "range": dashboard.MonthRange(start, end)})
    return presets


#: The table's columns: (sort key, header, numeric).
TABLE_COLUMNS = (
    ("name", "Use case", False),
    ("business_unit", "Business unit", False),
    ("stage", "Stage", False),
    ("funding", "Funding", False),
    ("owner", "Value owner", False),
    ("adoption", "Adoption", True),
    ("rework", "Rework", True),
    ("net_value", "Net value", True),
    ("flags", "Open flags", True),
)


def _headers(request, current: str) -> list[dict]:
    """Per column: the sort a click on its header asks for (``href``: the dashboard's URL with
    the request's query, that sort and no page, as ``{% querystring %}`` writes it), and its
    aria-sort state."""
    dashboard_url = reverse("portfolio:dashboard")
    tag_context = SimpleNamespace(request=request)
    headers = []
    for key, label, numeric in TABLE_COLUMNS:
        state = None
        if current == key:
            state = "ascending"
        elif current == f"-{key}":
            state = "descending"
        next_sort = f"-{key}" if state == "ascending" else key
        headers.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "next": next_sort,
                "state": state,
                "href": dashboard_url + querystring(tag_context, sort=next_sort, page=None),
            }
        )
    return headers


@login_required
@require_GET
def portfolio_dashboard(request):
    """The filterable, sortable use case table, stage counts, the CFO figures, the leakage
    waterfall and open flags. An htmx request (the filter form, a column header) gets only the
    table fragment."""
    user = request.user
    _require_portfolio_reader(user)
    today = clock.today()
    month_range, range_errors = dashboard.month_range_from_params(request.GET, today=today)
    visible = visible_use_cases(user)
    filterset = DashboardFilter(
        request.GET or None,
        queryset=dashboard.table_queryset(user),
        choices=choices_for(visible),
        owners_among=visible,
        request=request,
    )
    partial = bool(request.htmx) and not request.htmx.boosted
    filtered = filterset.is_filtered
    table_ids = filterset.qs.order_by().values("pk") if filtered else None
    counts, table_count = (
        (None, None) if partial else dashboard.stage_counts(user, table_ids=table_ids)
    )
    sort = filterset.sort_key
    table = dashboard.table_page(
        filterset.qs,
        month_range=month_range,
        sort=sort,
        page_number=request.GET.get("page"),
        count=table_count,
    )
    figures = dashboard.table_figures(
        user=user,
        month_range=month_range,
        page_ids=[uc.pk for uc in table.use_cases],
        table_ids=table_ids,
        portfolio=not partial,
    )
    table = table.with_figures(figures.rows)
    summary = (
        None
        if partial
        else dashboard.portfolio_summary(
            user=user, month_range=month_range, stage_counts=counts, figures=figures
        )
    )
    table_total = figures.total if figures.total is not None else dashboard.CfoFigures()
    context = {
        "filter": filterset,
        "table": table,
        "rows": table.rows,
        "row_html": dashboard_rows.rows_html(
            table.rows,
            no_data_title=f"No reviews in {month_range.label}",
            flags_url=reverse("reviews:flags"),
        ),
        "table_total": table_total,
        "sort": sort,
        "sort_choices": SORT_CHOICES,
        "headers": _headers(request, sort),
        "month_range": month_range,
        "range_errors": range_errors,
        "summary": summary,
        "presets": _presets(today),
        "filter_carry": [(k, request.GET[k]) for k in FILTER_PARAMS if request.GET.get(k)],
        "range_carry": [(k, request.GET[k]) for k in RANGE_PARAMS if request.GET.get(k)],
        "oob": partial,
        "may_download_evidence": evidence_jobs.may_download_portfolio(user),
    }
    template = "portfolio/dashboard.html#table" if partial else "portfolio/dashboard.html"
    return render(request, template, context)


def _report_for(request):
    user = request.user
    _require_portfolio_reader(user)
    month_range, errors = dashboard.month_range_from_params(request.GET, today=clock.today())
    return month_range, errors


def _page_links(request, page, param: str) -> dict[str, str]:
    """The query strings of ``page``'s neighbours: the request's with ``param`` changed."""
    links = {}
    for name, has, number in (
        ("previous", page and page.has_previous(), "previous_page_number"),
        ("next", page and page.has_next(), "next_page_number"),
    ):
        if has:
            query = request.GET.copy()
            query[param] = getattr(page, number)()
            links[name] = f"?{query.urlencode()}"
    return links


@login_required
@require_GET
def cfo_report(request):
    month_range, range_errors = _report_for(request)
    report = cfo.cfo_report(
        user=request.user,
        month_range=month_range,
        paginate=True,
        page=request.GET.get("page"),
        ninety_page=request.GET.get("ninety_page"),
    )
    return render(
        request,
        "portfolio/cfo_report.html",
        {
            "report": report,
            "use_case_rows": [cfo_rows.use_case_row(line) for line in report.by_use_case],
            "ninety_rows": cfo_rows.ninety_rows(report.ninety_days),
            "month_range": month_range,
            "range_errors": range_errors,
            "presets": _presets(clock.today()),
            "tables": exports.TABLES,
            "may_subscribe": cfo_subscriptions.may_subscribe(request.user),
            "subscribed": cfo_subscriptions.is_subscribed(request.user),
            "pagers": {
                "page": _page_links(request, report.use_case_page, "page"),
                "ninety_page": _page_links(request, report.ninety_page, "ninety_page"),
            },
        },
    )


@login_required
@require_GET
def cfo_export(request):
    """``?format=csv&table=use_case|business_unit|month|ninety_days`` or ``?format=xlsx`` (every
    table, one sheet each), for the range given by ``start`` and ``end``."""
    month_range, range_errors = _report_for(request)
    if range_errors:
        messages = "; ".join(m for ms in range_errors.values() for m in ms)
        return HttpResponseBadRequest(messages, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format") or "csv"
    table = request.GET.get("table") or exports.DEFAULT_TABLE
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest(
            "Choose format=csv or format=xlsx.", content_type="text/plain; charset=utf-8"
        )
    if fmt == "csv" and table not in exports.TABLES:
        return HttpResponseBadRequest(
            f"Choose table={'|'.join(exports.TABLES)}.", content_type="text/plain; charset=utf-8"
        )
    report = cfo.cfo_report(
        user=request.user,
        month_range=month_range,
        ninety_days=fmt == "xlsx" or table == "ninety_days",  # a CSV is one table
    )
    if fmt == "csv":
        response = HttpResponse(content_type=exports.CSV_CONTENT_TYPE)
        name = exports.filename(report, "csv", table)
        exports.write_csv(report, table, response)
    else:
        response = HttpResponse(exports.xlsx_bytes(report), content_type=exports.XLSX_CONTENT_TYPE)
        name = exports.filename(report, "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def cfo_subscription(request):
    """Subscribe (``subscribed=on``) or unsubscribe (``off``) to the monthly CFO report e-mail:
    Leadership and the PMO only (anyone else: 403)."""
    if not cfo_subscriptions.may_subscribe(request.user):
        raise PermissionDenied("Only Leadership and the PMO can subscribe to the CFO report.")
    choice = request.POST.get("subscribed")
    if choice not in ("on", "off"):
        return HttpResponseBadRequest(
            "Choose subscribed=on or subscribed=off.", content_type="text/plain; charset=utf-8"
        )
    cfo_subscriptions.set_subscription(user=request.user, subscribed=choice == "on")
    return redirect("portfolio:cfo_report")


@require_GET
def healthz(request):
    """Liveness for load balancers and compose: 200 when the database answers. While it does
    not, the query raises and ``portfolio.db_unavailable`` answers 503 with ``Retry-After``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
