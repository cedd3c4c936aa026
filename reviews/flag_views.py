"""Flags: the list (everyone, for the use cases they may see) and the PMO's resolve form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from usecases.permissions import can_resolve_flags

from .flag_forms import FlagPageFilter, FlagResolveForm
from .flags import flag_figures, flag_resolve, visible_flags
from .withdrawals import flag_resolve_and_restore, restore_offer, state_label

PAGE_SIZE = 50


@login_required
def flag_list(request):
    """Queries, whatever the number of flags and use cases: session, user, groups, the use case
    typed in the filter (when one is), the count and one page of flags (use case, owner, rule,
    resolver joined)."""
    filterset = FlagPageFilter(
        request.GET or None, queryset=visible_flags(request.user), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for flag in page.object_list:
        flag.observed_display, flag.threshold_display = flag_figures(flag)
    context = {
        "filter": filterset,
        "page": page,
        "flags": page.object_list,
        "can_resolve": can_resolve_flags(request.user),
    }
    template = "reviews/flags.html#flag_table" if request.htmx else "reviews/flags.html"
    return render(request, template, context)


@login_required
def flag_resolve_view(request, pk):
    """GET: the form; POST: resolve with a note — or, for a flag whose breach a correction
    withdrew, resolve and restore the stage it changed (``restore``: one action). 404 for a flag
    the user may not see, 403 for anyone but the PMO."""
    flag = get_object_or_404(visible_flags(request.user), pk=pk)
    if not can_resolve_flags(request.user):
        raise PermissionDenied("Only the PMO resolves flags.")
    initial = {"note": flag.withdrawal_note} if flag.withdrawn_by_correction else None
    form = FlagResolveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        note, restore = form.cleaned_data["note"], form.cleaned_data["restore"]
        try:
            if restore:
                flag_resolve_and_restore(user=request.user, flag=flag, note=note)
            else:
                flag_resolve(user=request.user, flag=flag, note=note)
        except ValidationError as exc:
            at_restore = getattr(exc, "error_dict", {}).get("restore")
            form.add_error(None, ValidationError(at_restore) if at_restore else exc)
        else:
            if restore:
                flag.use_case.refresh_from_db()
                messages.success(
                    request,
                    f"Flag resolved: {flag}. {flag.use_case.name} is back in "
                    f"{state_label(flag.use_case.stage, flag.use_case.funding_status)}.",
                )
            else:
                messages.success(request, f"Flag resolved: {flag}.")
            return redirect(f"{reverse('reviews:flags')}?use_case={flag.use_case_id}")
    flag.observed_display, flag.threshold_display = flag_figures(flag)
    context = {"flag": flag, "form": form, "restore": restore_offer(flag)}
    return render(request, "reviews/flags_resolve.html", context)
