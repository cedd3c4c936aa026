"""The demo portfolio behind ``manage.py seed_demo``: users per role, use cases, reviews.

Everything is relative to a reference date, ``usecases.clock.today()``, so the demo stays current:
weekly reviews cover the last complete ISO weeks (at least 26, and every week of the monthly
window), monthly reviews the last 6 complete months. Numbers are plausible and slightly noisy but
deterministic: each (use case, week) draws from its own ``random.Random`` seeded by name and week.

The seed only ADDS what is missing, keyed on natural keys (username, use case name, (use case,
version label), (use case, checklist item), (use case, week), (use case, month)). It never
overwrites what somebody changed while exploring the demo, with one exception: the demo users'
passwords, groups and superuser flag are reset so that every printed login works.

The story, told by the data:
- "Customer-response assistant": the pilot promised 30% effort reduction (baseline taken from
  pilot data); production saves about 10% per task, and since the switch to GPT-4.1 four
  weeks ago active adoption has slid under the 60% stop-loss line (a breach every week since).
- "Expense report auditor" is in rollout without a value owner, and its reviews are late.
- "Maintenance ticket triage" reworks more every week since a prompt change (6% -> 19%), over
  the 15% stop-loss line for the last three weeks.
- "Shift planning assistant" is in redesign after weeks under 60% adoption at go-live (flags
  recorded as historical: older than the look-back); "Supplier contract summariser" was stopped
  after its rework jumped over 15%.

The data obeys the product's rules: ``seed_demo`` evaluates every seeded week and month with the
stop-loss rules, as the save hook would for a back-filled history (``replay_rules``), so every
breach shown on a chart has its flag — open inside the look-back, historical before it — and
no flag lacks a breach (``tests/portfolio/test_seed_demo.py``).
- "Complaint classifier" scaled 4-5 months ago (its 90-day net value is complete);
  "Invoice matching" scaled last month (pending).

To extend the demo, add a ``seed_<part>`` function and call it from ``seed_demo``.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from reviews.models import MonthlyReview, WeeklyReview, weekly_period_dates
from reviews.stoploss import evaluate
from reviews.sweep import sweep_portfolio
from reviews.targets import Target
from stagegates.services import gate_ensure_for_quarter
from usecases import change_proposals, clock, economics
from usecases.models import (
    Answer,
    BaselineSource,
    BusinessCase,
    ChangeKind,
    ChecklistAnswer,
    Funding,
    ModelChange,
    RoleSource,
    Stage,
    UseCase,
)
from usecases.role_changes import role_changes_by
from usecases.roles import LEADERSHIP, PMO

SEED = "valuegate-demo"
MONTHS = 6  # complete months with monthly reviews
MIN_WEEKS = 26  # complete ISO weeks with weekly reviews, at least
CENT = Decimal("0.01")


# --- the calendar of the demo -----------------------------------------------------------------


class DemoCalendar:
    """The periods of the demo, relative to a reference date.

    A week's *age* counts weeks back from the last complete ISO week (age 0); a week is complete
    once its Sunday has passed. Monthly reviews cover the last ``MONTHS`` complete months; weekly
    reviews cover every week of those months (a week belongs to the month of its Thursday) and at
    least the last ``MIN_WEEKS`` complete weeks, up to the last complete week.
    """

    def __init__(self, today: datetime.date):
        self.today = today
        self.last_monday = today - datetime.timedelta(days=today.weekday() + 7)
        current = (today.year, today.month)
        self.months = [economics.add_months(current, -n) for n in range(MONTHS, 0, -1)]
        first_week_monday = datetime.date.fromisocalendar(
            *economics.iso_weeks_of_month(*self.months[0])[0], 1
        )
        oldest = max(self.age_of(first_week_monday), MIN_WEEKS - 1)
        #: (age, week label, Monday), oldest first.
        self.weeks = []
        for age in range(oldest, -1, -1):
            monday = self.monday(age)
            self.weeks.append(
                (age, economics.format_iso_week(*economics.iso_week_of(monday)), monday)
            )

    def monday(self, age: int) -> datetime.date:
        """The Monday of the week ``age`` weeks before the last complete week."""
        return self.last_monday - datetime.timedelta(weeks=age)

    def age_of(self, day: datetime.date) -> int:
        """The age of the week holding ``day``."""
        monday = day - datetime.timedelta(days=day.weekday())
        return (self.last_monday - monday).days // 7

    def months_ago(self, months: int, day: int = 1) -> datetime.date:
        """Day ``day`` of the month ``months`` calendar months before the current one."""
        year, month = economics.add_months((self.today.year, self.today.month), -months)
        return datetime.date(year, month, day)


# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    what_to_try: str
    groups: tuple[str, ...] = ()
    superuser: bool = False

    @property
    def password(self) -> str:
        return f"demo-{self.username}-2026"


USERS = (
    DemoUser(
        "olivia",
        "Olivia",
        "Owens",
        "value owner",
        "Customer-response assistant: the pilot promised 30%, production saves ~10%",
    ),
    DemoUser(
        "oscar",
        "Oscar",
        "Ortega",
        "value owner",
        "Maintenance ticket triage: rework climbing past 15% since a prompt change",
    ),
    DemoUser(
        "carl",
        "Carl",
        "Conrad",
        "contributor",
        "Submit this week's review of the Customer-response assistant",
    ),
    DemoUser(
        "lena",
        "Lena",
        "Lindqvist",
        "leadership",
        "Read the whole portfolio; vote scale/redesign/hold/stop at the gate",
        groups=(LEADERSHIP,),
    ),
    DemoUser(
        "leo",
        "Leo",
        "Laurent",
        "leadership",
        "A second vote at the gate (both must vote for an outcome; a tie has none)",
        groups=(LEADERSHIP,),
    ),
    DemoUser(
        "pia",
        "Pia",
        "Petersen",
        "PMO",
        "Give 'Expense report auditor' an owner; chase overdue reviews",
        groups=(PMO,),
    ),
    DemoUser(
        "admin",
        "Ada",
        "Admin",
        "admin",
        "Everything, including the Django admin at /admin/",
        superuser=True,
    ),
)


@dataclass(frozen=True)
class Curve:
    """A weekly value over time, plus uniform noise of ±``noise``.

    Piecewise-linear through ``(age, value)`` points (age = weeks before the last complete week)
    and flat beyond the oldest and the newest point.
    """

    points: tuple[tuple[int, float], ...]
    noise: float = 0.0

    def at(self, age: int, rng: random.Random) -> float:
        points = sorted(self.points, reverse=True)  # oldest first
        value = points[0][1] if age >= points[0][0] else points[-1][1]
        for (old_age, old), (new_age, new) in zip(points, points[1:], strict=False):
            if new_age <= age <= old_age:
                share = (old_age - age) / (old_age - new_age) if old_age != new_age else 1
                value = old + (new - old) * share
                break
        return value + rng.uniform(-self.noise, self.noise)


def flat(value: float, noise: float = 0.0) -> Curve:
    return Curve(((0, value),), noise)


def trend(*points: tuple[int, float], noise: float = 0.0) -> Curve:
    return Curve(points, noise)


@dataclass(frozen=True)
class WeeklyProfile:
    """How a use case's weekly reviews behave. Fractions are 0..1."""

    adoption: Curve  # active_users / target_users
    effort: Curve  # minutes_saved_per_task as a fraction of the baseline minutes per task
    rework: Curve  # reworked_outputs / tasks_with_ai
    exceptions: Curve  # exceptions / tasks_total
    quality: Curve  # 0..100
    backlog: Curve  # open items at week end
    usage: float = 0.92  # share of an active user's tasks done with AI
    volume_noise: float = 0.05  # tasks_total = baseline tasks per week ± this
    rework_minutes: float = 5.0
    declared_factor: float = 1.2  # declared hours saved / measured hours saved
    barriers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoChange:
    version_label: str
    kind: str
    weeks_ago: int  # effective on the Monday of the week of this age
    description: str


