"""The economics engine against hand-computed DESIGN.md examples, edge cases and properties.

Plain pytest; no database. The running example's business case:
M = 12 min, e = 0.25 (so the pilot promised M × e = 3 min per task), H = 48.00 (0.80 per minute),
R = 0.75, baseline 1000 tasks/week, adoption 0.50 / 0.70 / 0.90, planned monthly run 520 +
support 260 + maintenance 260 = 1040 (× 12 / 52 = 240 per week), one-offs 5000 + 2000.
"""

import datetime
import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usecases.economics import (
    BusinessCaseInputs,
    MonthCosts,
    NinetyDayValue,
    PeriodFigures,
    PeriodTotals,
    ScenarioForecast,
    WaterfallStep,
    WeekFigures,
    WeekMetrics,
    WeightedTotals,
    adoption_rate,
    exception_share,
    format_iso_week,
    format_month,
    iso_week_bounds,
    iso_week_of,
    iso_weeks_of_month,
    month_bounds,
    month_of_iso_week,
    months_between,
    net_value_90_days,
    ninety_day_months,
    parse_iso_week,
    parse_month,
    period_figures,
    rework_rate,
    scenario_forecasts,
    waterfall,
    week_gross_efficiency,
    week_metrics,
    week_rework_cost,
    weighted,
    weighted_figures,
    weighted_waterfall,
)

CENT = Decimal("0.01")
D = Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def business_case(**overrides) -> BusinessCaseInputs:
    values = dict(
        baseline_tasks_per_week=D(1000),
        baseline_minutes_per_task=D(12),
        pilot_effort_reduction=D("0.25"),
        hourly_cost=D("48.00"),
        reclaimable_share=D("0.75"),
        adoption_pessimistic=D("0.50"),
        adoption_base=D("0.70"),
        adoption_optimistic=D("0.90"),
        planned_monthly_run_cost=D("520.00"),
        planned_monthly_support_cost=D("260.00"),
        planned_monthly_maintenance_cost=D("260.00"),
        one_off_integration_cost=D("5000.00"),
        one_off_training_cost=D("2000.00"),
    )
    values.update(overrides)
    return BusinessCaseInputs(**values)


# Week A: 500 tasks; 400 with AI save 2.5 min each (pilot: 3); 40 reworked at 6 min each.
WEEK_A = WeekFigures(
    active_users=45,
    target_users=60,
    tasks_total=500,
    tasks_with_ai=400,
    reworked_outputs=40,
    exceptions=25,
    minutes_saved_per_task=D("2.5"),
    rework_minutes_per_output=D(6),
)
# Week B: 600 tasks; 450 with AI save 3.5 min each (pilot: 3); 30 reworked at 5 min each.
WEEK_B = WeekFigures(
    active_users=50,
    target_users=60,
    tasks_total=600,
    tasks_with_ai=450,
    reworked_outputs=30,
    exceptions=10,
    minutes_saved_per_task=D("3.5"),
    rework_minutes_per_output=D(5),
)
COSTS = MonthCosts(
    training_cost=D("100.00"),
    support_cost=D("150.00"),
    integration_cost=D("200.00"),
    run_cost=D("120.00"),
    maintenance_cost=D("80.00"),
    other_cost=D("50.00"),
)  # 100 + 150 + 200 + 120 + 80 + 50 = 700.00


# --- per weekly review ------------------------------------------------------------------------


def test_adoption_rate():
    assert adoption_rate(45, 60) == D("0.75")  # 45 / 60
    assert cents(adoption_rate(2, 3)) == D("0.67")  # 2 / 3 = 0.666…


def test_adoption_rate_is_zero_without_target_users():
    assert adoption_rate(5, 0) == 0


def test_adoption_rate_may_exceed_one():
    assert adoption_rate(66, 60) == D("1.1")  # 66 / 60


def test_rework_rate():
    assert rework_rate(40, 400) == D("0.1")  # 40 / 400


def test_rework_rate_is_zero_without_tasks_with_ai():
    assert rework_rate(0, 0) == 0
    assert rework_rate(3, 0) == 0


def test_exception_share():
    assert exception_share(25, 500) == D("0.05")  # 25 / 500


def test_exception_share_is_zero_without_tasks():
    assert exception_share(0, 0) == 0


