"""Gate pages: list, new/edit (PMO), detail with the agenda, and the item pack with the vote and
decision forms. Views are thin: one access helper, one service or selector call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from usecases.form_errors import add_service_errors
from usecases.permissions import (
    can_edit_checklist,
    can_manage_gates,
    get_use_case_for_user,
    visible_use_cases,
)

from . import checklist, decisions, pdf_views, selectors, services, voting
from . import permissions as perms
from .forms import AddItemForm, DecisionForm, GateForm, VoteForm
from .recommendation import RULE_SUMMARY


def _flash_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def gate_list(request):
    return render(
        request,
        "stagegates/list.html",
        {
            "gates": selectors.gate_list(user=request.user),
            "can_create": can_manage_gates(request.user),
            "undecided_count": selectors.undecided_count(user=request.user),
        },
    )


@login_required
def gate_new(request):
    if not can_manage_gates(request.user):
        raise PermissionDenied("Only the PMO creates gates.")
    form = GateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                gate = services.gate_create(user=request.user, data=form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, f"Gate {gate.quarter} created; its agenda is filled.")
                return redirect(gate)
        status = 400
    return render(request, "stagegates/gate_form.html", {"form": form, "gate": None}, status=status)


@login_required
def gate_edit(request, pk):
    gate = perms.get_gate_for_user(request.user, pk, check=lambda u, g: can_manage_gates(u))
    initial = {"opens_on": gate.opens_on, "closes_on": gate.closes_on, "chair": gate.chair}
    form = GateForm(request.POST or None, initial=initial, edit=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.gate_update(user=request.user, gate=gate, data=form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, f"Gate {gate.quarter} updated.")
                return redirect(gate)
        status = 400
    return render(request, "stagegates/gate_form.html", {"form": form, "gate": gate}, status=status)


def _detail_context(request, gate, **extra):
    user = request.user
    manage = can_manage_gates(user)
    context = {
        "gate": gate,
        "lines": selectors.gate_agenda(user=user, gate=gate),
        "can_manage": manage,
        "can_close": perms.can_close(user, gate),
        "can_vote": perms.can_vote(user),
        "rule_summary": RULE_SUMMARY,
        "quorum_rule": voting.quorum_rule(),
        **pdf_views.status_context(gate, user),
    }
    if manage and gate.is_draft:
        context["removed"] = selectors.gate_items(user=user, gate=gate, removed=True)
        context["add_form"] = extra.pop("add_form", AddItemForm(use_cases=visible_use_cases(user)))
    context.update(extra)
    return context


@login_required
def gate_detail(request, pk):
    gate = perms.get_gate_for_user(request.user, pk)
    return render(request, "stagegates/detail.html", _detail_context(request, gate))


@require_POST
@login_required
def gate_open_voting(request, pk):
    gate = perms.get_gate_for_user(request.user, pk, check=lambda u, g: can_manage_gates(u))
    try:
        services.gate_open_voting(user=request.user, gate=gate)
    except ValidationError as e:
        _flash_errors(request, e)
    else:
        messages.success(request, f"Voting is open at gate {gate.quarter}.")
    return redirect(gate)


@require_http_methods(["GET", "POST"])
@login_required
def gate_close(request, pk):
    """GET: the close summary with a confirm button (no JavaScript needed); POST: close."""
    gate = perms.get_gate_for_user(request.user, pk, check=perms.can_close)
    if request.method == "POST":
        try:
            gate = services.gate_close(user=request.user, gate=gate)
        except ValidationError as e:
            _flash_errors(request, e)
            return redirect(gate)
        summary = selectors.close_summary(user=request.user, gate=gate)
        n = summary.without_outcome
        without = f", {n} without a vote outcome" if n else ""
        messages.success(
            request,
            f"Gate {gate.quarter} closed; the outcomes are fixed. "
            f"{len(summary.lines)} decision(s) to record{without}.",
        )
        return redirect(gate)
    if gate.is_draft:
        messages.error(request, "Open voting before closing the gate.")
        return redirect(gate)
    summary = selectors.close_summary(user=request.user, gate=gate)
    return render(request, "stagegates/close.html", {"gate": gate, "summary": summary})


@require_POST
@login_required
def gate_refresh(request, pk):
    gate = perms.get_gate_for_user(request.user, pk, check=perms.can_edit_agenda)
    try:
        added = services.gate_refresh_agenda(user=request.user, gate=gate)
    except ValidationError as e:
        _flash_errors(request, e)
    else:
        messages.success(request, f"Agenda rules applied: {len(added)} item(s) added.")
    return redirect(gate)


@require_POST
@login_required
def gate_add_item(request, pk):
    gate = perms.get_gate_for_user(request.user, pk, check=perms.can_edit_agenda)
    form = AddItemForm(request.POST, use_cases=visible_use_cases(request.user))
    if form.is_valid():
        try:
            item = services.gate_item_add(
                user=request.user, gate=gate, use_case=form.cleaned_data["use_case"]
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"{item.use_case} added to the agenda.")
            return redirect(gate)
    return render(
        request, "stagegates/detail.html", _detail_context(request, gate, add_form=form), status=400
    )


@require_POST
@login_required
def item_remove(request, pk):
    item = perms.get_item_for_user(
        request.user, pk, check=lambda u, i: perms.can_edit_agenda(u, i.gate)
    )
    try:
        services.gate_item_remove(user=request.user, item=item)
    except ValidationError as e:
        _flash_errors(request, e)
    else:
        messages.success(request, f"{item.use_case} removed from the agenda.")
    return redirect(item.gate)


def _item_context(request, item, *, live: bool = False, **extra):
    user = request.user
    line = selectors.item_pack(user=user, item=item, live=live)
    item = line.item
    gate = item.gate
    context = {
        "line": line,
        "item": item,
        "gate": gate,
        "pack": line.pack,
        "votes": line.votes,
        "can_vote": perms.can_vote_on(user, item) and gate.is_voting and item.on_agenda,
        "can_decide": perms.can_decide(user, gate)
        and gate.is_closed
        and item.on_agenda
        and line.decision is None,
        "rule_summary": RULE_SUMMARY,
        "quorum_rule": voting.quorum_rule(),
    }
    if context["can_vote"] and "vote_form" not in extra:
        mine = line.votes.mine
        initial = {"choice": mine.choice, "rationale": mine.rationale} if mine else {}
        context["vote_form"] = VoteForm(initial=initial)
    if context["can_decide"]:
        _add_consequences(context, item)
    if context["can_decide"] and "decision_form" not in extra:
        initial = {"decision": item.outcome} if item.outcome else {}
        context["decision_form"] = DecisionForm(initial=initial)
    context.update(extra)
    return context


@login_required
def item_pack(request, pk):
    """The item's pack; on a closed gate, as frozen at closing (``?live=1``: today's figures)."""
    item = perms.get_item_for_user(request.user, pk)
    live = request.GET.get("live") in ("1", "true")
    return render(request, "stagegates/item.html", _item_context(request, item, live=live))


@login_required
def undecided_list(request):
    """Items closed without a decision and the gate that carries each (PMO)."""
    if not can_manage_gates(request.user):
        raise PermissionDenied("Only the PMO sees the undecided items.")
    return render(
        request,
        "stagegates/undecided.html",
        {"lines": selectors.undecided_items(user=request.user)},
    )


@require_POST
@login_required
def item_vote(request, pk):
    item = perms.get_item_for_user(request.user, pk, check=perms.can_vote_on)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            _, created = voting.vote_cast(user=request.user, item=item, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if not request.htmx:
                messages.success(request, "Vote recorded." if created else "Vote updated.")
                return redirect(item)
            form = None
    template = "stagegates/item.html#voting" if request.htmx else "stagegates/item.html"
    extra = {"vote_form": form} if form is not None else {}
    context = _item_context(request, item, **extra)
    if form is not None and form.errors:
        context["can_vote"] = True  # keep the form (and its errors) on screen
        # A 400 either way: htmx swaps it in (responseHandling in base.html), errors and all.
        return render(request, template, context, status=400)
    return render(request, template, context)


@require_POST
@login_required
def item_decide(request, pk):
    item = perms.get_item_for_user(request.user, pk, check=lambda u, i: perms.can_decide(u, i.gate))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decisions.decision_record(user=request.user, item=item, **form.cleaned_data)
        except decisions.ScaleBlocked:
            form.add_error("decision", decisions.SCALE_BLOCKED)  # the page lists the conditions
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Decision recorded and applied to {item.use_case}.")
            return redirect(item)
    context = _item_context(request, item, decision_form=form)
    if not context["can_decide"]:  # keep the form (and its errors) on screen
        context["can_decide"] = True
        _add_consequences(context, item)
    return render(request, "stagegates/item.html", context, status=400)


def _add_consequences(context: dict, item) -> None:
    """Each decision choice with its consequence; the decision applies now, so scale is judged
    on what blocks it today, whatever the frozen pack says."""
    blockers = decisions.scale_blockers([item.use_case_id])[item.use_case_id]
    context["consequences"] = decisions.consequences(item, blockers=blockers)


@login_required
def checklist_evidence(request, use_case_pk):
    """A use case's 15 checklist items: the value owner's answers beside the data evidence."""
    use_case = get_use_case_for_user(request.user, use_case_pk)
    lines = checklist.checklist_status([use_case.pk])[use_case.pk]
    return render(
        request,
        "stagegates/checklist.html",
        {
            "use_case": use_case,
            "lines": lines,
            "can_edit": can_edit_checklist(request.user, use_case),
            "differing": sum(1 for line in lines if line.differs),
        },
    )
