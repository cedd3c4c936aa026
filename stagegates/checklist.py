"""Checklist evidence computed from the data (DESIGN.md "Value-leakage control checklist").

Ten of the fifteen items can be evidenced by data: T1, T3, A1, E1, E3, Q1, Q3, G1, G2, G3. For
each, ``checklist_evidence`` says what the data shows, in words, and suggests an answer
(``yes`` / ``partial`` / ``no``; ``None`` when the data cannot tell). The value owner's own
answer stays the record; the suggestion is shown beside it.

Rules (``today`` is ``usecases.clock.today()``):
- T1: business case baseline from production data → yes; from pilot/test data → no.
- T3: all three adoption scenarios filled → yes; some → partial; none → no.
- A1: weekly reviews (with target users) for the last 4 complete ISO weeks: 3–4 → yes,
  1–2 → partial, none → no. (The latest week's review may not be due yet.)
- E1: the same weeks, counting reviews where rework is measurable (tasks done with AI > 0).
- E3: monthly reviews for the last 3 complete months: all 3 and a plan to compare with (planned
  support cost or one-off integration cost in the business case) → yes; some → partial; none → no.
- Q1: active stop-loss rules that apply (the default policy, replaced per metric by the use
  case's own rules): at least one that sends to redesign → yes; only flag-only rules → partial;
  none → no.
- Q3: model/prompt changes logged and every recent weekly review names its version → yes; changes
  logged but some recent reviews name no version → partial; nothing logged → no.
- G1: a named value owner → yes; none → no.
- G2: overdue reviews (``reviews.cadence.overdue_count_by_use_case``): none → yes, one →
  partial, more → no; unknown (``None``) while the cadence module is not installed.
- G3: the latest gate decision → yes (naming gate and decision); never decided at a gate → no.

``checklist_evidence`` computes all of it for many use cases in a fixed number of queries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum

from reviews.models import MonthlyReview, RuleAction, StopLossRule, WeeklyReview
from usecases import clock, economics
from usecases.models import (
    CHECKLIST_SECTIONS,
    BaselineSource,
    BusinessCase,
    ChecklistAnswer,
    ChecklistItem,
    ModelChange,
    UseCase,
)
from usecases.templatetags.money import money

from .models import Decision

try:  # built by the cadence issue; G2 is "unknown" until it exists
    from reviews import cadence as _cadence
except ImportError:  # pragma: no cover - depends on the other issue
    _cadence = None

EVIDENCED_ITEMS = ("T1", "T3", "A1", "E1", "E3", "Q1", "Q3", "G1", "G2", "G3")
RECENT_WEEKS = 4
RECENT_MONTHS = 3
YES, PARTIAL, NO = "yes", "partial", "no"


@dataclass(frozen=True)
class Evidence:
    code: str
    text: str
    suggested: str | None  # "yes", "partial", "no" or None (unknown)


@dataclass(frozen=True)
class ChecklistStatusLine:
    code: str
    label: str
    section: str
    answer: str | None  # the value owner's answer
    answer_evidence: str
    data: Evidence | None  # None for the items without data evidence

    @property
    def differs(self) -> bool:
        """The owner's answer and the data's suggestion disagree."""
        return (
            self.data is not None
            and self.data.suggested is not None
            and self.answer is not None
            and self.answer != self.data.suggested
        )


def recent_weeks(today: datetime.date) -> list[datetime.date]:
    """Mondays of the last ``RECENT_WEEKS`` complete ISO weeks before ``today``, oldest first."""
    this_monday = today - datetime.timedelta(days=today.weekday())
    return [this_monday - datetime.timedelta(weeks=n) for n in range(RECENT_WEEKS, 0, -1)]


def recent_months(today: datetime.date) -> list[datetime.date]:
    """First days of the last ``RECENT_MONTHS`` complete months before ``today``, oldest first."""
    return [economics.add_months(today, -n) for n in range(RECENT_MONTHS, 0, -1)]


def _count_suggestion(count: int, yes_from: int) -> str:
    if count >= yes_from:
        return YES
    return PARTIAL if count > 0 else NO


def _overdue_counts(use_case_ids: list[int], today: datetime.date) -> dict[int, int] | None:
    """Overdue reviews per use case (one query), or None when the cadence module is not there."""
    if _cadence is None or not hasattr(_cadence, "overdue_count_by_use_case"):
        return None
    return _cadence.overdue_count_by_use_case(today=today, use_case_ids=use_case_ids)


def checklist_evidence(
    use_case_ids, *, today: datetime.date | None = None
) -> dict[int, dict[str, Evidence]]:
    """``{use_case_id: {item code: Evidence}}`` for the ten evidenced items.

    Seven queries whatever the number of use cases (plus the cadence module's own).
    """
    ids = list(use_case_ids)
    if not ids:
        return {}
    today = today or clock.today()
    weeks = recent_weeks(today)
    months = recent_months(today)

    use_cases = {
        row["pk"]: row
        for row in UseCase.objects.filter(pk__in=ids).values("pk", "value_owner_id", "stage")
    }
    business_cases = {
        bc.use_case_id: bc
        for bc in BusinessCase.objects.filter(use_case_id__in=ids).only(
            "use_case_id",
            "baseline_source",
            "adoption_pessimistic",
            "adoption_base",
            "adoption_optimistic",
            "planned_monthly_support_cost",
            "one_off_integration_cost",
        )
    }
    weekly = {
        row["use_case_id"]: row
        for row in WeeklyReview.objects.filter(use_case_id__in=ids, week_start__in=weeks)
        .order_by()
        .values("use_case_id")
        .annotate(
            n=Count("pk", filter=Q(target_users__gt=0)),
            n_rework=Count("pk", filter=Q(tasks_with_ai__gt=0)),
            n_total=Count("pk"),
            n_versioned=Count("pk", filter=Q(model_version__isnull=False)),
        )
    }
    monthly = {
        row["use_case_id"]: row
        for row in MonthlyReview.objects.filter(use_case_id__in=ids, month_start__in=months)
        .order_by()
        .values("use_case_id")
        .annotate(
            n=Count("pk"),
            support=Sum("support_cost"),
            integration=Sum("integration_cost"),
        )
    }
    rules: dict[int | None, list[tuple[str, str]]] = defaultdict(list)
    for uc_id, metric, action in (
        StopLossRule.objects.filter(Q(use_case__isnull=True) | Q(use_case_id__in=ids), active=True)
        .order_by()
        .values_list("use_case_id", "metric", "action")
    ):
        rules[uc_id].append((metric, action))
    changes = {
        row["use_case_id"]: row
        for row in ModelChange.objects.filter(use_case_id__in=ids)
        .order_by()
        .values("use_case_id")
        .annotate(n=Count("pk"), latest=Max("effective_date"))
    }
    last_decision: dict[int, tuple] = {}
    for uc_id, decision, quarter, decided_at in (
        Decision.objects.filter(item__use_case_id__in=ids)
        .order_by("decided_at", "pk")
        .values_list("item__use_case_id", "decision", "item__gate__quarter", "decided_at")
    ):
        last_decision[uc_id] = (decision, quarter, decided_at)
    overdue = _overdue_counts(ids, today)

    month_span = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}"
    week_span = f"{_week_label(weeks[0])} to {_week_label(weeks[-1])}"
    result = {}
    for uc_id in ids:
        if uc_id not in use_cases:
            continue
        bc = business_cases.get(uc_id)
        w = weekly.get(uc_id, {"n": 0, "n_rework": 0, "n_total": 0, "n_versioned": 0})
        m = monthly.get(uc_id, {"n": 0, "support": None, "integration": None})
        ev = {}

        if bc is None:
            ev["T1"] = Evidence("T1", "No business case yet.", NO)
            ev["T3"] = Evidence("T3", "No business case yet.", NO)
        else:
            production = bc.baseline_source == BaselineSource.PRODUCTION
            ev["T1"] = Evidence(
                "T1",
                f"Baseline source: {bc.get_baseline_source_display().lower()}.",
                YES if production else NO,
            )
            filled = sum(
                1
                for v in (bc.adoption_pessimistic, bc.adoption_base, bc.adoption_optimistic)
                if v > 0
            )
            ev["T3"] = Evidence(
                "T3",
                f"{filled} of 3 adoption scenarios filled in the business case.",
                YES if filled == 3 else (PARTIAL if filled else NO),
            )

        ev["A1"] = Evidence(
            "A1",
            f"Weekly reviews with active and target users for {w['n']} of the "
            f"{RECENT_WEEKS} weeks {week_span}.",
            _count_suggestion(w["n"], RECENT_WEEKS - 1),
        )
        ev["E1"] = Evidence(
            "E1",
            f"Rework measured (tasks done with AI) in {w['n_rework']} of the "
            f"{RECENT_WEEKS} weeks {week_span}.",
            _count_suggestion(w["n_rework"], RECENT_WEEKS - 1),
        )

        has_plan = bc is not None and (
            bc.planned_monthly_support_cost > 0 or bc.one_off_integration_cost > 0
        )
        e3_text = f"Monthly reviews for {m['n']} of the {RECENT_MONTHS} months {month_span}"
        if m["n"]:
            e3_text += f": support {money(m['support'])}, integration {money(m['integration'])}"
            if bc is not None:
                planned = bc.planned_monthly_support_cost * m["n"]
                e3_text += f" (planned support {money(planned)})"
        e3_text += "." if has_plan else "; the business case has no cost plan to compare with."
        if m["n"] >= RECENT_MONTHS and has_plan:
            e3 = YES
        elif m["n"]:
            e3 = PARTIAL
        else:
            e3 = NO
        ev["E3"] = Evidence("E3", e3_text, e3)

        own = rules.get(uc_id, [])
        own_metrics = {metric for metric, _ in own}
        applying = own + [(mt, ac) for mt, ac in rules.get(None, []) if mt not in own_metrics]
        redesign = sum(1 for _, action in applying if action == RuleAction.REDESIGN)
        ev["Q1"] = Evidence(
            "Q1",
            f"{len(applying)} active stop-loss rule(s) apply ({len(own)} specific to this use "
            f"case), {redesign} of them send it back to redesign.",
            YES if redesign else (PARTIAL if applying else NO),
        )

        c = changes.get(uc_id)
        if c is None:
            ev["Q3"] = Evidence("Q3", "No model/prompt change logged.", NO)
        else:
            text = (
                f"{c['n']} model/prompt change(s) logged, latest effective {c['latest']:%Y-%m-%d}; "
                f"{w['n_versioned']} of {w['n_total']} recent weekly reviews name the version."
            )
            ev["Q3"] = Evidence("Q3", text, YES if w["n_versioned"] == w["n_total"] else PARTIAL)

        owner_named = use_cases[uc_id]["value_owner_id"] is not None
        ev["G1"] = Evidence(
            "G1",
            "A value owner is named." if owner_named else "No value owner is named.",
            YES if owner_named else NO,
        )

        if overdue is None:
            ev["G2"] = Evidence("G2", "Overdue reviews are not tracked yet.", None)
        else:
            n = overdue.get(uc_id, 0)
            ev["G2"] = Evidence(
                "G2",
                "No review is overdue." if n == 0 else f"{n} review(s) overdue.",
                YES if n == 0 else (PARTIAL if n == 1 else NO),
            )

        last = last_decision.get(uc_id)
        if last is None:
            ev["G3"] = Evidence("G3", "No stage-gate decision recorded yet.", NO)
        else:
            decision, quarter, decided_at = last
            ev["G3"] = Evidence(
                "G3",
                f"Last decision: {decision} at gate {quarter} ({decided_at:%Y-%m-%d}).",
                YES,
            )
        result[uc_id] = ev
    return result


def checklist_status(
    use_case_ids, *, today: datetime.date | None = None
) -> dict[int, list[ChecklistStatusLine]]:
    """The 15 items of each use case: the owner's answer and the data evidence (8 queries)."""
    ids = list(use_case_ids)
    evidence = checklist_evidence(ids, today=today)
    answers: dict[int, dict[str, ChecklistAnswer]] = defaultdict(dict)
    for answer in ChecklistAnswer.objects.filter(use_case_id__in=ids):
        answers[answer.use_case_id][answer.item] = answer
    labels = dict(ChecklistItem.choices)
    result = {}
    for uc_id in ids:
        lines = []
        for section, (_title, codes) in CHECKLIST_SECTIONS.items():
            for code in codes:
                a = answers[uc_id].get(code)
                lines.append(
                    ChecklistStatusLine(
                        code=code,
                        label=labels[code],
                        section=section,
                        answer=a.answer if a else None,
                        answer_evidence=a.evidence if a else "",
                        data=evidence.get(uc_id, {}).get(code),
                    )
                )
        result[uc_id] = lines
    return result


def _week_label(monday: datetime.date) -> str:
    return economics.format_iso_week(*economics.iso_week_of(monday))