@dataclass(frozen=True)
class DemoUseCase:
    name: str
    business_unit: str
    workflow: str
    description: str
    stage: str
    funding: str
    owner: str | None
    target_users: int
    #: (tasks per week, minutes per task, baseline source, hourly cost, pilot effort reduction,
    #: reclaimable share)
    baseline: tuple
    scenarios: tuple[str, str, str]  # adoption: pessimistic, base, optimistic
    planned_monthly: tuple[int, int, int]  # run, support, maintenance
    one_off: tuple[int, int]  # integration, training
    contributors: tuple[str, ...] = ()
    live_weeks_ago: int | None = None
    scaled_on: tuple[int, int] | None = None  # (calendar months ago, day of month)
    ended_weeks_ago: int | None = None  # put on hold / stopped in the week of this age
    changes: tuple[DemoChange, ...] = ()
    checklist: tuple[tuple[str, str, str], ...] = ()  # (item, answer, evidence)
    profile: WeeklyProfile | None = None
    missing_recent_weeks: int = 0
    missing_recent_months: int = 0
    run_cost_factor: float = 1.0  # actual run cost / planned
    support_cost_factor: float = 1.0

    def business_case_fields(self) -> dict:
        tasks, minutes, source, hourly, effort, reclaimable = self.baseline
        pessimistic, base, optimistic = self.scenarios
        run, support, maintenance = self.planned_monthly
        integration, training = self.one_off
        return {
            "baseline_tasks_per_week": Decimal(tasks),
            "baseline_minutes_per_task": Decimal(minutes),
            "baseline_source": source,
            "hourly_cost": Decimal(hourly),
            "pilot_effort_reduction": Decimal(effort),
            "reclaimable_share": Decimal(reclaimable),
            "adoption_pessimistic": Decimal(pessimistic),
            "adoption_base": Decimal(base),
            "adoption_optimistic": Decimal(optimistic),
            "planned_monthly_run_cost": Decimal(run),
            "planned_monthly_support_cost": Decimal(support),
            "planned_monthly_maintenance_cost": Decimal(maintenance),
            "one_off_integration_cost": Decimal(integration),
            "one_off_training_cost": Decimal(training),
        }

    def live_since(self, cal: DemoCalendar) -> datetime.date | None:
        return None if self.live_weeks_ago is None else cal.monday(self.live_weeks_ago)

    def ended_on(self, cal: DemoCalendar) -> datetime.date | None:
        """The day it was put on hold or stopped (a Wednesday)."""
        if self.ended_weeks_ago is None:
            return None
        return cal.monday(self.ended_weeks_ago) + datetime.timedelta(days=2)


PROD, PILOT = BaselineSource.PRODUCTION, BaselineSource.PILOT
YES, PARTIAL, NO = Answer.YES, Answer.PARTIAL, Answer.NO
MODEL, PROMPT, CONFIG = ChangeKind.MODEL, ChangeKind.PROMPT, ChangeKind.CONFIG

CUSTOMER_ASSISTANT = "Customer-response assistant"
NO_OWNER = "Expense report auditor"
REWORK_CLIMBER = "Maintenance ticket triage"
SCALED_COMPLETE = "Complaint classifier"
SCALED_PENDING = "Invoice matching"

