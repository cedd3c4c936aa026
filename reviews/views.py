"""Weekly and monthly review pages: submit, correct, and the figures previewed as one types.

Every view starts with one access call: ``_use_case_for`` (outsiders 404, visible-but-not-allowed
403) or ``_review_for`` (fetch the review, then the same check on its use case). Validation is
the forms' (the model's rules); writes go through ``reviews.services``.

Without JavaScript the pages are plain forms: a "Preview figures" submit button (``preview``)
re-renders the page with the figures and saves nothing. With htmx the form posts itself to the
preview endpoint as one types, which renders only the ``figures`` partial of the page template.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from usecases import clock
from usecases.models import UseCase
from usecases.permissions import can_submit_review, get_use_case_for_user
from usecases.selectors import business_case_of

from . import forms, services
from .models import MonthlyReview, WeeklyReview

WEEKLY_TEMPLATE = "reviews/weekly_form.html"
MONTHLY_TEMPLATE = "reviews/monthly_form.html"


def _use_case_for(user, pk) -> UseCase:
    return get_use_case_for_user(
        user,
        pk,
        check=can_submit_review,
        queryset=UseCase.objects.select_related("business_case"),
    )


def _review_for(user, model, pk):
    review = get_object_or_404(model.objects.select_related("submitted_by", "updated_by"), pk=pk)
    review.use_case = _use_case_for(user, review.use_case_id)
    return review


def _login_required_htmx(view):
    """``login_required`` for the preview endpoints. An anonymous htmx request (the session
    expired while typing) is told to load the login page as a whole: a 302 would be followed by
    the XHR and the login form swapped into the figures panel."""
    protected = login_required(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and request.htmx:
            back = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return protected(request, *args, **kwargs)

    return wrapper


def _is_preview(request) -> bool:
    return "preview" in request.POST


# --- weekly -----------------------------------------------------------------------------------


def _weekly_context(form, *, review=None, conflict=None, checks=False) -> dict:
    use_case = form.use_case
    preview_url = (
        reverse("reviews:weekly_edit_preview", args=[review.pk])
        if review
        else reverse("reviews:weekly_preview", args=[use_case.pk])
    )
    return {
        "use_case": use_case,
        "form": form,
        "review": review,
        "conflict": conflict,
        "preview_url": preview_url,
        "show_checks": checks,
        "preview": forms.weekly_preview(
            form, business_case=business_case_of(use_case), today=clock.today()
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def weekly_new(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    if request.method == "GET":
        week = request.GET.get("week") or forms.last_complete_week(clock.today())
        initial = {
            "week": week,
            "target_users": use_case.target_users,
            "model_version": services.model_version_in_effect(use_case, week),
        }
        form = forms.WeeklyReviewForm(use_case=use_case, initial=initial)
        return render(request, WEEKLY_TEMPLATE, _weekly_context(form))

    form = forms.WeeklyReviewForm(request.POST, use_case=use_case)
    if not _is_preview(request) and form.is_valid():
        try:
            review = services.weekly_review_submit(
                user=request.user,
                use_case=use_case,
                week=form.cleaned_data["week"],
                data=form.service_data(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Weekly review {review.week} saved.")
            return redirect(use_case)
    return render(request, WEEKLY_TEMPLATE, _weekly_context(form))


@login_required
@require_http_methods(["GET", "POST"])
def weekly_edit(request, pk):
    review = _review_for(request.user, WeeklyReview, pk)
    use_case = review.use_case
    if request.method == "GET":
        form = forms.WeeklyCorrectionForm(instance=review, use_case=use_case)
        return render(request, WEEKLY_TEMPLATE, _weekly_context(form, review=review))

    form = forms.WeeklyCorrectionForm(request.POST, instance=review, use_case=use_case)
    if not _is_preview(request) and form.is_valid():
        try:
            services.weekly_review_correct(
                user=request.user,
                review=review,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersionError as exc:
            return _weekly_conflict(request, form, exc.current)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Weekly review {review.week} corrected.")
            return redirect(use_case)
    return render(request, WEEKLY_TEMPLATE, _weekly_context(form, review=review))


def _weekly_conflict(request, form, current):
    """Someone corrected the review meanwhile: show the current data, overwrite nothing."""
    current.use_case = form.use_case
    conflict = forms.conflict_of(form, current, user=request.user)
    fresh = forms.WeeklyCorrectionForm(instance=current, use_case=form.use_case)
    context = _weekly_context(fresh, review=current, conflict=conflict)
    return render(request, WEEKLY_TEMPLATE, context, status=409)


@_login_required_htmx
@require_POST
def weekly_preview(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    form = forms.WeeklyReviewForm(request.POST, use_case=use_case)
    return render(request, f"{WEEKLY_TEMPLATE}#figures", _weekly_context(form, checks=True))


@_login_required_htmx
@require_POST
def weekly_edit_preview(request, pk):
    review = _review_for(request.user, WeeklyReview, pk)
    form = forms.WeeklyCorrectionForm(request.POST, instance=review, use_case=review.use_case)
    context = _weekly_context(form, review=review, checks=True)
    return render(request, f"{WEEKLY_TEMPLATE}#figures", context)


# --- monthly ----------------------------------------------------------------------------------


def _monthly_form(cls, *args, use_case, **kwargs):
    return cls(*args, use_case=use_case, currency=settings.VALUEGATE_CURRENCY, **kwargs)


def _monthly_context(form, *, review=None, conflict=None, checks=False) -> dict:
    use_case = form.use_case
    preview_url = (
        reverse("reviews:monthly_edit_preview", args=[review.pk])
        if review
        else reverse("reviews:monthly_preview", args=[use_case.pk])
    )
    return {
        "use_case": use_case,
        "form": form,
        "review": review,
        "conflict": conflict,
        "preview_url": preview_url,
        "show_checks": checks,
        "preview": forms.monthly_preview(
            form, business_case=business_case_of(use_case), today=clock.today()
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def monthly_new(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    if request.method == "GET":
        month = request.GET.get("month") or forms.last_complete_month(clock.today())
        form = _monthly_form(forms.MonthlyReviewForm, use_case=use_case, initial={"month": month})
        return render(request, MONTHLY_TEMPLATE, _monthly_context(form))

    form = _monthly_form(forms.MonthlyReviewForm, request.POST, use_case=use_case)
    if not _is_preview(request) and form.is_valid():
        try:
            review = services.monthly_review_submit(
                user=request.user,
                use_case=use_case,
                month=form.cleaned_data["month"],
                data=form.service_data(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Monthly review {review.month} saved.")
            return redirect(use_case)
    return render(request, MONTHLY_TEMPLATE, _monthly_context(form))


@login_required
@require_http_methods(["GET", "POST"])
def monthly_edit(request, pk):
    review = _review_for(request.user, MonthlyReview, pk)
    use_case = review.use_case
    if request.method == "GET":
        form = _monthly_form(forms.MonthlyCorrectionForm, instance=review, use_case=use_case)
        return render(request, MONTHLY_TEMPLATE, _monthly_context(form, review=review))

    form = _monthly_form(
        forms.MonthlyCorrectionForm, request.POST, instance=review, use_case=use_case
    )
    if not _is_preview(request) and form.is_valid():
        try:
            services.monthly_review_correct(
                user=request.user,
                review=review,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersionError as exc:
            return _monthly_conflict(request, form, exc.current)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Monthly review {review.month} corrected.")
            return redirect(use_case)
    return render(request, MONTHLY_TEMPLATE, _monthly_context(form, review=review))


def _monthly_conflict(request, form, current):
    current.use_case = form.use_case
    conflict = forms.conflict_of(form, current, user=request.user)
    fresh = _monthly_form(forms.MonthlyCorrectionForm, instance=current, use_case=form.use_case)
    context = _monthly_context(fresh, review=current, conflict=conflict)
    return render(request, MONTHLY_TEMPLATE, context, status=409)


@_login_required_htmx
@require_POST
def monthly_preview(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    form = _monthly_form(forms.MonthlyReviewForm, request.POST, use_case=use_case)
    context = _monthly_context(form, checks=True)
    return render(request, f"{MONTHLY_TEMPLATE}#figures", context)


@_login_required_htmx
@require_POST
def monthly_edit_preview(request, pk):
    review = _review_for(request.user, MonthlyReview, pk)
    form = _monthly_form(
        forms.MonthlyCorrectionForm, request.POST, instance=review, use_case=review.use_case
    )
    context = _monthly_context(form, review=review, checks=True)
    return render(request, f"{MONTHLY_TEMPLATE}#figures", context)
