"""The impact of a change-log entry (``reviews.change_impact``): the figures against a hand
computation (``impact_helpers``), "not enough weeks", the next change ending the weeks after, and
a fixed number of queries whatever the number of changes."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.change_impact import NOT_ENOUGH_AFTER, NOTHING_BEFORE, READY, change_impacts
from tests.conftest import make_use_case
from tests.factories import ModelChangeFactory, WeeklyReviewFactory
from usecases.models import ModelChange

from .impact_helpers import EFFECTIVE, HAND, impact_weeks, write_weeks

pytestmark = pytest.mark.django_db
PLACES = Decimal("1E-20")


def test_before_and_after_are_the_means_counted_by_hand():
    use_case = make_use_case()
    change = impact_weeks(use_case)
    impact = change_impacts([change])[change.pk]

    assert impact.status == READY, impact.message
    assert impact.effective_week == "2026-W46"
    assert impact.weeks_before == ("2026-W43", "2026-W44")
    assert impact.weeks_after == ("2026-W46", "2026-W47")
    found = {m.key: (m.before, m.after, m.difference) for m in impact.metrics}
    assert list(found) == list(HAND)
    for key, (before, after) in HAND.items():
        assert found[key][0].quantize(PLACES) == before.quantize(PLACES), key
        assert found[key][1].quantize(PLACES) == after.quantize(PLACES), key
        assert found[key][2].quantize(PLACES) == (after - before).quantize(PLACES), key


def test_the_table_says_it_in_words():
    use_case = make_use_case()
    change = impact_weeks(use_case)
    metrics = {m.key: m for m in change_impacts([change])[change.pk].metrics}
    adoption = metrics["adoption_rate"]
    assert (adoption.before_text, adoption.after_text, adoption.difference_text) == (
        "65.0%",
        "85.0%",
        "+20.0 pp",
    )
    assert adoption.direction == "better"
    assert metrics["rework_rate"].difference_text == "−5.0 pp"
    assert metrics["rework_rate"].direction == "better"  # less rework is better
    assert metrics["exception_share"].direction == "worse"
    assert metrics["quality_score"].difference_text == "+6.0"
    assert metrics["gross_efficiency_per_task"].after_text == "EUR 4.125"
    assert metrics["run_cost_per_task"].difference_text == "−EUR 0.176"  # 1.0625 − 1.238…


def test_fewer_than_two_weeks_after_is_not_enough_weeks_yet():
    use_case = make_use_case()
    write_weeks(
        use_case,
        {"2026-W44": (70, 700, 105, 30, "4", "84"), "2026-W46": (80, 800, 40, 10, "5", "90")},
    )
    change = ModelChangeFactory(use_case=use_case, effective_date=EFFECTIVE)
    impact = change_impacts([change])[change.pk]
    assert impact.status == NOT_ENOUGH_AFTER
    assert impact.metrics == ()
    assert impact.message == "Not enough weeks yet: 1 reviewed week since 2026-W46, 2 needed."


def test_the_next_change_ends_the_weeks_after():
    use_case = make_use_case()
    first = impact_weeks(use_case)
    second = ModelChangeFactory(
        use_case=use_case, version_label="prompt-v8", effective_date=datetime.date(2026, 11, 17)
    )
    impacts = change_impacts(ModelChange.objects.filter(use_case=use_case))
    assert impacts[first.pk].status == NOT_ENOUGH_AFTER
    assert impacts[first.pk].weeks_after == ("2026-W46",)
    assert "before the next change “prompt-v8”" in impacts[first.pk].message
    # The second one (W47) has W43–W46 before it and W47–W50 after it.
    assert impacts[second.pk].weeks_before == ("2026-W43", "2026-W44", "2026-W46")
    assert impacts[second.pk].weeks_after == ("2026-W47", "2026-W50")
    assert impacts[second.pk].status == READY


def test_no_week_before_is_nothing_to_compare_with():
    use_case = make_use_case()
    write_weeks(
        use_case,
        {"2026-W46": (80, 800, 40, 10, "5", "90"), "2026-W47": (90, 900, 90, 50, "6", "86")},
    )
    change = ModelChangeFactory(use_case=use_case, effective_date=EFFECTIVE)
    impact = change_impacts([change])[change.pk]
    assert impact.status == NOTHING_BEFORE
    assert "nothing to compare with" in impact.message


def test_a_week_without_tasks_with_ai_or_monthly_review_has_no_per_task_value():
    use_case = make_use_case()
    change = impact_weeks(use_case)
    WeeklyReviewFactory(use_case=use_case, week="2026-W45", tasks_with_ai=0, reworked_outputs=0)
    metrics = {m.key: m for m in change_impacts([change])[change.pk].metrics}
    # W45 has no task with AI: it counts for adoption, not for the per-task figures.
    assert metrics["gross_efficiency_per_task"].before == HAND["gross_efficiency_per_task"][0]
    assert metrics["adoption_rate"].before != HAND["adoption_rate"][0]


def test_queries_do_not_grow_with_the_number_of_changes():
    def count(n):
        use_case = make_use_case(name=f"Use case with {n} changes")
        write_weeks(use_case)
        for i in range(n):
            ModelChangeFactory(
                use_case=use_case,
                version_label=f"v{n}-{i}",
                effective_date=EFFECTIVE + datetime.timedelta(days=7 * i),
            )
        changes = list(ModelChange.objects.filter(use_case=use_case))
        with CaptureQueriesContext(connection) as queries:
            impacts = change_impacts(changes)
        assert len(impacts) == n
        return len(queries)

    assert count(1) == count(5) == 3