USE_CASES = (
    # --- Customer Service ---------------------------------------------------------------------
    DemoUseCase(
        name=CUSTOMER_ASSISTANT,
        business_unit="Customer Service",
        workflow="Inbound customer e-mail: the assistant drafts the reply, an agent edits it",
        description=(
            "Drafts replies to customer e-mails from the order history and the knowledge base. "
            "The three-week pilot with 12 volunteer agents cut handling time by 30%."
        ),
        stage=Stage.ROLLOUT,
        funding=Funding.FUNDED,
        owner="olivia",
        contributors=("carl",),
        target_users=120,
        live_weeks_ago=32,
        baseline=(4200, 12, PILOT, "48.00", "0.30", "0.60"),
        scenarios=("0.45", "0.70", "0.90"),
        planned_monthly=(1800, 1400, 900),
        one_off=(38000, 12000),
        changes=(
            DemoChange("v1.0", MODEL, 32, "Go-live on GPT-4o with the pilot prompt."),
            DemoChange("v1.1", PROMPT, 20, "Tone-of-voice guide and a shorter greeting."),
            DemoChange("v1.2", CONFIG, 11, "Retrieval: top-8 knowledge-base articles, not top-4."),
            DemoChange("v2.0", MODEL, 4, "Switched to GPT-4.1; same prompt."),
        ),
        checklist=(
            ("T1", NO, "Baseline from the pilot: 12 volunteers, 3 weeks, hand-picked tickets."),
            ("T2", PARTIAL, "Finance accepts 60% of saved time; no headcount plan changed yet."),
            ("T3", YES, "45% / 70% / 90% adoption scenarios in the business case."),
            ("A1", YES, "Active users counted weekly from the ticket tool's draft log."),
            ("A2", NO, "Team leads do not track who uses the drafts."),
            ("A3", PARTIAL, "Barriers collected in the weekly review, no owner to close them."),
            ("E1", YES, "Rework = drafts rewritten by more than half, measured weekly."),
            ("E2", PARTIAL, "Drafts appear in a side panel; agents copy them into the ticket."),
            ("E3", YES, "Monthly review against plan; run cost 25% over plan."),
            ("Q1", YES, "Quality sampled weekly (50 replies); escalation below 70."),
            ("Q2", YES, "Every reply is sent by an agent."),
            ("Q3", YES, "Model/prompt log kept since go-live."),
            ("G1", YES, "Olivia Owens owns the net value."),
            ("G2", YES, "Weekly and monthly reviews on time."),
            ("G3", NO, "Moved to rollout on the pilot result, without a gate decision."),
        ),
        profile=WeeklyProfile(
            # Above the 60% stop-loss line until the GPT-4.1 switch (v2.0, 4 weeks ago), below
            # it for the last 3 weeks: the breach starts where the chart crosses the line.
            adoption=trend((29, 0.66), (5, 0.64), (3, 0.63), (2, 0.565), (0, 0.555), noise=0.01),
            effort=flat(0.10, noise=0.008),
            rework=flat(0.09, noise=0.008),
            exceptions=flat(0.06, noise=0.006),
            quality=flat(78, noise=2.5),
            backlog=trend((29, 380), (0, 430), noise=15),
            usage=0.90,
            rework_minutes=6,
            declared_factor=3.0,
            barriers=(
                "Drafts ignore the customer's previous e-mails.",
                "Senior agents say writing from scratch is faster.",
                "Side panel hides the order history.",
            ),
            notes=("Adoption flat again.", "Team leads asked for a usage report."),
        ),
        run_cost_factor=1.25,
    ),
    DemoUseCase(
        name=SCALED_COMPLETE,
        business_unit="Customer Service",
        workflow="Complaint intake: category, urgency and routing before a case is opened",
        description="Classifies incoming complaints and routes them to the right team.",
        stage=Stage.SCALED,
        funding=Funding.FUNDED,
        owner="oscar",
        target_users=60,
        live_weeks_ago=40,
        scaled_on=(4, 15),
        baseline=(2600, 5, PROD, "42.00", "0.35", "0.70"),
        scenarios=("0.60", "0.80", "0.90"),
        planned_monthly=(700, 600, 400),
        one_off=(15000, 4000),
        changes=(
            DemoChange("2025.1", MODEL, 40, "Fine-tuned classifier, 23 categories."),
            DemoChange("2025.2", CONFIG, 24, "Urgency threshold 0.7 -> 0.6."),
            DemoChange("2026.1", MODEL, 9, "Retrained on six months of production labels."),
        ),
        checklist=(
            ("T1", YES, "Baseline from 12 weeks of production handling times."),
            ("T3", YES, "Three adoption scenarios."),
            ("A1", YES, "Weekly from the routing log."),
            ("E1", YES, "Re-routed complaints counted as rework."),
            ("Q1", YES, "Misrouting above 8% escalates to the owner."),
            ("Q3", YES, "Every retraining evaluated on a hold-out set."),
            ("G1", YES, "Oscar Ortega."),
            ("G3", YES, "Scaled at the gate after rollout."),
        ),
        profile=WeeklyProfile(
            adoption=trend((29, 0.76), (18, 0.84), (0, 0.86), noise=0.015),
            effort=flat(0.32, noise=0.01),
            rework=flat(0.04, noise=0.005),
            exceptions=flat(0.03, noise=0.004),
            quality=flat(90, noise=1.5),
            backlog=trend((29, 260), (0, 140), noise=12),
            rework_minutes=3,
            notes=("Stable.", "Retraining planned next quarter."),
        ),
    ),
    DemoUseCase(
        name="Knowledge-base answer drafting",
        business_unit="Customer Service",
        workflow="Knowledge-base maintenance: draft articles from resolved tickets",
        description="Proposed: turn resolved tickets into draft knowledge-base articles.",
        stage=Stage.PROPOSED,
        funding=Funding.CONDITIONAL,
        owner="olivia",
        target_users=15,
        baseline=(300, 20, PROD, "52.00", "0.25", "0.40"),
        scenarios=("0.50", "0.70", "0.85"),
        planned_monthly=(300, 200, 250),
        one_off=(8000, 2000),
        checklist=(("T1", YES, "Baseline from the editors' time sheets."),),
    ),
    # --- Finance ------------------------------------------------------------------------------
    DemoUseCase(
        name=SCALED_PENDING,
        business_unit="Finance",
        workflow="Accounts payable: match invoices to purchase orders and goods receipts",
        description="Suggests the purchase order and receipt for each incoming invoice.",
        stage=Stage.SCALED,
        funding=Funding.FUNDED,
        owner="oscar",
        target_users=25,
        live_weeks_ago=34,
        scaled_on=(1, 1),
        baseline=(3200, 6, PROD, "55.00", "0.25", "0.50"),
        scenarios=("0.70", "0.85", "0.95"),
        planned_monthly=(900, 500, 400),
        one_off=(30000, 6000),
        changes=(
            DemoChange("v1", MODEL, 34, "Rules plus an LLM for free-text invoice lines."),
            DemoChange("v2", PROMPT, 14, "Supplier-specific prompt snippets."),
            DemoChange("v3", CONFIG, 6, "Auto-accept matches above 0.95 confidence."),
        ),
        checklist=(
            ("T1", YES, "Baseline from the ERP's processing times."),
            ("T2", YES, "Two temporary positions not renewed."),
            ("E1", YES, "Reversed matches counted weekly."),
            ("E3", YES, "Integration cost tracked in the monthly review."),
            ("G1", YES, "Oscar Ortega."),
            ("G3", YES, "Scaled at the last gate."),
        ),
        profile=WeeklyProfile(
            adoption=trend((29, 0.68), (8, 0.74), (4, 0.88), (0, 0.90), noise=0.015),
            effort=flat(0.24, noise=0.008),
            rework=flat(0.05, noise=0.005),
            exceptions=trend((29, 0.07), (0, 0.05), noise=0.004),
            quality=flat(88, noise=1.5),
            backlog=trend((29, 900), (0, 520), noise=30),
            rework_minutes=4,
        ),
    ),
    DemoUseCase(
        name=NO_OWNER,
        business_unit="Finance",
        workflow="Travel and expense: check receipts against the expense policy",
        description="Flags expense reports that break the policy. The owner left in spring.",
        stage=Stage.ROLLOUT,
        funding=Funding.CONDITIONAL,
        owner=None,
        target_users=40,
        live_weeks_ago=22,
        baseline=(1500, 8, PROD, "50.00", "0.20", "0.40"),
        scenarios=("0.50", "0.70", "0.85"),
        planned_monthly=(600, 400, 300),
        one_off=(12000, 3000),
        changes=(
            DemoChange("1.0", MODEL, 22, "Policy checker on Claude Sonnet."),
            DemoChange("1.1", PROMPT, 10, "2026 travel policy added to the prompt."),
        ),
        checklist=(
            ("T1", YES, "Baseline from the expense tool."),
            ("G1", NO, "No value owner since the previous owner left."),
            ("G2", PARTIAL, "Reviews submitted irregularly."),
        ),
        profile=WeeklyProfile(
            adoption=trend((22, 0.63), (10, 0.67), (0, 0.65), noise=0.01),
            effort=flat(0.15, noise=0.01),
            rework=flat(0.07, noise=0.006),
            exceptions=flat(0.05, noise=0.005),
            quality=flat(83, noise=2),
            backlog=flat(210, noise=20),
            rework_minutes=5,
        ),
        missing_recent_weeks=2,
        missing_recent_months=1,
    ),
    DemoUseCase(
        name="Month-end close commentary",
        business_unit="Finance",
        workflow="Month-end close: variance commentary for the management report",
        description="Pilot: drafts variance explanations from the ledger and last month's text.",
        stage=Stage.PILOT,
        funding=Funding.CONDITIONAL,
        owner="olivia",
        target_users=18,
        baseline=(200, 25, PILOT, "90.00", "0.40", "0.30"),
        scenarios=("0.40", "0.60", "0.80"),
        planned_monthly=(250, 150, 300),
        one_off=(10000, 2500),
        checklist=(
            ("T1", NO, "Pilot baseline only."),
            ("T3", YES, "Three scenarios."),
        ),
    ),
    # --- Operations ---------------------------------------------------------------------------
    DemoUseCase(
        name=REWORK_CLIMBER,
        business_unit="Operations",
        workflow="Facility maintenance: classify tickets and suggest the first fix",
        description="Reads maintenance tickets, sets priority and proposes the first fix.",
        stage=Stage.ROLLOUT,
        funding=Funding.FUNDED,
        owner="oscar",
        contributors=("carl",),
        target_users=70,
        live_weeks_ago=30,
        baseline=(5000, 4, PROD, "38.00", "0.25", "0.65"),
        scenarios=("0.55", "0.75", "0.90"),
        planned_monthly=(1100, 500, 400),
        one_off=(20000, 5000),
        changes=(
            DemoChange("v1", MODEL, 30, "Go-live with GPT-4o mini."),
            DemoChange("v2", CONFIG, 19, "Added the asset register as context."),
            DemoChange("v3", PROMPT, 7, "Shorter triage notes to cut token cost."),
        ),
        checklist=(
            ("T1", YES, "Baseline from 6 months of ticket timestamps."),
            ("A1", YES, "Weekly from the ticket tool."),
            ("E1", YES, "Tickets reopened or re-prioritised count as rework."),
            ("Q1", PARTIAL, "Threshold agreed, escalation path not written down."),
            ("Q3", PARTIAL, "Changes logged but not evaluated before release."),
            ("G1", YES, "Oscar Ortega."),
        ),
        profile=WeeklyProfile(
            adoption=flat(0.72, noise=0.015),
            effort=flat(0.22, noise=0.008),
            # Over the 15% stop-loss line from 2 weeks ago (inside the look-back: open flags).
            rework=trend((7, 0.06), (3, 0.13), (2, 0.16), (0, 0.19), noise=0.003),
            exceptions=flat(0.04, noise=0.004),
            quality=trend((8, 86), (7, 84), (0, 74), noise=1),
            backlog=trend((29, 640), (8, 520), (0, 610), noise=15),
            rework_minutes=3,
            barriers=("Technicians re-prioritise by hand after the v3 notes.",),
        ),
    ),
    DemoUseCase(
        name="Shift planning assistant",
        business_unit="Operations",
        workflow="Warehouse shift planning: draft next week's roster",
        description="Drafts rosters from demand forecasts and staff availability.",
        stage=Stage.REDESIGN,
        funding=Funding.CONDITIONAL,
        owner="oscar",
        target_users=45,
        live_weeks_ago=26,
        baseline=(900, 15, PILOT, "40.00", "0.30", "0.45"),
        scenarios=("0.50", "0.70", "0.85"),
        planned_monthly=(500, 400, 350),
        one_off=(18000, 6000),
        changes=(
            DemoChange("r1", MODEL, 26, "Go-live with the pilot model."),
            DemoChange("r2", PROMPT, 5, "Redesign: labour rules as explicit constraints."),
        ),
        checklist=(
            ("T1", NO, "Baseline from the pilot site only."),
            ("A1", YES, "Weekly."),
            ("A2", NO, "Shift leads keep their spreadsheets."),
            ("G1", YES, "Oscar Ortega."),
            ("G3", YES, "Sent back to redesign after adoption stayed below 60%."),
        ),
        profile=WeeklyProfile(
            # Under 60% in its first weeks (historical stop-loss flags: the reason for the
            # redesign), then the redesigned roster view brought adoption back above the line.
            adoption=trend((26, 0.50), (22, 0.56), (20, 0.64), (0, 0.68), noise=0.01),
            effort=flat(0.18, noise=0.01),
            rework=flat(0.11, noise=0.008),
            exceptions=flat(0.09, noise=0.006),
            quality=flat(76, noise=2.5),
            backlog=flat(35, noise=6),
            rework_minutes=8,
            barriers=("Rosters ignore part-time contracts.", "Shift leads trust Excel."),
        ),
    ),
    DemoUseCase(
        name="Delivery exception drafting",
        business_unit="Operations",
        workflow="Outbound logistics: notify customers about late or partial deliveries",
        description="Drafts exception notices to customers. On hold until the carrier API lands.",
        stage=Stage.ON_HOLD,
        funding=Funding.FROZEN,
        owner="olivia",
        target_users=50,
        live_weeks_ago=30,
        ended_weeks_ago=6,
        baseline=(1200, 9, PILOT, "36.00", "0.25", "0.50"),
        scenarios=("0.45", "0.65", "0.80"),
        planned_monthly=(400, 350, 250),
        one_off=(14000, 3000),
        changes=(
            DemoChange("d1", MODEL, 30, "Go-live."),
            DemoChange("d2", PROMPT, 15, "Carrier-specific templates."),
        ),
        checklist=(
            ("E2", NO, "Carrier status is copied by hand into the prompt."),
            ("G3", YES, "Put on hold at the gate until the carrier API is available."),
        ),
        profile=WeeklyProfile(
            adoption=flat(0.66, noise=0.02),
            effort=flat(0.14, noise=0.01),
            rework=flat(0.13, noise=0.008),
            exceptions=trend((29, 0.08), (6, 0.16), noise=0.005),
            quality=flat(74, noise=2),
            backlog=trend((29, 120), (6, 180), noise=8),
            rework_minutes=6,
            barriers=("Carrier status is out of date by the time we write.",),
        ),
    ),
    DemoUseCase(
        name="Supplier contract summariser",
        business_unit="Operations",
        workflow="Procurement: summarise supplier contracts for renewal decisions",
        description="Stopped: summaries missed liability clauses; lawyers re-read every contract.",
        stage=Stage.STOPPED,
        funding=Funding.ENDED,
        owner="oscar",
        target_users=30,
        live_weeks_ago=36,
        ended_weeks_ago=14,
        baseline=(400, 22, PILOT, "65.00", "0.35", "0.35"),
        scenarios=("0.40", "0.60", "0.80"),
        planned_monthly=(500, 300, 300),
        one_off=(16000, 4000),
        changes=(
            DemoChange("c1", MODEL, 36, "Go-live."),
            DemoChange("c2", PROMPT, 22, "Clause checklist added to the prompt."),
        ),
        checklist=(
            ("Q2", PARTIAL, "Lawyers re-read every contract anyway."),
            ("G3", YES, "Stopped at the gate: rework above 15% for 8 weeks."),
        ),
        profile=WeeklyProfile(
            adoption=trend((29, 0.70), (14, 0.64), noise=0.01),
            effort=flat(0.12, noise=0.01),
            # Rework jumped over 15% in its last three weeks: stopped at the gate.
            rework=trend((29, 0.10), (17, 0.12), (16, 0.17), (14, 0.21), noise=0.005),
            exceptions=flat(0.10, noise=0.008),
            quality=trend((29, 72), (14, 64), noise=2),
            backlog=flat(60, noise=6),
            rework_minutes=15,
        ),
    ),
    DemoUseCase(
        name="Safety incident summariser",
        business_unit="Operations",
        workflow="Health and safety: summarise incident reports for the weekly safety board",
        description="Pilot at two sites.",
        stage=Stage.PILOT,
        funding=Funding.CONDITIONAL,
        owner="oscar",
        target_users=20,
        baseline=(300, 18, PILOT, "60.00", "0.30", "0.40"),
        scenarios=("0.50", "0.70", "0.90"),
        planned_monthly=(200, 150, 150),
        one_off=(6000, 1500),
    ),
    # --- HR -----------------------------------------------------------------------------------
    DemoUseCase(
        name="Job ad writer",
        business_unit="HR",
        workflow="Recruiting: first draft of a job ad from the role profile",
        description="Drafts job ads in the employer-brand voice.",
        stage=Stage.ROLLOUT,
        funding=Funding.CONDITIONAL,
        owner="olivia",
        contributors=("carl",),
        target_users=25,
        live_weeks_ago=12,
        baseline=(220, 25, PILOT, "52.00", "0.30", "0.40"),
        scenarios=("0.50", "0.70", "0.85"),
        planned_monthly=(150, 200, 150),
        one_off=(5000, 2000),
        changes=(
            DemoChange("ja-1", MODEL, 12, "Go-live."),
            DemoChange("ja-2", PROMPT, 5, "Inclusive-language checklist."),
        ),
        checklist=(
            ("T1", NO, "Baseline from the pilot."),
            ("A3", YES, "Barriers reviewed every two weeks with recruiters."),
            ("G1", YES, "Olivia Owens."),
        ),
        profile=WeeklyProfile(
            adoption=trend((12, 0.62), (0, 0.70), noise=0.01),
            effort=flat(0.22, noise=0.015),
            rework=flat(0.06, noise=0.008),
            exceptions=flat(0.02, noise=0.004),
            quality=flat(84, noise=2),
            backlog=trend((12, 40), (0, 28), noise=4),
            rework_minutes=10,
        ),
        missing_recent_weeks=1,
        missing_recent_months=1,
    ),
    DemoUseCase(
        name="Employee policy Q&A",
        business_unit="HR",
        workflow="HR service desk: answer policy questions with cited sources",
        description="Answers employees' policy questions for the HR service desk.",
        stage=Stage.SCALED,
        funding=Funding.FUNDED,
        owner="oscar",
        target_users=35,
        live_weeks_ago=52,
        scaled_on=(6, 1),
        baseline=(2400, 7, PROD, "45.00", "0.30", "0.55"),
        scenarios=("0.65", "0.80", "0.90"),
        planned_monthly=(800, 500, 450),
        one_off=(20000, 5000),
        changes=(
            DemoChange("hr-1", MODEL, 52, "Go-live."),
            DemoChange("hr-2", CONFIG, 27, "Policy library re-indexed weekly."),
            DemoChange("hr-3", MODEL, 13, "Model upgrade."),
        ),
        checklist=(
            ("T1", YES, "Baseline from the service desk's handling times."),
            ("T2", YES, "Service desk headcount planned with the saved time."),
            ("A1", YES, "Weekly."),
            ("E1", YES, "Answers corrected by agents counted weekly."),
            ("Q3", YES, "Every change evaluated on 200 golden questions."),
            ("G1", YES, "Oscar Ortega."),
        ),
        profile=WeeklyProfile(
            adoption=flat(0.86, noise=0.015),
            effort=flat(0.27, noise=0.01),
            rework=flat(0.04, noise=0.004),
            exceptions=flat(0.03, noise=0.003),
            quality=flat(91, noise=1.5),
            backlog=trend((29, 150), (0, 95), noise=8),
            rework_minutes=4,
        ),
    ),
    DemoUseCase(
        name="CV screening assistant",
        business_unit="HR",
        workflow="Recruiting: pre-screen CVs against the role's must-haves",
        description="Stopped after the works council raised fairness concerns.",
        stage=Stage.STOPPED,
        funding=Funding.ENDED,
        owner="olivia",
        target_users=15,
        live_weeks_ago=34,
        ended_weeks_ago=20,
        baseline=(800, 6, PILOT, "55.00", "0.35", "0.30"),
        scenarios=("0.40", "0.60", "0.80"),
        planned_monthly=(300, 200, 200),
        one_off=(9000, 2000),
        changes=(
            DemoChange("cv-1", MODEL, 34, "Go-live."),
            DemoChange("cv-2", PROMPT, 25, "Must-have criteria weighted higher."),
        ),
        checklist=(
            ("Q2", NO, "Rejections were not reviewed by a recruiter."),
            ("G3", YES, "Stopped at the gate."),
        ),
        profile=WeeklyProfile(
            adoption=flat(0.66, noise=0.02),
            effort=flat(0.20, noise=0.015),
            rework=flat(0.10, noise=0.01),
            exceptions=flat(0.05, noise=0.005),
            quality=flat(70, noise=3),
            backlog=flat(80, noise=10),
            rework_minutes=6,
        ),
    ),
)


