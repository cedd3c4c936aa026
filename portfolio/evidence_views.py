"""The evidence pack pages (issue 19): a use case's ZIP (whoever may see the use case; 404 for
anyone else, as the use case page), and the portfolio's for the PMO (403 for anyone else): its
page, the ZIP, and for a large portfolio the request to prepare it in the background and its
status (an htmx fragment polled while pending; ``portfolio.evidence_jobs``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from usecases.permissions import get_use_case_for_user

from . import evidence_controls, evidence_jobs, evidence_pack
from .evidence_responses import stored_pack_response, zip_file_response


@require_GET
@login_required
def use_case_evidence_pack(request, pk):
    use_case = get_use_case_for_user(request.user, pk)
    zipped, _summary = evidence_pack.build(
        use_cases=[use_case], viewer=request.user, scope="use_case"
    )
    return zip_file_response(zipped, evidence_pack.use_case_filename(use_case))


def _require_pmo(user) -> None:
    if not evidence_jobs.may_download_portfolio(user):
        raise PermissionDenied("The portfolio's evidence pack is for the PMO.")


def status_context(user) -> dict:
    use_cases, pdfs = evidence_jobs.portfolio_size(user)
    background = evidence_jobs.runs_in_background(user, (use_cases, pdfs))
    return {
        "use_case_count": use_cases,
        "pdf_count": pdfs,
        "background": background,
        "job": evidence_jobs.current_pack(user) if background else None,
    }


@require_GET
@login_required
def portfolio_evidence(request):
    _require_pmo(request.user)
    context = {**status_context(request.user), "controls": evidence_controls.load().controls}
    return render(request, "portfolio/evidence.html", context)


@require_GET
@login_required
def portfolio_evidence_status(request):
    _require_pmo(request.user)
    return render(request, "portfolio/_evidence_pack.html", status_context(request.user))


@require_GET
@login_required
def portfolio_evidence_pack(request):
    user = request.user
    _require_pmo(user)
    if not evidence_jobs.runs_in_background(user):
        zipped, _summary = evidence_pack.build(
            use_cases=evidence_jobs.portfolio_use_cases(user), viewer=user, scope="portfolio"
        )
        return zip_file_response(zipped, evidence_pack.portfolio_filename())
    ready = evidence_jobs.ready_pack(user)
    if ready is None:
        messages.info(request, "The portfolio is large: prepare its evidence pack first.")
        return redirect(reverse("portfolio:evidence") + "#evidence-pack")
    return stored_pack_response(ready)


@require_POST
@login_required
def portfolio_evidence_prepare(request):
    user = request.user
    _require_pmo(user)
    if not evidence_jobs.runs_in_background(user):
        return redirect("portfolio:evidence_pack")  # small: built on the spot
    evidence_jobs.request_pack(user)
    if request.htmx:
        return render(request, "portfolio/_evidence_pack.html", status_context(user))
    messages.success(
        request, "The evidence pack is being prepared; it is offered below when ready."
    )
    return redirect(reverse("portfolio:evidence") + "#evidence-pack")