def test_week_gross_efficiency():
    # 400 tasks × 2.5 min / 60 × 48.00 = 1000 min × 0.80 = 800.00
    assert week_gross_efficiency(400, D("2.5"), D("48.00")) == D("800.00")
    # 400 tasks × 6 min / 60 × 45.00 = 2400 min × 0.75 = 1800.00
    assert week_gross_efficiency(400, 6, D("45.00")) == D("1800.00")


def test_week_gross_efficiency_repeating_decimal():
    # 7 tasks × 1 min / 60 × 50.00 = 350 / 60 = 5.8333…
    assert cents(week_gross_efficiency(7, 1, D("50.00"))) == D("5.83")


def test_week_gross_efficiency_without_tasks_with_ai():
    assert week_gross_efficiency(0, D("2.5"), D("48.00")) == 0


def test_week_rework_cost():
    # 40 outputs × 6 min / 60 × 48.00 = 240 min × 0.80 = 192.00
    assert week_rework_cost(40, 6, D("48.00")) == D("192.00")
    # 1 output × 1 min / 60 × 50.00 = 0.8333…
    assert cents(week_rework_cost(1, 1, D("50.00"))) == D("0.83")


def test_week_metrics():
    assert week_metrics(WEEK_A, D("48.00")) == WeekMetrics(
        adoption_rate=D("0.75"),  # 45 / 60
        rework_rate=D("0.1"),  # 40 / 400
        exception_share=D("0.05"),  # 25 / 500
        gross_efficiency=D("800"),  # 400 × 2.5 / 60 × 48.00
        rework_cost=D("192"),  # 40 × 6 / 60 × 48.00
    )


def test_week_metrics_of_a_week_without_ai_or_users():
    week = WeekFigures(0, 0, 0, 0, 0, 0, D(0), D(0))
    assert week_metrics(week, D("48.00")) == WeekMetrics(D(0), D(0), D(0), D(0), D(0))


def test_repeating_weekly_figures_add_up_to_the_cent():
    # each week: 7 × 1 / 60 × 50.00 = 5.8333…, shown as 5.83; three weeks: 21 / 60 × 50 = 17.50
    weeks = [week_gross_efficiency(7, 1, D("50.00")) for _ in range(3)]
    assert cents(sum(weeks)) == D("17.50")  # not 3 × 5.83 = 17.49


def test_inputs_accept_ints_strings_and_floats_without_binary_rounding():
    assert week_gross_efficiency(10, 0.3, 60) == D(3)  # 10 × 0.3 / 60 × 60 (float 0.3 is 3/10)
    assert week_gross_efficiency("10", "0.3", "60") == D(3)
    bc = business_case(pilot_effort_reduction=0.25)
    assert bc.pilot_effort_reduction == D("0.25")
    with pytest.raises(TypeError):
        week_gross_efficiency(None, 1, 1)
    with pytest.raises(ValueError):
        week_gross_efficiency(1, "abc", 1)
    with pytest.raises(ValueError):
        week_gross_efficiency(1, D("NaN"), 1)


# --- ISO weeks and months ---------------------------------------------------------------------


def test_week_spanning_two_months_belongs_to_the_month_of_its_thursday():
    # 2026-W44 runs Mon 26 Oct – Sun 1 Nov 2026; Thursday 29 Oct → October
    assert iso_week_bounds(2026, 44) == (datetime.date(2026, 10, 26), datetime.date(2026, 11, 1))
    assert month_of_iso_week(2026, 44) == (2026, 10)


def test_week_with_its_thursday_in_the_next_month_and_year():
    # 2025-W01 runs Mon 30 Dec 2024 – Sun 5 Jan 2025; Thursday 2 Jan 2025 → January 2025
    assert iso_week_bounds(2025, 1) == (datetime.date(2024, 12, 30), datetime.date(2025, 1, 5))
    assert month_of_iso_week(2025, 1) == (2025, 1)


def test_week_with_its_thursday_in_the_earlier_month():
    # 2026-W53 runs Mon 28 Dec 2026 – Sun 3 Jan 2027; Thursday 31 Dec 2026 → December 2026
    assert iso_week_bounds(2026, 53) == (datetime.date(2026, 12, 28), datetime.date(2027, 1, 3))
    assert month_of_iso_week(2026, 53) == (2026, 12)


