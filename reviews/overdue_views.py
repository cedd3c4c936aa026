"""The PMO's overdue tracker: every missing review past its due date, filterable by value owner,
business unit and kind, with counts per owner (the ``OWNERS_SHOWN`` with the most, the rest in
one line) and a CSV export of the filtered view.

PMO (and admins) only: anyone else logged in gets 403, anonymous users go to the login page.
What is overdue is computed by ``reviews.cadence`` (one SQL statement for the whole portfolio), read
once for the page's rows and the owners' counts (``reviews.overdue_digest``); the page costs a
constant number of queries however many use cases and reviews there are.
"""

import csv
import dataclasses

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from usecases import clock
from usecases.owner_search import OwnerField
from usecases.permissions import can_see_overdue, visible_use_cases

from . import cadence
from .overdue_digest import OverdueWindow

PAGE_SIZE = 100
#: Value owners listed in "Per value owner" (most overdue first, ``cadence.owner_summary``); the
#: others are summed in one line. At 20,000 use cases 2,500 owners had an overdue review: a
#: table nobody reads, and most of the page's 0.5 MB. The owner filter and the CSV export still
#: reach every one of them.
OWNERS_SHOWN = 25
CSV_COLUMNS = (
    "use_case_id",
    "use_case",
    "business_unit",
    "kind",
    "period",
    "due_on",
    "days_overdue",
    "value_owner",
    "value_owner_name",
)


class OwnerForm(forms.Form):
    """The tracker's value owner: a search field (``usecases.owner_search``), typed as a
    username or a full name only one owner has, or "(none)"; the API takes the username."""

    owner = OwnerField(label="Value owner", required=False)

    def __init__(self, *args, use_cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].use_cases = use_cases


def _overdue_for(request):
    """(filter, errors, owner form, rows queryset) for a PMO's request; 403 for anyone else. An
    owner the search cannot resolve is reported at the field and left out of the filter."""
    if not can_see_overdue(request.user):
        raise PermissionDenied("The overdue tracker is for the PMO.")
    flt, errors = cadence.OverdueFilter.from_params(request.GET)
    owner_form = OwnerForm(request.GET, use_cases=visible_use_cases(request.user))
    owner = owner_form.cleaned_data["owner"] if owner_form.is_valid() else ""
    flt = dataclasses.replace(flt, owner=owner or "")
    errors.pop("owner", None)  # the form's message, at its field
    rows = cadence.overdue_reviews(today=clock.today(), **flt.as_kwargs())
    return flt, errors, owner_form, rows


@require_GET
@login_required
def overdue_list(request):
    flt, errors, owner_form, rows = _overdue_for(request)
    # One pass over the whole portfolio's missing reviews for the page's rows and every owner's
    # count, whose sum is the paginator's count (``overdue_digest``).
    window = OverdueWindow(rows, page=request.GET.get("page"), per_page=PAGE_SIZE)
    page = Paginator(window, PAGE_SIZE).get_page(request.GET.get("page"))
    owners = cadence.owner_summary(window.digest.owners, limit=OWNERS_SHOWN)
    context = {
        "filter": flt,
        "errors": errors,
        "owner_form": owner_form,
        "choices": cadence.filter_choices(),
        "page_obj": page,
        "items": [cadence.MissingReview.from_row(row) for row in page.object_list],
        "per_owner": owners.shown,
        "more_owners": owners.more_owners,
        "more_owners_overdue": owners.more_overdue,
        "today": clock.today(),
        "pmo_after": cadence.PMO_AFTER_DAYS_OVERDUE,
        "lookback_weeks": settings.VALUEGATE_CADENCE_LOOKBACK_WEEKS,
        "lookback_months": settings.VALUEGATE_CADENCE_LOOKBACK_MONTHS,
    }
    template = "reviews/overdue.html#results" if request.htmx else "reviews/overdue.html"
    return render(request, template, context)


@require_GET
@login_required
def overdue_csv(request):
    *_filters, rows = _overdue_for(request)
    today = clock.today()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="overdue-reviews-{today}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows.iterator():
        item = cadence.MissingReview.from_row(row)
        writer.writerow(
            [
                item.use_case_id,
                _cell(item.use_case_name),
                _cell(item.business_unit),
                item.kind,
                item.period,
                item.due_on.isoformat(),
                item.days_overdue,
                _cell(item.owner_username or ""),
                _cell(item.owner_name),
            ]
        )
    return response


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in user-entered text (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