# --- the builders -----------------------------------------------------------------------------


@dataclass
class SeedResult:
    users: tuple[DemoUser, ...]
    created: dict[str, int] = field(default_factory=dict)
    #: Primary keys of the use cases this run created (they get the demo's whole story).
    new_use_cases: set[int] = field(default_factory=set)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {what}" for what, n in self.created.items())
        return f"Demo portfolio loaded (new: {parts})."


def seed_demo(*, today: datetime.date | None = None) -> SeedResult:
    """Load the demo portfolio, adding only what is missing, in one transaction; then run the
    stop-loss + signals sweep once and make sure the quarter's gate exists, as beat would, so the
    demo shows its flags and gate from the start (bulk-inserted reviews bypass the save hook)."""
    today = today or clock.today()
    cal = DemoCalendar(today)
    result = SeedResult(users=USERS)
    with transaction.atomic():
        users = seed_users(USERS, result)
        use_cases = seed_use_cases(USE_CASES, users, cal, result)
        seed_business_cases(USE_CASES, use_cases, result)
        changes = seed_model_changes(USE_CASES, use_cases, users, cal, result)
        seed_checklists(USE_CASES, use_cases, users, result)
        seed_weekly_reviews(USE_CASES, use_cases, changes, users, cal, result)
        seed_monthly_reviews(USE_CASES, use_cases, users, cal, result)
        seed_proposed_change(USE_CASES, use_cases, today=today)
    replay_rules(use_cases.values(), today=today)
    sweep_portfolio(today=today)
    gate_ensure_for_quarter(today=today)  # the current quarter's gate, as the beat job would
    return result


