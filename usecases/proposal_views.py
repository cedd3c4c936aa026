"""Confirm or dismiss a change-log entry proposed from telemetry (the value owner and the PMO;
others who see the use case get 403, who do not 404). The use case page's changes section lists
the open proposals with both buttons (``portfolio/_uc_changes.html``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import change_proposals
from .forms import ProposalConfirmForm
from .models import ProposalStatus, ProposedChange
from .permissions import can_decide_proposed_change, get_use_case_for_user


def _proposal(user, pk) -> ProposedChange:
    proposal = ProposedChange.objects.filter(pk=pk).first()
    if proposal is None:
        raise Http404
    proposal.use_case = get_use_case_for_user(
        user, proposal.use_case_id, check=can_decide_proposed_change
    )
    return proposal


def _back(proposal) -> str:
    return f"{proposal.use_case.get_absolute_url()}#changes"


@login_required
@require_http_methods(["GET", "POST"])
def proposal_confirm(request, pk):
    proposal = _proposal(request.user, pk)
    if proposal.status != ProposalStatus.PROPOSED:
        messages.info(
            request, f"This proposal was already {proposal.get_status_display().lower()}."
        )
        return redirect(_back(proposal))
    if request.method == "POST":
        form = ProposalConfirmForm(request.POST)
    else:
        form = ProposalConfirmForm(initial=change_proposals.proposal_defaults(proposal))
    if request.method == "POST" and form.is_valid():
        try:
            change = change_proposals.proposal_confirm(
                user=request.user, proposal=proposal, data=form.cleaned_data
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, f"Change “{change.version_label}” added to the change log.")
            return redirect(_back(proposal))
    return render(
        request,
        "usecases/proposal_confirm.html",
        {"form": form, "proposal": proposal, "use_case": proposal.use_case},
    )


@login_required
@require_POST
def proposal_dismiss(request, pk):
    proposal = _proposal(request.user, pk)
    try:
        change_proposals.proposal_dismiss(user=request.user, proposal=proposal)
    except ValidationError as e:
        messages.info(request, " ".join(e.messages))
    else:
        messages.success(request, f"Proposal dismissed: {proposal.what_changed}.")
    return redirect(_back(proposal))
