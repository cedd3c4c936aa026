"""Weekly and monthly review pages: submit, correct, and the figures previewed as one types.

One set of views serves both kinds; what differs (model, forms, preview, service, defaults) is
the ``ReviewPages`` descriptor each URL passes as ``pages`` (``WEEKLY`` or ``MONTHLY``).

Every view starts with one access call: ``_use_case_for`` (outsiders 404, visible-but-not-allowed
403) or ``_review_for`` (fetch the review, then the same check on its use case). Validation is
the forms' (the model's rules); writes go through ``reviews.services``.

Without JavaScript the pages are plain forms: a "Preview figures" submit button (``preview``)
re-renders the page with the figures and saves nothing. With htmx the form posts itself to the
preview endpoint as one types, which renders only the ``figures`` partial of the page template.
Both show, once the values are valid, the consequences submitting would have
(``services.*_preview`` → ``reviews.consequences``), and mark the figures that cross a stop-loss
threshold. After a save that had consequences the page says so as a warning.
"""

import dataclasses
import datetime
import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from usecases import clock, economics
from usecases.models import UseCase
from usecases.permissions import can_submit_review, get_use_case_for_user
from usecases.selectors import business_case_of

from . import (
    cadence,
    conflicts,
    consequences,
    forms,
    previews,
    run_cost_drafts,
    services,
    telemetry_drafts,
)
from .models import MonthlyReview, WeeklyReview


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


# --- the two kinds ----------------------------------------------------------------------------


def _period_to_submit(kind: str) -> Callable[[UseCase, datetime.date], str]:
    """The period a new review form opens on (``cadence.period_to_submit``)."""

    def default(use_case: UseCase, today: datetime.date) -> str:
        return cadence.period_to_submit(kind, use_case_id=use_case.pk, today=today).label

    return default


def _weekly_initial(use_case: UseCase, week: str) -> dict:
    return {
        "week": week,
        "target_users": use_case.target_users,
        "model_version": services.model_version_in_effect(use_case, week),
    }


def _draft_of(pages, use_case: UseCase, period: str):
    """The telemetry draft of a weekly review (None: a monthly one, or no such week)."""
    if pages.name != "weekly":
        return None
    try:
        economics.parse_iso_week(period)
    except ValueError:
        return None
    return telemetry_drafts.weekly_draft(use_case, period)


def _run_cost_of(pages, use_case: UseCase, period: str):
    """The run cost measured from priced tokens of a monthly review (None: a weekly one, or no
    such month)."""
    if pages.name != "monthly":
        return None
    try:
        economics.parse_month(period)
    except ValueError:
        return None
    return run_cost_drafts.monthly_run_cost(use_case, period)


@dataclasses.dataclass(frozen=True)
class ReviewPages:
    """What the weekly and the monthly pages differ in."""

    name: str  # "weekly" or "monthly": the URL names are reviews:<name>_new, _edit, ...
    model: type
    form: type
    correction_form: type
    preview: Callable  # (form, *, business_case, today) -> the figures panel
    submit: Callable  # services.<name>_review_submit(*, user, use_case, <period>, data)
    foresee: Callable  # services.<name>_review_preview(*, user, use_case, <period>, data)
    correct: Callable  # services.<name>_review_correct(*, user, review, data, expected_version)
    default_period: Callable[[UseCase, datetime.date], str]  # the form's period when none is asked
    initial: Callable[[UseCase, str], dict]

    @property
    def period_field(self) -> str:
        return self.model.period_field

    @property
    def template(self) -> str:
        return f"reviews/{self.name}_form.html"

    def title(self, review) -> str:
        """``Weekly review 2026-W47``."""
        return f"{self.model._meta.verbose_name.capitalize()} {getattr(review, self.period_field)}"


WEEKLY = ReviewPages(
    name="weekly",
    model=WeeklyReview,
    form=forms.WeeklyReviewForm,
    correction_form=forms.WeeklyCorrectionForm,
    preview=previews.weekly_preview,
    submit=services.weekly_review_submit,
    foresee=services.weekly_review_preview,
    correct=services.weekly_review_correct,
    default_period=_period_to_submit(cadence.WEEKLY),
    initial=_weekly_initial,
)
MONTHLY = ReviewPages(
    name="monthly",
    model=MonthlyReview,
    form=forms.MonthlyReviewForm,
    correction_form=forms.MonthlyCorrectionForm,
    preview=previews.monthly_preview,
    submit=services.monthly_review_submit,
    foresee=services.monthly_review_preview,
    correct=services.monthly_review_correct,
    default_period=_period_to_submit(cadence.MONTHLY),
    initial=lambda use_case, month: {"month": month},
)


# --- views ------------------------------------------------------------------------------------


def _foreseen(pages: ReviewPages, form, *, user, review=None) -> list | None:
    """What submitting the form would trigger (None: its values are not valid yet)."""
    if user is None or not form.is_bound or not form.is_valid():
        return None
    try:
        if review is None:
            period = {pages.period_field: form.cleaned_data[pages.period_field]}
            _, found = pages.foresee(
                user=user, use_case=form.use_case, data=form.service_data(), **period
            )
        else:
            _, found = services.correction_preview(
                user=user, review=review, data=form.service_data()
            )
    except ValidationError:
        return None
    return found


