"""Use case pages: portfolio list and the PMO / value-owner edit pages.

The use case page itself (URL ``usecases:detail``) is composed in the portfolio layer
(``portfolio.use_case_page``) because it shows reviews, flags and gates, which ``usecases`` may
not import: ``use_case_page`` hands the request to the view the setting
``VALUEGATE_USE_CASE_PAGE`` names. Its use-case part is ``selectors.use_case_page_context``.

Every view starts with one access call from ``permissions`` (404 to who may not see the use
case, 403 to who may see but not change it) and hands writes to ``services``.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .forms import BusinessCaseForm, ChecklistForm, ModelChangeForm, UseCaseForm
from .models import BusinessCase, ChecklistAnswer, UseCase
from .owner_search import owner_options
from .permissions import (
    can_create_use_case,
    can_edit_business_case,
    can_edit_checklist,
    can_edit_use_case,
    can_log_model_change,
    get_use_case_for_user,
    visible_use_cases,
)
from .person_search import person_options
from .selectors import active_users
from .use_case_search import use_case_options

VERSIONS_PER_PAGE = 50
#: Use cases per page of the portfolio list, by name. Unpaged, the list of 20,000 use cases was a
#: 6.5 MB page that took about 2 s to build (make bench BENCH_SIZE=xl's database).
USE_CASES_PER_PAGE = 100


@functools.cache
def _use_case_page_view():
    return import_string(settings.VALUEGATE_USE_CASE_PAGE)


def use_case_page(request, pk):
    """The use case page (``usecases:detail``): the view named by ``VALUEGATE_USE_CASE_PAGE``,
    imported on first use, so that this app links to its own URL without importing the layer
    that composes the page."""
    return _use_case_page_view()(request, pk=pk)


def _posted(request):
    return request.POST if request.method == "POST" else None


@login_required
@require_GET
def use_case_list(request):
    page = Paginator(selectors.use_case_list(user=request.user), USE_CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "usecases/list.html",
        {
            "page_obj": page,
            "use_cases": page.object_list,
            "can_create": can_create_use_case(request.user),
        },
    )


@login_required
@require_GET
def use_case_options_view(request):
    """The use case search (``use_case_search``): ``<option>``s for its ``<datalist>``, the use
    cases the user may see whose name contains ``?use_case=``."""
    options = use_case_options(visible_use_cases(request.user), request.GET.get("use_case", ""))
    return render(request, "usecases/_datalist_options.html", {"options": options})


@login_required
@require_GET
def owner_options_view(request):
    """The value-owner search (``owner_search``): ``<option>``s for its ``<datalist>``, the owners
    of use cases the user may see whose name contains ``?owner=``."""
    options = owner_options(visible_use_cases(request.user), request.GET.get("owner", ""))
    return render(request, "usecases/_datalist_options.html", {"options": options})


@login_required
@require_GET
def people_options_view(request):
    """The use case form's people search (``person_search``), for who may use the form (the
    PMO): ``<option>``s for its ``<datalist>``, active people whose name contains the last name
    of ``?value_owner=`` or ``?contributors=`` (the field sends its own value)."""
    if not can_create_use_case(request.user):
        raise PermissionDenied("Only the PMO names a use case's people.")
    text = request.GET.get("contributors") or request.GET.get("value_owner") or ""
    options = person_options(active_users(), text)
    return render(request, "usecases/_datalist_options.html", {"options": options})


@login_required
@require_http_methods(["GET", "POST"])
def use_case_create(request):
    if not can_create_use_case(request.user):
        raise PermissionDenied("Only the PMO creates use cases.")
    form = UseCaseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            use_case = services.use_case_create(user=request.user, data=form.cleaned_data)
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, f"Use case “{use_case.name}” created.")
            return redirect(use_case)
    return render(request, "usecases/use_case_form.html", {"form": form, "use_case": None})


@login_required
@require_http_methods(["GET", "POST"])
def use_case_edit(request, pk):
    use_case = get_use_case_for_user(
        request.user,
        pk,
        check=can_edit_use_case,
        queryset=UseCase.objects.prefetch_related("contributors"),
    )
    stored_name = use_case.name  # the form writes its input onto the instance
    stored_stage, stored_funding = use_case.stage, use_case.funding_status
    form = UseCaseForm(_posted(request), instance=use_case)
    if request.method == "POST" and form.is_valid():
        try:
            use_case = services.use_case_update(
                user=request.user,
                use_case=use_case,
                data=form.cleaned_data,
                reason=form.cleaned_data["change_reason"],
                via="web form",
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, f"Use case “{use_case.name}” saved.")
            return redirect(use_case)
    return render(
        request,
        "usecases/use_case_form.html",
        {
            "form": form,
            "use_case": use_case,
            "use_case_name": stored_name,
            # What the stored stage and funding are: the page asks for a reason once either
            # differs (the form writes its input onto ``use_case``).
            "stored_stage": stored_stage,
            "stored_funding": stored_funding,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def business_case_edit(request, pk):
    use_case = get_use_case_for_user(request.user, pk, check=can_edit_business_case)
    form = BusinessCaseForm(_posted(request), instance=selectors.business_case_of(use_case))
    if request.method == "POST" and form.is_valid():
        try:
            services.business_case_update(
                user=request.user, use_case=use_case, data=form.cleaned_data
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, "Business case saved as a new version.")
            return redirect(f"{use_case.get_absolute_url()}#business-case")
    return render(request, "usecases/business_case_form.html", {"form": form, "use_case": use_case})


@login_required
@require_GET
def business_case_history(request, pk):
    """Every saved version of the business case, newest first, 50 per page."""
    use_case = get_use_case_for_user(
        request.user, pk, queryset=UseCase.objects.select_related("business_case")
    )
    business_case = selectors.saved_business_case(use_case)
    versions = selectors.business_case_versions(business_case=business_case)
    page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "usecases/business_case_history.html",
        {
            "use_case": use_case,
            "page": page,
            "current_version_id": versions.values_list("history_id", flat=True).first(),
        },
    )


@login_required
@require_GET
def business_case_version(request, pk, history_id):
    """One saved version of the business case, with what changed from the one before."""
    use_case = get_use_case_for_user(request.user, pk)
    record = (
        BusinessCase.history.filter(use_case_id=use_case.pk, history_id=history_id)
        .select_related("history_user")
        .first()
    )
    if record is None:
        raise Http404("No such version of this business case.")
    same = BusinessCase.history.filter(id=record.id).select_related("history_user")
    when, hid = record.history_date, record.history_id
    prev = (
        same.filter(Q(history_date__lt=when) | Q(history_date=when, history_id__lt=hid))
        .order_by("-history_date", "-history_id")
        .first()
    )
    newer = (
        same.filter(Q(history_date__gt=when) | Q(history_date=when, history_id__gt=hid))
        .order_by("history_date", "history_id")
        .first()
    )
    return render(
        request,
        "usecases/business_case_version.html",
        {
            "use_case": use_case,
            "record": record,
            "rows": selectors.business_case_rows(record),
            "prev": prev,
            "newer": newer,
            "changes": selectors.business_case_diff(record, prev),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_change_create(request, pk):
    use_case = get_use_case_for_user(request.user, pk, check=can_log_model_change)
    form = ModelChangeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            change = services.model_change_create(
                user=request.user, use_case=use_case, data=form.cleaned_data
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, f"Change “{change.version_label}” logged.")
            return redirect(f"{use_case.get_absolute_url()}#changes")
    return render(
        request,
        "usecases/model_change_form.html",
        {
            "form": form,
            "use_case": use_case,
            "model_changes": selectors.model_changes_list(use_case=use_case),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request, pk):
    use_case = get_use_case_for_user(request.user, pk, check=can_edit_checklist)
    existing = {a.item: a for a in ChecklistAnswer.objects.filter(use_case=use_case)}
    form = ChecklistForm(_posted(request), existing=existing)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.checklist_update(
                user=request.user, use_case=use_case, answers=form.answers()
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(
                request,
                f"Checklist saved ({changed} item{'s' if changed != 1 else ''} changed).",
            )
            return redirect(f"{use_case.get_absolute_url()}#checklist")
    return render(request, "usecases/checklist_form.html", {"form": form, "use_case": use_case})