def replay_rules(use_cases: Iterable[UseCase], *, today: datetime.date) -> None:
    """Judge every week and every month the demo's reviews hold, oldest first, with the
    stop-loss rules, as the save hook would judge a back-filled history: a breach inside the
    look-back raises an open flag (and its action), one before it is recorded as historical
    (``reviews.lookback``). Bulk-inserted reviews bypass the hook; without this the charts would
    show breaches that have no flag. Flags are unique per period, so a second seed adds none."""
    ids = [uc.pk for uc in use_cases]
    periods: dict[tuple, dict[int, Target]] = defaultdict(dict)
    for use_case_id, week, week_start in WeeklyReview.objects.filter(
        use_case_id__in=ids
    ).values_list("use_case_id", "week", "week_start"):
        periods[(week_start, 0)][use_case_id] = Target(week=week)
    for use_case_id, month, month_start in MonthlyReview.objects.filter(
        use_case_id__in=ids
    ).values_list("use_case_id", "month", "month_start"):
        last_day = economics.month_bounds(month_start.year, month_start.month)[1]
        periods[(last_day, 1)][use_case_id] = Target(month=month)
    for key in sorted(periods):
        with transaction.atomic():
            evaluate(periods[key], today=today)


def seed_users(demo_users: Iterable[DemoUser], result: SeedResult) -> dict:
    """One user per role with its demo password and groups (reset on every run)."""
    User = get_user_model()
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (LEADERSHIP, PMO)}
    users, created_count = {}, 0
    for demo in demo_users:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.com",
                "is_staff": demo.superuser,
                "is_superuser": demo.superuser,
            },
        )
        created_count += created
        if demo.superuser and not (user.is_superuser and user.is_staff and user.is_active):
            user.is_superuser = user.is_staff = user.is_active = True
            user.save(update_fields=["is_superuser", "is_staff", "is_active"])
        elif not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        missing = [groups[name] for name in demo.groups if name not in _group_names(user)]
        if missing:
            with role_changes_by(RoleSource.COMMAND, reason="Demo data (manage.py seed_demo)"):
                user.groups.add(*missing)
        users[demo.username] = user
    _reset_passwords([(users[d.username], d.password) for d in demo_users])
    result.created["users"] = created_count
    return users