def test_parse_iso_week():
    assert parse_iso_week("2026-W47") == (2026, 47)
    assert parse_iso_week("2026-W01") == (2026, 1)
    assert parse_iso_week("2020-W53") == (2020, 53)  # 2020 began on a Wednesday and was a leap year
    assert parse_iso_week("2026-W53") == (2026, 53)  # 2026 begins on a Thursday: 53 ISO weeks


@pytest.mark.parametrize(
    "text",
    [
        "2025-W53",  # 2025 has 52 ISO weeks
        "2027-W53",  # 2027 has 52 ISO weeks
        "2026-W00",
        "2026-W54",
        "2026-W5",
        "2026-w05",
        "2026W05",
        "26-W05",
        "0000-W01",
        "2026-W05\n",
        " 2026-W05",
        "abc",
        "",
    ],
)
def test_parse_iso_week_rejects(text):
    with pytest.raises(ValueError, match="ISO week"):
        parse_iso_week(text)


def test_parse_iso_week_error_names_the_valid_range():
    with pytest.raises(ValueError, match="2027 has weeks 01-52"):
        parse_iso_week("2027-W53")


def test_parse_iso_week_rejects_non_strings():
    with pytest.raises(ValueError):
        parse_iso_week(None)


def test_format_iso_week():
    assert format_iso_week(2026, 7) == "2026-W07"
    assert format_iso_week(2026, 47) == "2026-W47"
    assert parse_iso_week(format_iso_week(2020, 53)) == (2020, 53)
    with pytest.raises(ValueError):
        format_iso_week(2027, 53)


def test_iso_week_of():
    assert iso_week_of(datetime.date(2026, 11, 1)) == (2026, 44)  # a Sunday
    assert iso_week_of(datetime.date(2024, 12, 30)) == (2025, 1)


def test_iso_weeks_of_month():
    # Thursdays of October 2026: 1, 8, 15, 22, 29 → W40–W44
    assert iso_weeks_of_month(2026, 10) == [(2026, w) for w in range(40, 45)]
    # Thursdays of January 2025: 2, 9, 16, 23, 30 → W01–W05 (W01 starts 30 Dec 2024)
    assert iso_weeks_of_month(2025, 1) == [(2025, w) for w in range(1, 6)]
    # Thursdays of December 2026: 3, 10, 17, 24, 31 → W49–W53
    assert iso_weeks_of_month(2026, 12) == [(2026, w) for w in range(49, 54)]
    # Thursdays of February 2026: 5, 12, 19, 26 → W06–W09
    assert iso_weeks_of_month(2026, 2) == [(2026, w) for w in range(6, 10)]


def test_parse_and_format_month():
    assert parse_month("2026-11") == (2026, 11)
    assert parse_month("2026-01") == (2026, 1)
    assert format_month(2026, 11) == "2026-11"
    assert format_month(2026, 3) == "2026-03"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "2026/11", "0000-01", "abc", ""])
def test_parse_month_rejects(text):
    with pytest.raises(ValueError, match="month"):
        parse_month(text)


def test_format_month_rejects_a_bad_month():
    with pytest.raises(ValueError):
        format_month(2026, 13)


def test_months_between_is_inclusive_and_crosses_years():
    assert months_between((2026, 11), (2027, 2)) == [(2026, 11), (2026, 12), (2027, 1), (2027, 2)]
    assert months_between((2026, 5), (2026, 5)) == [(2026, 5)]
    assert months_between((2026, 5), (2026, 4)) == []


def test_month_bounds():
    assert month_bounds(2028, 2) == (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))


# --- a month or a run of months ---------------------------------------------------------------


def test_period_totals_from_weeks_and_costs():
    totals = PeriodTotals.from_weeks_and_costs([WEEK_A, WEEK_B], [COSTS])
    assert totals == PeriodTotals(
        tasks_total=D(1100),  # 500 + 600
        tasks_with_ai=D(850),  # 400 + 450
        ai_minutes_saved=D(2575),  # 400 × 2.5 + 450 × 3.5 = 1000 + 1575
        rework_minutes=D(390),  # 40 × 6 + 30 × 5 = 240 + 150
        training_cost=D(100),
        support_cost=D(150),
        integration_cost=D(200),
        run_cost=D(120),
        maintenance_cost=D(80),
        other_cost=D(50),
    )
    assert totals.costs == D(700)


