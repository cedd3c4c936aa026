"""/api/v1/use-cases/{id}/economics/: the engine's figures over a run of months.

The main test spans September–November 2026 with two weeks that straddle months:
2026-W36 (Mon 31 Aug – Sun 6 Sep, Thursday 3 Sep → September) and 2026-W44 (Mon 26 Oct –
Sun 1 Nov, Thursday 29 Oct → October). 2026-W35 (Thursday 27 Aug) and the August monthly
review lie outside the range.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from usecases import economics
from usecases.models import BusinessCase
from usecases.serializers import money

from .conftest import ROLES, make_monthly, make_weekly

pytestmark = pytest.mark.django_db

# week -> (tasks_total, tasks_with_ai, reworked_outputs, minutes_saved, rework_minutes)
WEEKS = {
    "2026-W35": (900, 700, 50, "2.00", "5.00"),
    "2026-W36": (1000, 800, 80, "2.50", "6.00"),
    "2026-W40": (1000, 800, 60, "2.50", "4.00"),
    "2026-W44": (950, 600, 90, "3.00", "7.50"),
    "2026-W45": (1100, 900, 120, "2.75", "6.00"),
    "2026-W48": (1200, 1000, 100, "3.10", "5.25"),
}
# The month each week belongs to (its Thursday), written out by hand.
WEEK_MONTH = {
    "2026-W35": (2026, 8),
    "2026-W36": (2026, 9),
    "2026-W40": (2026, 10),
    "2026-W44": (2026, 10),
    "2026-W45": (2026, 11),
    "2026-W48": (2026, 11),
}
# month -> (training, support, integration, run, maintenance, other)
MONTHS = {
    "2026-08": ("100.00", "200.00", "0.00", "900.00", "50.00", "0.00"),
    "2026-09": ("500.00", "800.00", "300.00", "1200.00", "400.00", "100.00"),
    "2026-10": ("250.00", "750.00", "0.00", "1300.00", "420.00", "35.50"),
    "2026-11": ("0.00", "700.00", "1000.00", "1250.00", "380.00", "0.00"),
}
COSTS = ("training_cost", "support_cost", "integration_cost", "run_cost", "maintenance_cost")


def url(use_case, query=""):
    return f"/api/v1/use-cases/{use_case.pk}/economics/{query}"


@pytest.fixture
def reviewed(use_case, owner):
    use_case.scaled_on = datetime.date(2026, 8, 15)  # 90-day months: Sep, Oct, Nov
    use_case.save()
    for week, (total, with_ai, reworked, saved, rework) in WEEKS.items():
        make_weekly(
            use_case,
            week,
            owner,
            tasks_total=total,
            tasks_with_ai=with_ai,
            reworked_outputs=reworked,
            exceptions=10,
            minutes_saved_per_task=Decimal(saved),
            rework_minutes_per_output=Decimal(rework),
        )
    for month, costs in MONTHS.items():
        make_monthly(
            use_case,
            month,
            owner,
            **dict(zip((*COSTS, "other_cost"), map(Decimal, costs), strict=True)),
        )
    return use_case


def week_figures(week):
    total, with_ai, reworked, saved, rework = WEEKS[week]
    return economics.WeekFigures(
        active_users=70,
        target_users=100,
        tasks_total=total,
        tasks_with_ai=with_ai,
        reworked_outputs=reworked,
        exceptions=10,
        minutes_saved_per_task=Decimal(saved),
        rework_minutes_per_output=Decimal(rework),
    )


def month_costs(month):
    values = dict(zip((*COSTS, "other_cost"), map(Decimal, MONTHS[month]), strict=True))
    return economics.MonthCosts(**values)


def expected_month(year_month):
    """The month's totals, summed in Python from the same inputs (not through SQL)."""
    label = economics.format_month(*year_month)
    weeks = [week_figures(w) for w, m in WEEK_MONTH.items() if m == year_month]
    costs = [month_costs(label)] if label in MONTHS else []
    return economics.PeriodTotals.from_weeks_and_costs(weeks, costs)


def test_economics_equal_the_engine_over_three_months(api_for, reviewed):
    response = api_for("leader").get(url(reviewed, "?start=2026-09&end=2026-11"))
    assert response.status_code == 200
    body = response.json()

    bc = BusinessCase.objects.get(use_case=reviewed).inputs()
    months = [(2026, 9), (2026, 10), (2026, 11)]
    per_month = {m: expected_month(m) for m in months}
    totals = sum(per_month.values(), economics.PeriodTotals())
    figures = economics.period_figures(totals, bc)
    ninety = economics.net_value_90_days(
        datetime.date(2026, 8, 15),
        {m: economics.period_figures(per_month[m], bc).net_value for m in months},
    )

    assert body == {
        "start": "2026-09",
        "end": "2026-11",
        "gross_efficiency": money(figures.gross_efficiency),
        "translation_gap": money(figures.translation_gap),
        "absorption_cost": money(figures.absorption_cost),
        "net_value": money(figures.net_value),
        "waterfall": [
            {"step": s.step, "leakage_point": s.leakage_point, "amount": money(s.amount)}
            for s in economics.waterfall(totals, bc)
        ],
        "net_value_90_days": {
            "status": "complete",
            "value": money(ninety.value),
            "months_available": 3,
        },
        "by_month": [
            {
                "month": economics.format_month(*m),
                "gross_efficiency": money(f.gross_efficiency),
                "translation_gap": money(f.translation_gap),
                "absorption_cost": money(f.absorption_cost),
                "net_value": money(f.net_value),
            }
            for m in months
            for f in [economics.period_figures(per_month[m], bc)]
        ],
    }