def _group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def _reset_passwords(pairs: list[tuple]) -> None:
    """Give each user its demo password unless it already has it.

    Password hashing is deliberately slow; the hashes run in threads (hashlib releases the GIL),
    touching no database, and the saves happen here in the seed's transaction.
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        valid = list(pool.map(lambda p: check_password(p[1], p[0].password), pairs))
        stale = [pair for pair, ok in zip(pairs, valid, strict=True) if not ok]
        hashes = list(pool.map(make_password, [password for _user, password in stale]))
    for (user, _password), encoded in zip(stale, hashes, strict=True):
        user.password = encoded
        user.save(update_fields=["password"])


def seed_use_cases(demo_cases, users, cal: DemoCalendar, result: SeedResult) -> dict:
    """The use cases, by name, with owner and contributors (existing ones are left alone)."""
    use_cases, created_count = {}, 0
    for demo in demo_cases:
        scaled_on = cal.months_ago(*demo.scaled_on) if demo.scaled_on else None
        use_case, created = UseCase.objects.get_or_create(
            name=demo.name,
            defaults={
                "description": demo.description,
                "business_unit": demo.business_unit,
                "workflow": demo.workflow,
                "stage": demo.stage,
                "funding_status": demo.funding,
                "value_owner": users[demo.owner] if demo.owner else None,
                "target_users": demo.target_users,
                "live_since": demo.live_since(cal),
                "scaled_on": scaled_on,
            },
        )
        created_count += created
        if created:
            result.new_use_cases.add(use_case.pk)
        if created and demo.contributors:
            use_case.contributors.add(*(users[name] for name in demo.contributors))
        use_cases[demo.name] = use_case
    result.created["use cases"] = created_count
    return use_cases


def seed_business_cases(demo_cases, use_cases, result: SeedResult) -> None:
    existing = set(
        BusinessCase.objects.filter(use_case__in=use_cases.values()).values_list(
            "use_case_id", flat=True
        )
    )
    created_count = 0
    for demo in demo_cases:
        use_case = use_cases[demo.name]
        if use_case.pk not in existing:
            BusinessCase.objects.create(use_case=use_case, **demo.business_case_fields())
            created_count += 1
    result.created["business cases"] = created_count


def seed_model_changes(demo_cases, use_cases, users, cal: DemoCalendar, result: SeedResult):
    """The model/prompt log. Returns {use case id: [ModelChange, ...] oldest first}."""
    created_count = 0
    for demo in demo_cases:
        use_case = use_cases[demo.name]
        for change in demo.changes:
            _obj, created = ModelChange.objects.get_or_create(
                use_case=use_case,
                version_label=change.version_label,
                defaults={
                    "kind": change.kind,
                    "effective_date": cal.monday(change.weeks_ago),
                    "description": change.description,
                    "created_by": users.get(demo.owner),
                },
            )
            created_count += created
    result.created["model changes"] = created_count
    changes = defaultdict(list)
    for change in ModelChange.objects.filter(use_case__in=use_cases.values()).order_by(
        "effective_date", "id"
    ):
        changes[change.use_case_id].append(change)
    return changes


def seed_proposed_change(demo_cases, use_cases, *, today: datetime.date) -> None:
    """A model the first use case's telemetry named two days ago, proposed to its value owner as
    a change-log entry (``usecases.change_proposals``; a second seed adds nothing)."""
    change_proposals.propose(
        use_case_id=use_cases[demo_cases[0].name].pk,
        seen=[
            change_proposals.Seen(
                kind="model",
                previous="gpt-4.1",
                new="gpt-4.1-mini",
                first_seen=today - datetime.timedelta(days=2),
            )
        ],
    )


def seed_checklists(demo_cases, use_cases, users, result: SeedResult) -> None:
    existing = set(
        ChecklistAnswer.objects.filter(use_case__in=use_cases.values()).values_list(
            "use_case_id", "item"
        )
    )
    created_count = 0
    for demo in demo_cases:
        use_case = use_cases[demo.name]
        for item, answer, evidence in demo.checklist:
            if (use_case.pk, item) in existing:
                continue
            ChecklistAnswer.objects.create(
                use_case=use_case,
                item=item,
                answer=answer,
                evidence=evidence,
                updated_by=users.get(demo.owner) or users["pia"],
            )
            created_count += 1
    result.created["checklist answers"] = created_count


def _review_span(demo: DemoUseCase, use_case: UseCase, cal: DemoCalendar, result: SeedResult):
    """(live since, ended on) of the reviews to seed, or None for no reviews.

    A use case created by this run gets the demo's story (its reviews until it was put on hold or
    stopped). One that already existed gets only missing periods, and only while reviews are due
    for it in its current stage: a later run keeps the demo current without writing reviews for
    a use case that stopped in the meantime.
    """
    if use_case.pk in result.new_use_cases:
        span = (demo.live_since(cal), demo.ended_on(cal))
    elif use_case.reviews_due:
        span = (use_case.live_since, None)
    else:
        return None
    return None if span[0] is None else span


def _reviewed_weeks(demo: DemoUseCase, cal: DemoCalendar, span) -> list[tuple]:
    """The calendar's weeks (age, label, Monday) this use case has a weekly review for."""
    if span is None:
        return []
    live_since, ended_on = span
    live_monday = live_since - datetime.timedelta(days=live_since.weekday())
    weeks = []
    for age, label, monday in cal.weeks:
        if monday < live_monday:
            continue
        if ended_on is not None and monday + datetime.timedelta(days=6) >= ended_on:
            continue
        if age < demo.missing_recent_weeks:
            continue
        weeks.append((age, label, monday))
    return weeks


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(CENT)