def _context(
    pages: ReviewPages, form, *, review=None, conflict=None, checks=False, user=None
) -> dict:
    use_case = form.use_case
    preview_url = (
        reverse(f"reviews:{pages.name}_edit_preview", args=[review.pk])
        if review
        else reverse(f"reviews:{pages.name}_preview", args=[use_case.pk])
    )
    found = _foreseen(pages, form, user=user, review=review)
    marks = consequences.figure_marks(found or [])
    preview = pages.preview(form, business_case=business_case_of(use_case), today=clock.today())
    if marks and hasattr(preview, "figures") and isinstance(preview.figures, list):
        preview = dataclasses.replace(
            preview,
            figures=[dataclasses.replace(f, mark=marks.get(f.key, "")) for f in preview.figures],
        )
    return {
        "consequences": found,
        "good_news": consequences.good_news(found or []),
        "marks": marks,
        "use_case": use_case,
        "form": form,
        "review": review,
        "conflict": conflict,
        "preview_url": preview_url,
        "show_checks": checks,
        "preview": preview,
    }


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request, use_case_pk, *, pages: ReviewPages):
    use_case = _use_case_for(request.user, use_case_pk)
    if request.method == "GET":
        period = request.GET.get(pages.period_field) or pages.default_period(
            use_case, clock.today()
        )
        draft = _draft_of(pages, use_case, period)
        initial = pages.initial(use_case, period)
        if draft and draft.values:
            initial.update(draft.values, from_draft=True)
        run_cost = _run_cost_of(pages, use_case, period)
        if run_cost and run_cost.value is not None:
            initial["run_cost"] = run_cost.value
        form = pages.form(use_case=use_case, initial=initial)
        forms.mark_measured(form, draft)
        forms.mark_run_cost(form, run_cost)
        return render(request, pages.template, _context(pages, form))

    form = pages.form(request.POST, use_case=use_case)
    if request.POST.get("from_draft") in ("True", "true", "on", "1"):
        forms.mark_measured(form, _draft_of(pages, use_case, request.POST.get("week", "")))
    forms.mark_run_cost(form, _run_cost_of(pages, use_case, request.POST.get("month", "")))
    if not _is_preview(request) and form.is_valid():
        try:
            review = pages.submit(
                user=request.user,
                use_case=use_case,
                data=form.service_data(),
                **{pages.period_field: form.cleaned_data[pages.period_field]},
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            _tell_saved(request, pages.title(review), "saved", review.outcome, use_case)
            return redirect(use_case)
    return render(request, pages.template, _context(pages, form, user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, pk, *, pages: ReviewPages):
    review = _review_for(request.user, pages.model, pk)
    use_case = review.use_case
    if request.method == "GET":
        form = pages.correction_form(instance=review, use_case=use_case)
        return render(request, pages.template, _context(pages, form, review=review))

    form = pages.correction_form(request.POST, instance=review, use_case=use_case)
    if not _is_preview(request) and form.is_valid():
        try:
            corrected = pages.correct(
                user=request.user,
                review=review,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersionError as exc:
            return _conflict(request, pages, form, exc.current)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            _tell_saved(request, pages.title(review), "corrected", corrected.outcome, use_case)
            return redirect(use_case)
    context = _context(pages, form, review=review, user=request.user)
    return render(request, pages.template, context)


def _tell_saved(request, title: str, done: str, outcome, use_case) -> None:
    """A success message, or a warning naming the consequences the save had."""
    found = consequences.of_outcome(outcome, use_case)
    if not found:
        messages.success(request, f"{title} {done}.")
        return
    lines = " ".join(c.message for c in found)
    messages.warning(request, f"{title} {done}, with consequences: {lines}")


def _conflict(request, pages: ReviewPages, form, current):
    """Someone corrected the review meanwhile: show the current data, overwrite nothing."""
    current.use_case = form.use_case
    conflict = conflicts.conflict_of(form, current, user=request.user)
    fresh = pages.correction_form(instance=current, use_case=form.use_case)
    context = _context(pages, fresh, review=current, conflict=conflict)
    return render(request, pages.template, context, status=409)


@_login_required_htmx
@require_POST
def review_preview(request, use_case_pk, *, pages: ReviewPages):
    use_case = _use_case_for(request.user, use_case_pk)
    form = pages.form(request.POST, use_case=use_case)
    context = _context(pages, form, checks=True, user=request.user)
    return render(request, f"{pages.template}#figures", context)


@_login_required_htmx
@require_POST
def review_edit_preview(request, pk, *, pages: ReviewPages):
    review = _review_for(request.user, pages.model, pk)
    form = pages.correction_form(request.POST, instance=review, use_case=review.use_case)
    context = _context(pages, form, review=review, checks=True, user=request.user)
    return render(request, f"{pages.template}#figures", context)