def test_period_totals_add_field_wise():
    week_a = PeriodTotals.from_weeks_and_costs([WEEK_A], [COSTS])
    week_b = PeriodTotals.from_weeks_and_costs([WEEK_B], [COSTS])
    both = PeriodTotals.from_weeks_and_costs([WEEK_A, WEEK_B], [COSTS, COSTS])
    assert week_a + week_b == both
    assert sum([week_a, week_b]) == both
    assert sum([], PeriodTotals()) == PeriodTotals()


def test_period_totals_treat_sql_null_as_zero():
    totals = PeriodTotals(tasks_total=None, ai_minutes_saved=None, run_cost=None)
    assert totals == PeriodTotals()
    assert MonthCosts(run_cost=None) == MonthCosts()


def test_period_figures():
    totals = PeriodTotals.from_weeks_and_costs([WEEK_A, WEEK_B], [COSTS])
    assert period_figures(totals, business_case()) == PeriodFigures(
        gross_efficiency=D("2060.00"),  # 2575 min / 60 × 48.00 = 2575 × 0.80
        translation_gap=D("515.00"),  # 2060 × (1 − 0.75)
        absorption_cost=D("1012.00"),  # rework 312 + costs 700
        net_value=D("533.00"),  # 2060 × 0.75 − 1012 = 1545 − 1012
        rework_cost=D("312.00"),  # 390 min / 60 × 48.00 = 390 × 0.80
    )


def test_period_figures_of_an_empty_period():
    assert period_figures(PeriodTotals(), business_case()) == PeriodFigures(*[D(0)] * 5)


def test_period_figures_with_costs_only_are_negative():
    totals = PeriodTotals(run_cost=D("99.99"))
    figures = period_figures(totals, business_case())
    assert figures.absorption_cost == D("99.99")
    assert figures.net_value == D("-99.99")  # 0 × 0.75 − 99.99


def test_period_figures_repeating_decimal():
    # H = 50.00: 700 min / 60 × 50 = 583.333…; translation 583.33… × 0.1 = 58.333…
    # rework 13 min / 60 × 50 = 10.8333…; absorption 10.8333… + 1.00 = 11.8333…
    # net 583.33… × 0.9 − 11.8333… = 525 − 11.8333… = 513.1666…
    totals = PeriodTotals(ai_minutes_saved=D(700), rework_minutes=D(13), other_cost=D(1))
    figures = period_figures(totals, business_case(hourly_cost=D(50), reclaimable_share=D("0.9")))
    assert cents(figures.gross_efficiency) == D("583.33")
    assert cents(figures.translation_gap) == D("58.33")
    assert cents(figures.rework_cost) == D("10.83")
    assert cents(figures.absorption_cost) == D("11.83")
    assert cents(figures.net_value) == D("513.17")


def test_waterfall_when_production_beats_the_pilot():
    totals = PeriodTotals.from_weeks_and_costs([WEEK_A, WEEK_B], [COSTS])
    assert waterfall(totals, business_case()) == [
        WaterfallStep(
            "pilot_promise", None, D("2640.00")
        ),  # 1100 × 12 × 0.25 / 60 × 48 = 3300 × 0.8
        WaterfallStep("adoption_gap", "adoption", D("600.00")),  # (1100 − 850) × 3 × 0.80
        # 850 × 3 − 2575 = 2550 − 2575 = −25 min × 0.80: production saved more than promised
        WaterfallStep("effort_gap", "execution", D("-20.00")),
        WaterfallStep("gross_efficiency", None, D("2060.00")),  # 2640 − 600 − (−20)
        WaterfallStep("translation_gap", "translation", D("515.00")),  # 2060 × 0.25
        WaterfallStep("rework", "execution", D("312.00")),  # 390 × 0.80
        WaterfallStep("integration", "execution", D("200.00")),
        WaterfallStep("support", "execution", D("150.00")),
        WaterfallStep("training", "adoption", D("100.00")),
        WaterfallStep("run", "control", D("120.00")),
        WaterfallStep("maintenance", "control", D("80.00")),
        WaterfallStep("other", "control", D("50.00")),
        # 2060 − 515 − 312 − 200 − 150 − 100 − 120 − 80 − 50 = 533
        WaterfallStep("net_value", None, D("533.00")),
    ]


