"""stagegates.checklist: data evidence and suggested answers for T1, T3, A1, E1, E3, Q1, Q3, G1,
G2, G3, for many use cases in a fixed number of queries.

Today is Wednesday 2026-11-25: the last 4 complete ISO weeks are 2026-W44..W47, the last 3
complete months 2026-08..2026-10.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import StopLossRule
from stagegates import checklist, services
from stagegates.models import Decision
from tests.conftest import make_use_case
from usecases.models import BusinessCase, ChecklistAnswer, ModelChange

from .helpers import TODAY, item_of, monthly, weekly

pytestmark = pytest.mark.django_db

RECENT = ("2026-W44", "2026-W45", "2026-W46", "2026-W47")


def suggested(evidence):
    return {code: e.suggested for code, e in evidence.items()}


def test_windows():
    assert [f"{d:%Y-%m-%d}" for d in checklist.recent_weeks(TODAY)] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    assert [f"{d:%Y-%m}" for d in checklist.recent_months(TODAY)] == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]


def test_a_well_run_use_case(owner, leader, pmo):
    uc = make_use_case(
        "Well run", owner=owner, live_since=datetime.date(2026, 10, 26), stage="rollout"
    )
    BusinessCase.objects.filter(use_case=uc).update(baseline_source="production")
    change = ModelChange.objects.create(
        use_case=uc, version_label="v1", kind="prompt", effective_date=datetime.date(2026, 10, 1)
    )
    for week in RECENT:
        weekly(uc, week, model_version=change)
    for month in ("2026-08", "2026-09", "2026-10"):
        monthly(uc, month)
    gate = services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q3",
            "opens_on": datetime.date(2026, 9, 1),
            "closes_on": datetime.date(2026, 9, 30),
            "chair": leader,
        },
    )
    Decision.objects.create(
        item=item_of(gate, uc),
        decision="scale",
        outcome="scale",
        decided_by=leader,
        decided_at=datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.UTC),
    )

    evidence = checklist.checklist_evidence([uc.pk])[uc.pk]

    assert suggested(evidence) == dict.fromkeys(checklist.EVIDENCED_ITEMS, "yes")
    assert evidence["A1"].text == (
        "Weekly reviews with active and target users for 4 of the 4 weeks 2026-W44 to 2026-W47."
    )
    assert "EUR 2,400.00" in evidence["E3"].text  # 3 × 800 support, as planned
    assert evidence["Q1"].text.startswith("2 active stop-loss rule(s) apply (0 specific")
    assert evidence["G3"].text == "Last decision: scale at gate 2026-Q3 (2026-10-01)."


def test_a_neglected_use_case(db):
    uc = make_use_case("Neglected", stage="rollout")  # no owner, pilot baseline, no reviews
    BusinessCase.objects.filter(use_case=uc).update(adoption_optimistic=D(0))
    weekly(uc, "2026-W46", tasks_with_ai=0)
    StopLossRule.objects.filter(use_case__isnull=True).update(active=False)

    evidence = checklist.checklist_evidence([uc.pk])[uc.pk]

    assert suggested(evidence) == {
        "T1": "no",
        "T3": "partial",
        "A1": "partial",
        "E1": "no",
        "E3": "no",
        "Q1": "no",
        "Q3": "no",
        "G1": "no",
        "G2": "no",  # live since 2026-06-01 and almost nothing submitted
        "G3": "no",
    }
    assert "0 of the 3 months" in evidence["E3"].text


def test_flag_only_rules_and_unversioned_reviews_are_partial(db):
    uc = make_use_case("Half", stage="rollout")
    StopLossRule.objects.filter(use_case__isnull=True).update(action="flag_only")
    ModelChange.objects.create(
        use_case=uc, version_label="v1", kind="model", effective_date=datetime.date(2026, 11, 20)
    )
    weekly(uc, "2026-W47")  # names no version
    evidence = checklist.checklist_evidence([uc.pk])[uc.pk]
    assert (evidence["Q1"].suggested, evidence["Q3"].suggested) == ("partial", "partial")


def test_checklist_status_puts_answers_beside_the_data(owner, use_case):
    ChecklistAnswer.objects.create(use_case=use_case, item="T1", answer="yes", evidence="trust me")
    lines = checklist.checklist_status([use_case.pk])[use_case.pk]
    assert [line.code for line in lines][:4] == ["T1", "T2", "T3", "A1"]
    t1, t2 = lines[0], lines[1]
    assert (t1.answer, t1.data.suggested, t1.differs) == ("yes", "no", True)
    assert (t2.answer, t2.data, t2.differs) == (None, None, False)


def test_queries_do_not_grow_with_use_cases(owner):
    def count(ids):
        with CaptureQueriesContext(connection) as ctx:
            checklist.checklist_status(ids)
        return len(ctx.captured_queries)

    first = make_use_case("First", owner=owner)
    one = count([first.pk])
    ids = [first.pk]
    for n in range(10):
        uc = make_use_case(f"UC {n}", owner=owner)
        weekly(uc, "2026-W47")
        monthly(uc, "2026-10")
        ChecklistAnswer.objects.create(use_case=uc, item="A1", answer="no")
        ids.append(uc.pk)
    assert count(ids) == one