def _submitter(demo: DemoUseCase, users, rng: random.Random):
    if demo.contributors and rng.random() < 0.3:
        return users[demo.contributors[0]]
    return users.get(demo.owner)


def build_weekly_review(
    demo: DemoUseCase,
    use_case: UseCase,
    bc: BusinessCase,
    week: tuple[int, str, datetime.date],
    version: ModelChange | None,
    users,
) -> WeeklyReview:
    """One weekly review from the use case's profile (not saved)."""
    age, label, monday = week
    p = demo.profile
    rng = random.Random(f"{SEED}:{demo.name}:{label}")
    target = use_case.target_users
    adoption = min(1.0, max(0.0, p.adoption.at(age, rng)))
    active = min(target, round(target * adoption))
    baseline_tasks = float(bc.baseline_tasks_per_week)
    tasks_total = round(baseline_tasks * (1 + rng.uniform(-p.volume_noise, p.volume_noise)))
    with_ai = min(tasks_total, round(tasks_total * active / target * p.usage))
    reworked = min(with_ai, round(with_ai * max(0.0, p.rework.at(age, rng))))
    exceptions = min(tasks_total, round(tasks_total * max(0.0, p.exceptions.at(age, rng))))
    minutes = float(bc.baseline_minutes_per_task) * max(0.0, p.effort.at(age, rng))
    saved_hours = with_ai * minutes / 60
    declared = saved_hours * p.declared_factor * rng.uniform(0.95, 1.05)
    submitter = _submitter(demo, users, rng)
    week_start, month_start = weekly_period_dates(label)
    return WeeklyReview(
        use_case=use_case,
        week=label,
        week_start=week_start,
        month_start=month_start,
        active_users=active,
        target_users=target,
        tasks_total=tasks_total,
        tasks_with_ai=with_ai,
        reworked_outputs=reworked,
        exceptions=exceptions,
        minutes_saved_per_task=_money(minutes),
        rework_minutes_per_output=_money(p.rework_minutes * rng.uniform(0.9, 1.1)),
        quality_score=_money(min(100.0, max(0.0, p.quality.at(age, rng)))),
        backlog=max(0, round(p.backlog.at(age, rng))),
        declared_hours_saved=_money(declared),
        model_version=version,
        notes=rng.choice(p.notes) if p.notes and rng.random() < 0.25 else "",
        user_barriers=rng.choice(p.barriers) if p.barriers and rng.random() < 0.4 else "",
        submitted_by=submitter,
        updated_by=submitter,
    )