def test_waterfall_when_production_falls_short_of_the_pilot():
    totals = PeriodTotals.from_weeks_and_costs([WEEK_A], [])
    steps = {s.step: s.amount for s in waterfall(totals, business_case())}
    assert steps["pilot_promise"] == D("1200.00")  # 500 × 3 min × 0.80
    assert steps["adoption_gap"] == D("240.00")  # (500 − 400) × 3 × 0.80
    assert steps["effort_gap"] == D("160.00")  # 400 × (3 − 2.5) × 0.80
    assert steps["gross_efficiency"] == D("800.00")  # 1200 − 240 − 160
    assert steps["translation_gap"] == D("200.00")  # 800 × 0.25
    assert steps["rework"] == D("192.00")  # 40 × 6 × 0.80
    assert steps["net_value"] == D("408.00")  # 800 − 200 − 192


def test_waterfall_totals_have_no_leakage_point():
    steps = waterfall(PeriodTotals(), business_case())
    assert [s.step for s in steps if s.is_total] == [
        "pilot_promise",
        "gross_efficiency",
        "net_value",
    ]
    assert {s.leakage_point for s in steps if not s.is_total} == {
        "adoption",
        "execution",
        "translation",
        "control",
    }


# --- net value after 90 days at scale ---------------------------------------------------------


def test_ninety_day_months_mid_month_start_with_the_next_month():
    assert ninety_day_months(datetime.date(2026, 3, 15)) == [(2026, 4), (2026, 5), (2026, 6)]
    assert ninety_day_months(datetime.date(2026, 3, 31)) == [(2026, 4), (2026, 5), (2026, 6)]


def test_ninety_day_months_on_the_first_include_that_month():
    assert ninety_day_months(datetime.date(2026, 3, 1)) == [(2026, 3), (2026, 4), (2026, 5)]


def test_ninety_day_months_cross_the_year():
    assert ninety_day_months(datetime.date(2026, 11, 20)) == [(2026, 12), (2027, 1), (2027, 2)]
    assert ninety_day_months(datetime.date(2026, 12, 1)) == [(2026, 12), (2027, 1), (2027, 2)]


MONTHLY_NET = {
    (2026, 3): D("999.99"),  # the month of scaled_on: not full, ignored
    (2026, 4): D("1000.50"),
    (2026, 5): D("-200.25"),
    (2026, 6): D("300.00"),
    (2026, 7): D("5000.00"),  # after the window, ignored
}


def test_net_value_90_days_complete():
    result = net_value_90_days(datetime.date(2026, 3, 15), MONTHLY_NET)
    assert result == NinetyDayValue(
        status="complete",
        value=D("1100.25"),  # 1000.50 − 200.25 + 300.00
        months_available=3,
        months=((2026, 4), (2026, 5), (2026, 6)),
    )


def test_net_value_90_days_from_the_first_of_the_month():
    result = net_value_90_days(datetime.date(2026, 3, 1), MONTHLY_NET)
    assert result.status == "complete"
    assert result.value == D("1800.24")  # 999.99 + 1000.50 − 200.25
    assert result.months == ((2026, 3), (2026, 4), (2026, 5))


@pytest.mark.parametrize(
    ("available_months", "expected"),
    [
        ([], 0),
        ([(2026, 5)], 1),
        ([(2026, 4), (2026, 6)], 2),
    ],
)
def test_net_value_90_days_pending(available_months, expected):
    monthly = {month: MONTHLY_NET[month] for month in available_months}
    monthly[(2026, 3)] = D(1)  # outside the window: does not count as available
    result = net_value_90_days(datetime.date(2026, 3, 15), monthly)
    assert result == NinetyDayValue(
        status="pending",
        value=None,
        months_available=expected,
        months=((2026, 4), (2026, 5), (2026, 6)),
    )


