"""The stop-loss policy pages (PMO only; everyone else gets 403): the portfolio-wide default rules,
every use case's overrides, and the effective rules of one use case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from usecases.models import UseCase
from usecases.permissions import can_manage_policy, get_use_case_for_user, visible_use_cases

from .breaches import effective_rules
from .flag_forms import PolicyUseCaseForm, StopLossRuleForm
from .flags import stop_loss_rule_save
from .metric_format import rule_text
from .models import StopLossRule


def _require_pmo(user) -> None:
    if not can_manage_policy(user):
        raise PermissionDenied("Only the PMO sets the stop-loss policy.")


def _policy_use_case(user, pk) -> UseCase:
    """404 for a use case the user may not see, 403 for a non-PMO who may."""
    return get_use_case_for_user(user, pk, check=lambda u, _uc: can_manage_policy(u))


@login_required
def policy(request):
    _require_pmo(request.user)
    form = PolicyUseCaseForm(
        request.GET if "use_case" in request.GET else None,
        use_cases=visible_use_cases(request.user),
    )
    if form.is_valid():
        return redirect("reviews:policy_use_case", use_case_pk=form.cleaned_data["use_case"].pk)
    rules = list(StopLossRule.objects.select_related("use_case").order_by("metric", "id"))
    defaults = [r for r in rules if r.use_case_id is None]
    overrides = sorted(
        (r for r in rules if r.use_case_id is not None),
        key=lambda r: (r.use_case.name.lower(), r.metric, r.pk),
    )
    return render(
        request,
        "reviews/policy.html",
        {"defaults": defaults, "overrides": overrides, "form": form},
    )


@login_required
def use_case_policy(request, use_case_pk):
    use_case = _policy_use_case(request.user, use_case_pk)
    rules = list(
        StopLossRule.objects.filter(use_case__isnull=True)
        | StopLossRule.objects.filter(use_case=use_case)
    )
    effective = effective_rules(use_case.pk, rules)
    own = [r for r in rules if r.use_case_id == use_case.pk]
    overridden = {r.metric for r in own if r.active}
    defaults = [r for r in rules if r.use_case_id is None]
    return render(
        request,
        "reviews/policy_use_case.html",
        {
            "use_case": use_case,
            "effective": effective,
            "own": own,
            "defaults": defaults,
            "overridden": overridden,
        },
    )


def _rule_form_page(request, *, rule, use_case):
    form = StopLossRuleForm(request.POST or None, instance=rule or StopLossRule(use_case=use_case))
    if request.method == "POST" and form.is_valid():
        try:
            saved = stop_loss_rule_save(
                user=request.user, data=form.cleaned_data, rule=rule, use_case=use_case
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Rule saved: {rule_text(saved)}.")
            if saved.use_case_id:
                return redirect("reviews:policy_use_case", use_case_pk=saved.use_case_id)
            return redirect("reviews:policy")
    back = (
        reverse("reviews:policy_use_case", args=[use_case.pk])
        if use_case
        else reverse("reviews:policy")
    )
    return render(
        request,
        "reviews/policy_rule_form.html",
        {"form": form, "rule": rule, "use_case": use_case, "back": back},
    )


@login_required
def rule_new(request):
    """A new default rule, or (``?use_case=<id>``) a new override for that use case."""
    _require_pmo(request.user)
    use_case_pk = request.GET.get("use_case") or request.POST.get("use_case")
    use_case = _policy_use_case(request.user, use_case_pk) if use_case_pk else None
    return _rule_form_page(request, rule=None, use_case=use_case)


@login_required
def rule_edit(request, pk):
    _require_pmo(request.user)
    rule = get_object_or_404(StopLossRule.objects.select_related("use_case"), pk=pk)
    return _rule_form_page(request, rule=rule, use_case=rule.use_case)
