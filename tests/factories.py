"""Test data, in one place (factory-boy).

Two ways to put a review in the database, and the difference matters:

- ``WeeklyReviewFactory`` / ``MonthlyReviewFactory`` write the ROW directly: no validation, no
  save hook, so no stop-loss rule or early-warning signal is evaluated. Use them for data a test
  reads (pages, exports, selectors, the sweep, which evaluates on its own).
- ``submit_weekly`` / ``submit_monthly`` go through ``reviews.services`` like a user does: the
  rules validate, the save hook evaluates stop-loss rules and signals. Use them when the
  behaviour of a submission is what the test is about.

Every factory takes any model field as a keyword (``WeeklyReviewFactory(use_case=uc,
week="2026-W47", reworked_outputs=200)``). Users: ``UserFactory`` (no role), ``PmoFactory``,
``LeaderFactory``; ``tests/conftest.py`` builds the role fixtures (``ROLES``, ``role_users``)
from them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from reviews.models import (
    Comparison,
    Flag,
    FlagKind,
    Metric,
    MonthlyReview,
    RuleAction,
    StopLossRule,
    WeeklyReview,
)
from stagegates.models import Gate
from usecases.models import BusinessCase, ModelChange, Stage, UseCase
from usecases.roles import LEADERSHIP, PMO

PASSWORD = "correct-horse-battery"


# --- users -------------------------------------------------------------------------------------


def _add_groups(user, names) -> None:
    for name in names or ():
        user.groups.add(Group.objects.get_or_create(name=name)[0])


class UserFactory(factory.django.DjangoModelFactory):
    """A logged-in person with no role. ``groups=["PMO"]`` names groups by name."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        _add_groups(self, names)


class PmoFactory(UserFactory):
    @factory.post_generation
    def groups(self, create, names, **kwargs):
        _add_groups(self, (PMO, *(names or ())))


class LeaderFactory(UserFactory):
    @factory.post_generation
    def groups(self, create, names, **kwargs):
        _add_groups(self, (LEADERSHIP, *(names or ())))


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


# --- use cases ---------------------------------------------------------------------------------


class BusinessCaseFactory(factory.django.DjangoModelFactory):
    """The business case every use case of the suite starts with (hand-computed figures in the
    tests rely on these numbers)."""

    class Meta:
        model = BusinessCase

    use_case = None
    baseline_tasks_per_week = Decimal("2000")
    baseline_minutes_per_task = Decimal("12")
    baseline_source = "pilot"
    hourly_cost = Decimal("45.00")
    pilot_effort_reduction = Decimal("0.30")
    reclaimable_share = Decimal("0.50")
    adoption_pessimistic = Decimal("0.40")
    adoption_base = Decimal("0.60")
    adoption_optimistic = Decimal("0.80")
    planned_monthly_run_cost = Decimal("1200")
    planned_monthly_support_cost = Decimal("800")
    planned_monthly_maintenance_cost = Decimal("500")
    one_off_integration_cost = Decimal("20000")
    one_off_training_cost = Decimal("5000")


class UseCaseFactory(factory.django.DjangoModelFactory):
    """A use case in rollout, live since 2026-06-01, with ``BusinessCaseFactory``'s business case
    (``business_case=None`` leaves it out)."""

    class Meta:
        model = UseCase
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Use case {n}")
    business_unit = "Customer Service"
    workflow = "Inbound e-mail triage"
    stage = Stage.ROLLOUT
    target_users = 100
    live_since = datetime.date(2026, 6, 1)
    value_owner = None

    @factory.post_generation
    def business_case(self, create, extracted, **kwargs):
        """``business_case=False``: none; ``business_case__hourly_cost=...``: change a field."""
        if create and extracted is not False:
            BusinessCaseFactory(use_case=self, **kwargs)

    @factory.post_generation
    def contributors(self, create, users, **kwargs):
        if create and users:
            self.contributors.add(*users)


class ModelChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelChange

    version_label = factory.Sequence(lambda n: f"v{n + 2}")
    kind = "model"
    effective_date = datetime.date(2026, 11, 11)


# --- reviews -----------------------------------------------------------------------------------

#: A healthy week (adoption 80 %, rework 10 %, exceptions 2 %, quality 85).
WEEK = dict(
    active_users=80,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=20,
    minutes_saved_per_task=Decimal("3.50"),
    rework_minutes_per_output=Decimal("5.00"),
    quality_score=Decimal("85"),
    backlog=100,
)
#: A month without costs.
NO_COSTS = dict(
    training_cost=Decimal("0"),
    support_cost=Decimal("0"),
    integration_cost=Decimal("0"),
    run_cost=Decimal("0"),
    maintenance_cost=Decimal("0"),
    other_cost=Decimal("0"),
)


class WeeklyReviewFactory(factory.django.DjangoModelFactory):
    """A weekly review ROW (no validation, no stop-loss hook): see the module docstring."""

    class Meta:
        model = WeeklyReview

    week = "2026-W47"
    active_users = WEEK["active_users"]
    target_users = WEEK["target_users"]
    tasks_total = WEEK["tasks_total"]
    tasks_with_ai = WEEK["tasks_with_ai"]
    reworked_outputs = WEEK["reworked_outputs"]
    exceptions = WEEK["exceptions"]
    minutes_saved_per_task = WEEK["minutes_saved_per_task"]
    rework_minutes_per_output = WEEK["rework_minutes_per_output"]
    quality_score = WEEK["quality_score"]
    backlog = WEEK["backlog"]


class MonthlyReviewFactory(factory.django.DjangoModelFactory):
    """A monthly review ROW (no validation, no stop-loss hook): see the module docstring."""

    class Meta:
        model = MonthlyReview

    month = "2026-10"
    training_cost = NO_COSTS["training_cost"]
    support_cost = NO_COSTS["support_cost"]
    integration_cost = NO_COSTS["integration_cost"]
    run_cost = NO_COSTS["run_cost"]
    maintenance_cost = NO_COSTS["maintenance_cost"]
    other_cost = NO_COSTS["other_cost"]


def submit_weekly(use_case, week, *, user, **figures) -> WeeklyReview:
    """Submit a weekly review through the service: validated, stop-loss rules and signals run."""
    from reviews.services import weekly_review_submit

    return weekly_review_submit(user=user, use_case=use_case, week=week, data={**WEEK, **figures})


def submit_monthly(use_case, month, *, user, **costs):
    """Submit a monthly review through the service: validated, the net value rule runs."""
    from reviews.services import monthly_review_submit

    data = {**NO_COSTS, **costs}
    return monthly_review_submit(user=user, use_case=use_case, month=month, data=data)


# --- rules, flags, gates -------------------------------------------------------------------------


class StopLossRuleFactory(factory.django.DjangoModelFactory):
    """A use case's rule (``use_case=None``: a default one): rework above 15 % for one week."""

    class Meta:
        model = StopLossRule

    use_case = None
    metric = Metric.REWORK_RATE
    comparison = Comparison.EXCEEDS
    threshold = Decimal("0.15")
    consecutive_weeks = 1
    grace_weeks = 0
    action = RuleAction.REDESIGN


class FlagFactory(factory.django.DjangoModelFactory):
    """An open stop-loss flag row (raised without ``flag_raise``: no notification, no stage)."""

    class Meta:
        model = Flag

    kind = FlagKind.STOP_LOSS
    rule_key = "rule:test"
    period = "2026-W46"
    observed_value = Decimal("0.2")
    threshold = Decimal("0.15")
    explanation = "Rework rate 20.0% exceeds 15.0%."


class GateFactory(factory.django.DjangoModelFactory):
    """A gate row in draft (no agenda: ``stagegates.services.gate_create`` builds one)."""

    class Meta:
        model = Gate

    quarter = "2026-Q4"
    opens_on = datetime.date(2026, 11, 16)
    closes_on = datetime.date(2026, 12, 4)