def test_net_value_90_days_counts_a_zero_month_as_available():
    monthly = {(2026, 4): D(0), (2026, 5): D(0), (2026, 6): D("0.01")}
    result = net_value_90_days(datetime.date(2026, 3, 15), monthly)
    assert (result.status, result.value) == ("complete", D("0.01"))


def test_net_value_90_days_not_scaled():
    assert net_value_90_days(None, MONTHLY_NET) == NinetyDayValue("not_scaled", None, 0, ())


# --- scenario forecast ------------------------------------------------------------------------


def test_scenario_forecasts():
    assert scenario_forecasts(business_case()) == [
        ScenarioForecast(
            scenario="pessimistic",
            adoption=D("0.50"),
            weekly_gross=D("1200.00"),  # 1000 × 0.50 × 12 × 0.25 / 60 × 48 = 1500 min × 0.80
            weekly_net=D("660.00"),  # 1200 × 0.75 − (520 + 260 + 260) × 12 / 52 = 900 − 240
            first_year_net=D("27320.00"),  # 660 × 52 − 5000 − 2000 = 34320 − 7000
        ),
        ScenarioForecast(
            scenario="base",
            adoption=D("0.70"),
            weekly_gross=D("1680.00"),  # 1000 × 0.70 × 3 min × 0.80 = 2100 × 0.80
            weekly_net=D("1020.00"),  # 1680 × 0.75 − 240 = 1260 − 240
            first_year_net=D("46040.00"),  # 1020 × 52 − 7000 = 53040 − 7000
        ),
        ScenarioForecast(
            scenario="optimistic",
            adoption=D("0.90"),
            weekly_gross=D("2160.00"),  # 1000 × 0.90 × 3 × 0.80 = 2700 × 0.80
            weekly_net=D("1380.00"),  # 2160 × 0.75 − 240 = 1620 − 240
            first_year_net=D("64760.00"),  # 1380 × 52 − 7000 = 71760 − 7000
        ),
    ]


def test_scenario_forecast_repeating_decimal():
    # monthly 100 × 12 / 52 = 23.0769…; gross 100 × 1 × 10 × 0.1 / 60 × 30 = 50.00
    # weekly net 50 × 0.5 − 23.0769… = 1.9230…; first year 1.9230… × 52 − 0 = 100.00
    bc = business_case(
        baseline_tasks_per_week=100,
        baseline_minutes_per_task=10,
        pilot_effort_reduction=D("0.1"),
        hourly_cost=30,
        reclaimable_share=D("0.5"),
        adoption_pessimistic=1,
        adoption_base=1,
        adoption_optimistic=1,
        planned_monthly_run_cost=100,
        planned_monthly_support_cost=0,
        planned_monthly_maintenance_cost=0,
        one_off_integration_cost=0,
        one_off_training_cost=0,
    )
    base = scenario_forecasts(bc)[1]
    assert base.weekly_gross == D(50)
    assert cents(base.weekly_net) == D("1.92")
    assert cents(base.first_year_net) == D("100.00")  # 25 × 52 − 1200 = 1300 − 1200


def test_scenario_forecast_without_planned_costs():
    bc = BusinessCaseInputs(
        baseline_tasks_per_week=D(200),
        baseline_minutes_per_task=D(6),
        pilot_effort_reduction=D("0.5"),
        hourly_cost=D("40.00"),
        reclaimable_share=D(1),
        adoption_pessimistic=D(0),
        adoption_base=D("0.5"),
        adoption_optimistic=D(1),
    )
    forecasts = scenario_forecasts(bc)
    # a × 200 × 6 × 0.5 / 60 × 40 = a × 600 min × 0.6667 = a × 400.00; net = gross × 1
    assert [f.weekly_gross for f in forecasts] == [D(0), D(200), D(400)]
    assert [f.weekly_net for f in forecasts] == [D(0), D(200), D(400)]
    assert [f.first_year_net for f in forecasts] == [D(0), D(10400), D(20800)]  # × 52


# --- properties -------------------------------------------------------------------------------

PRECISION = 50
# Far below a cent: the engine works with 50 significant digits, so the two ways of computing a
# figure may differ only in the last few of them.
TOLERANCE = Decimal("1E-20")