def _version_in_effect(changes: list[ModelChange], monday: datetime.date) -> ModelChange | None:
    """The latest change effective on or before the week's Sunday (``changes`` oldest first), as
    ``reviews.services.model_version_in_effect`` gives it to a submitted review."""
    sunday = monday + datetime.timedelta(days=6)
    current = None
    for change in changes:
        if change.effective_date <= sunday:
            current = change
    return current


def seed_weekly_reviews(demo_cases, use_cases, changes, users, cal, result: SeedResult) -> None:
    existing = set(
        WeeklyReview.objects.filter(use_case__in=use_cases.values()).values_list(
            "use_case_id", "week"
        )
    )
    business_cases = {
        bc.use_case_id: bc for bc in BusinessCase.objects.filter(use_case__in=use_cases.values())
    }
    new = []
    for demo in demo_cases:
        if demo.profile is None:
            continue
        use_case = use_cases[demo.name]
        span = _review_span(demo, use_case, cal, result)
        for week in _reviewed_weeks(demo, cal, span):
            if (use_case.pk, week[1]) in existing:
                continue
            version = _version_in_effect(changes[use_case.pk], week[2])
            bc = business_cases[use_case.pk]
            new.append(build_weekly_review(demo, use_case, bc, week, version, users))
    bulk_create_with_history(new, WeeklyReview, batch_size=500)
    result.created["weekly reviews"] = len(new)


def _reviewed_months(demo: DemoUseCase, cal: DemoCalendar, span) -> list[tuple[int, int]]:
    """The calendar's months this use case has a monthly review for."""
    if span is None:
        return []
    live_since, ended_on = span
    months = cal.months[: len(cal.months) - demo.missing_recent_months]
    return [
        month
        for month in months
        if economics.month_bounds(*month)[1] >= live_since
        and (ended_on is None or datetime.date(*month, 1) < ended_on)
    ]


def build_monthly_review(
    demo: DemoUseCase, use_case: UseCase, bc: BusinessCase, month: tuple[int, int], users
) -> MonthlyReview:
    """One monthly review around the planned costs; one-offs land in the go-live months."""
    label = economics.format_month(*month)
    rng = random.Random(f"{SEED}:{demo.name}:{label}")
    live = use_case.live_since
    since_live = (month[0] - live.year) * 12 + month[1] - live.month
    one_off_share = {0: 0.6, 1: 0.3}.get(since_live, 0.0)
    integration = float(bc.one_off_integration_cost) * one_off_share
    training = float(bc.one_off_training_cost) * one_off_share
    if not one_off_share and rng.random() < 0.3:
        training = float(bc.one_off_training_cost) * rng.uniform(0.02, 0.06)  # refreshers
    run = float(bc.planned_monthly_run_cost) * demo.run_cost_factor * rng.uniform(0.92, 1.1)
    support = float(bc.planned_monthly_support_cost) * demo.support_cost_factor
    submitter = _submitter(demo, users, rng)
    return MonthlyReview(
        use_case=use_case,
        month=label,
        month_start=datetime.date(*month, 1),
        training_cost=_money(training),
        integration_cost=_money(integration),
        run_cost=_money(run),
        support_cost=_money(support * rng.uniform(0.85, 1.15)),
        maintenance_cost=_money(float(bc.planned_monthly_maintenance_cost) * rng.uniform(0.8, 1.2)),
        other_cost=_money(rng.uniform(0, 150)),
        submitted_by=submitter,
        updated_by=submitter,
    )


def seed_monthly_reviews(demo_cases, use_cases, users, cal, result: SeedResult) -> None:
    existing = set(
        MonthlyReview.objects.filter(use_case__in=use_cases.values()).values_list(
            "use_case_id", "month"
        )
    )
    business_cases = {
        bc.use_case_id: bc for bc in BusinessCase.objects.filter(use_case__in=use_cases.values())
    }
    new = []
    for demo in demo_cases:
        if demo.profile is None:
            continue
        use_case = use_cases[demo.name]
        span = _review_span(demo, use_case, cal, result)
        for month in _reviewed_months(demo, cal, span):
            if (use_case.pk, economics.format_month(*month)) in existing:
                continue
            bc = business_cases[use_case.pk]
            new.append(build_monthly_review(demo, use_case, bc, month, users))
    bulk_create_with_history(new, MonthlyReview, batch_size=500)
    result.created["monthly reviews"] = len(new)


def login_table(demo_users: Iterable[DemoUser]) -> str:
    """The demo logins as a plain-text table."""
    rows = [("username", "password", "role", "what to try")]
    rows += [(u.username, u.password, u.role, u.what_to_try) for u in demo_users]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