def test_straddling_week_counts_in_the_month_of_its_thursday(api_for, reviewed):
    """By hand, H = 45: October = W40 (800 × 2.50 = 2000 min) + W44 (600 × 3.00 = 1800 min)
    = 3800 min = 2850.00; November = W45 (900 × 2.75 = 2475) + W48 (1000 × 3.10 = 3100)
    = 5575 min = 4181.25; September = W36 only (800 × 2.50 = 2000 min) = 1500.00."""
    body = api_for("owner").get(url(reviewed, "?start=2026-09&end=2026-11")).json()
    gross = {row["month"]: row["gross_efficiency"] for row in body["by_month"]}
    assert gross == {"2026-09": "1500.00", "2026-10": "2850.00", "2026-11": "4181.25"}
    assert body["gross_efficiency"] == "8531.25"
    # October's absorption: rework (60 × 4.00 + 90 × 7.50 = 915 min = 686.25) + costs 2755.50.
    october = body["by_month"][1]
    assert october["absorption_cost"] == "3441.75"
    # R = 0.5: net = 2850.00 × 0.5 − 3441.75
    assert october["net_value"] == "-2016.75"
    assert october["translation_gap"] == "1425.00"


def test_waterfall_runs_from_promise_to_net_value(api_for, reviewed):
    body = api_for("owner").get(url(reviewed, "?start=2026-10&end=2026-10")).json()
    steps = body["waterfall"]
    assert [s["step"] for s in steps] == [
        "pilot_promise",
        "adoption_gap",
        "effort_gap",
        "gross_efficiency",
        "translation_gap",
        "rework",
        "integration",
        "support",
        "training",
        "run",
        "maintenance",
        "other",
        "net_value",
    ]
    # Promise: (1000 + 950) tasks × 12 × 0.30 = 7020 min × 45 / 60 = 5265.00
    assert steps[0] == {"step": "pilot_promise", "leakage_point": None, "amount": "5265.00"}
    assert steps[1]["leakage_point"] == "adoption"
    assert steps[4]["leakage_point"] == "translation"
    assert steps[9] == {"step": "run", "leakage_point": "control", "amount": "1300.00"}
    assert steps[-1]["amount"] == body["net_value"]
    assert steps[3]["amount"] == body["gross_efficiency"]


def test_default_range_is_the_last_three_complete_months(api_for, reviewed):
    body = api_for("owner").get(url(reviewed)).json()
    assert (body["start"], body["end"]) == ("2026-08", "2026-10")
    assert [row["month"] for row in body["by_month"]] == ["2026-08", "2026-09", "2026-10"]


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ("?start=2026-01", "2026-01", "2026-10"),
        ("?end=2026-06", "2026-04", "2026-06"),
        ("?start=2023-02&end=2026-01", "2023-02", "2026-01"),  # 36 months: the maximum
        ("?start=2026-11&end=2026-11", "2026-11", "2026-11"),
        ("?start=&end=", "2026-08", "2026-10"),  # empty parameters mean the default
    ],
)
def test_partial_ranges(query, start, end, api_for, reviewed):
    response = api_for("owner").get(url(reviewed, query))
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == (start, end)
    assert body["by_month"][0]["month"] == start
    assert body["by_month"][-1]["month"] == end


def test_months_without_reviews_show_zeros(api_for, use_case):
    body = api_for("owner").get(url(use_case, "?start=2026-01&end=2026-02")).json()
    assert body["by_month"] == [
        {
            "month": month,
            "gross_efficiency": "0.00",
            "translation_gap": "0.00",
            "absorption_cost": "0.00",
            "net_value": "0.00",
        }
        for month in ("2026-01", "2026-02")
    ]
    assert body["net_value_90_days"] == {
        "status": "not_scaled",
        "value": None,
        "months_available": 0,
    }


def test_ninety_days_pending_until_every_month_has_a_monthly_review(api_for, reviewed):
    reviewed_months = reviewed.monthly_reviews.filter(month="2026-11")
    reviewed_months.delete()
    body = api_for("owner").get(url(reviewed, "?start=2026-09&end=2026-11")).json()
    assert body["net_value_90_days"] == {"status": "pending", "value": None, "months_available": 2}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?start=2026-13", "start"),
        ("?start=2026-W44", "start"),
        ("?end=26-10", "end"),
        ("?start=0000-01&end=2026-01", "start"),
        ("?start=2026-11&end=2026-09", "start"),  # starts after it ends
        ("?start=2023-01&end=2026-01", "end"),  # 37 months
    ],
)
def test_bad_ranges_are_400_with_a_field_message(query, field, api_for, use_case):
    response = api_for("owner").get(url(use_case, query))
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0]


STATUS = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 200,
    "contributor": 200,
    "leader": 200,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_economics_per_role(role, api_for, use_case):
    assert api_for(role).get(url(use_case)).status_code == STATUS[role]


def test_contributor_of_another_use_case_gets_404(api_for, other_use_case):
    assert api_for("contributor").get(url(other_use_case)).status_code == 404


def _queries(api, path):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_range_or_reviews(api_for, use_case, owner):
    """Per request: session, user, groups, owns-a-use-case, the use case; then the selector's
    business case, weekly sums and monthly sums (which also say which of the 90-day months have
    a monthly review: the range read spans them).
    """
    use_case.scaled_on = datetime.date(2026, 8, 15)
    use_case.save()
    api = api_for("owner")
    api.get(url(use_case))  # warm-up
    few = _queries(api, url(use_case, "?start=2026-10&end=2026-10"))
    for week in range(18, 49):
        make_weekly(use_case, f"2026-W{week:02d}", owner)
    for month in range(1, 12):
        make_monthly(use_case, f"2026-{month:02d}", owner)
    many = _queries(api, url(use_case, "?start=2023-12&end=2026-11"))
    assert few == many == 8