counts = st.integers(min_value=0, max_value=100_000)
money = st.decimals(min_value=0, max_value=1_000_000, places=2)
minutes = st.decimals(min_value=0, max_value=600, places=2)
fractions = st.decimals(min_value=0, max_value=1, places=4)


@st.composite
def weeks(draw):
    tasks_total = draw(counts)
    tasks_with_ai = draw(st.integers(min_value=0, max_value=tasks_total))
    return WeekFigures(
        active_users=draw(counts),
        target_users=draw(counts),
        tasks_total=tasks_total,
        tasks_with_ai=tasks_with_ai,
        reworked_outputs=draw(st.integers(min_value=0, max_value=tasks_with_ai)),
        exceptions=draw(st.integers(min_value=0, max_value=tasks_total)),
        minutes_saved_per_task=draw(minutes),
        rework_minutes_per_output=draw(minutes),
    )


month_costs = st.builds(
    MonthCosts,
    training_cost=money,
    support_cost=money,
    integration_cost=money,
    run_cost=money,
    maintenance_cost=money,
    other_cost=money,
)
business_cases = st.builds(
    BusinessCaseInputs,
    baseline_tasks_per_week=counts.map(Decimal),
    baseline_minutes_per_task=minutes,
    pilot_effort_reduction=fractions,
    hourly_cost=money,
    reclaimable_share=fractions,
    adoption_pessimistic=fractions,
    adoption_base=fractions,
    adoption_optimistic=fractions,
    planned_monthly_run_cost=money,
    planned_monthly_support_cost=money,
    planned_monthly_maintenance_cost=money,
    one_off_integration_cost=money,
    one_off_training_cost=money,
)


@settings(max_examples=300, deadline=None)
@given(
    week_list=st.lists(weeks(), max_size=10),
    cost_list=st.lists(month_costs, max_size=4),
    bc=business_cases,
)
def test_waterfall_running_arithmetic_equals_period_figures(week_list, cost_list, bc):
    totals = PeriodTotals.from_weeks_and_costs(week_list, cost_list)
    figures = period_figures(totals, bc)
    steps = waterfall(totals, bc)
    amounts = {s.step: s.amount for s in steps}
    assert [s.step for s in steps] == [
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
    with decimal.localcontext(prec=PRECISION):
        gross = amounts["pilot_promise"] - amounts["adoption_gap"] - amounts["effort_gap"]
        net = gross
        for step in steps[4:-1]:  # every deduction after the gross subtotal
            net -= step.amount
    assert abs(gross - figures.gross_efficiency) < TOLERANCE
    assert abs(gross - amounts["gross_efficiency"]) < TOLERANCE
    assert abs(net - figures.net_value) < TOLERANCE
    assert amounts["net_value"] == figures.net_value
    assert cents(amounts["adoption_gap"]) >= 0  # tasks_with_ai ≤ tasks_total


@settings(max_examples=300, deadline=None)
@given(
    week_list=st.lists(weeks(), max_size=10),
    cost_list=st.lists(month_costs, max_size=4),
    bc=business_cases,
)
def test_per_week_figures_sum_to_the_period_figures(week_list, cost_list, bc):
    totals = PeriodTotals.from_weeks_and_costs(week_list, cost_list)
    figures = period_figures(totals, bc)
    metrics = [week_metrics(week, bc.hourly_cost) for week in week_list]
    with decimal.localcontext(prec=PRECISION):
        gross = sum((m.gross_efficiency for m in metrics), Decimal(0))
        rework = sum((m.rework_cost for m in metrics), Decimal(0))
        costs = sum(
            (
                c.training_cost
                + c.support_cost
                + c.integration_cost
                + c.run_cost
                + c.maintenance_cost
                + c.other_cost
                for c in cost_list
            ),
            Decimal(0),
        )
        absorption = rework + costs
        net = gross * bc.reclaimable_share - absorption
        translation = gross * (1 - bc.reclaimable_share)
    assert abs(gross - figures.gross_efficiency) < TOLERANCE
    assert abs(rework - figures.rework_cost) < TOLERANCE
    assert abs(absorption - figures.absorption_cost) < TOLERANCE
    assert abs(translation - figures.translation_gap) < TOLERANCE
    assert abs(net - figures.net_value) < TOLERANCE
    # summing one-week totals month by month gives the same totals as summing all weeks at once
    per_week = [PeriodTotals.from_weeks_and_costs([week]) for week in week_list]
    per_month = [PeriodTotals.from_weeks_and_costs([], [c]) for c in cost_list]
    assert sum(per_week + per_month, PeriodTotals()) == totals


@settings(max_examples=200, deadline=None)
@given(
    portfolio=st.lists(
        st.tuples(st.lists(weeks(), max_size=6), st.lists(month_costs, max_size=3), business_cases),
        max_size=5,
    )
)
def test_weighted_sums_equal_the_sum_of_per_use_case_figures(portfolio):
    """Portfolio figures from one weighted sum (what SQL adds up) equal the sums of each use
    case's engine figures and waterfall steps, each with its own business case."""
    per_use_case = [
        (PeriodTotals.from_weeks_and_costs(week_list, cost_list), bc)
        for week_list, cost_list, bc in portfolio
    ]
    combined = sum((weighted(totals, bc) for totals, bc in per_use_case), WeightedTotals())
    figures = weighted_figures(combined)
    steps = weighted_waterfall(combined)
    with decimal.localcontext(prec=PRECISION):
        for name in (
            "gross_efficiency",
            "translation_gap",
            "absorption_cost",
            "net_value",
            "rework_cost",
        ):
            expected = sum(
                (getattr(period_figures(t, bc), name) for t, bc in per_use_case), Decimal(0)
            )
            assert abs(getattr(figures, name) - expected) < TOLERANCE, name
        expected_steps = [waterfall(t, bc) for t, bc in per_use_case] or [
            waterfall(PeriodTotals(), BusinessCaseInputs(0, 0, 0, 0, 0, 0, 0, 0))
        ]
        assert [s.step for s in steps] == [s.step for s in expected_steps[0]]
        assert [s.leakage_point for s in steps] == [s.leakage_point for s in expected_steps[0]]
        for i, step in enumerate(steps):
            expected = sum((w[i].amount for w in expected_steps), Decimal(0))
            assert abs(step.amount - expected) < TOLERANCE, step.step


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(9000, 12, 31)))
def test_every_date_lies_in_a_week_of_the_month_that_holds_its_thursday(day):
    iso_year, iso_week = iso_week_of(day)
    monday, sunday = iso_week_bounds(iso_year, iso_week)
    assert monday <= day <= sunday
    assert monday.weekday() == 0 and (sunday - monday).days == 6
    thursday = monday + datetime.timedelta(days=3)
    assert month_of_iso_week(iso_year, iso_week) == (thursday.year, thursday.month)
    assert (iso_year, iso_week) in iso_weeks_of_month(thursday.year, thursday.month)
    assert parse_iso_week(format_iso_week(iso_year, iso_week)) == (iso_year, iso_week)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(9000, 12, 31)))
def test_ninety_day_months_are_three_consecutive_full_months_after_scaling(day):
    months = ninety_day_months(day)
    assert len(months) == 3
    assert months_between(months[0], months[-1]) == months
    first_day = datetime.date(*months[0], 1)
    assert first_day >= day
    assert (first_day - day).days < 31  # the first full month, not a later one


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=6, max_size=6))
def test_week_rates_are_the_three_rates(counts):
    """``week_rates`` (one decimal context for the three) gives exactly what the three rate
    functions give, a zero denominator and a non-terminating quotient included."""
    from usecases import economics

    names = ("active_users", "target_users", "reworked_outputs", "tasks_with_ai", "exceptions")
    row = dict(zip((*names, "tasks_total"), counts, strict=True))
    active, target, reworked, with_ai, exceptions, total = counts
    assert economics.week_rates(row) == {
        "adoption_rate": economics.adoption_rate(active, target),
        "rework_rate": economics.rework_rate(reworked, with_ai),
        "exception_share": economics.exception_share(exceptions, total),
    }
    zero_with_ai = {**dict.fromkeys(row, 1), "target_users": 3, "active_users": 2}
    zero_with_ai |= {"tasks_with_ai": 0, "tasks_total": 7}
    assert economics.week_rates(zero_with_ai) == {
        "adoption_rate": economics.adoption_rate(2, 3),
        "rework_rate": Decimal(0),
        "exception_share": economics.exception_share(1, 7),
    }
