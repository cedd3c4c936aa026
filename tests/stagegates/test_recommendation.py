"""stagegates.recommendation: the one rule, in order: stop-loss → redesign; negative all quarter
and adoption under pessimistic → stop; all conditions and net ≥ base → scale; else hold."""

from decimal import Decimal as D

import pytest

from stagegates.recommendation import RecommendationFacts, recommend

MONTHS = ("2026-08", "2026-09", "2026-10")


def facts(**over):
    values = dict(
        open_stop_loss=(),
        monthly_net_values=(D("1000"), D("1200"), D("900")),
        month_labels=MONTHS,
        net_value=D("3100"),
        adoption_rate=D("0.65"),
        adoption_pessimistic=D("0.40"),
        base_scenario_net=D("3000"),
        scale_blockers=(),
    )
    values.update(over)
    return RecommendationFacts(**values)


def test_scale_when_every_condition_holds():
    r = recommend(facts())
    assert r.choice == "scale"
    assert "at or above the base scenario (EUR 3,000.00)" in r.reasons[2]


def test_scale_at_exactly_the_base_scenario():
    assert recommend(facts(net_value=D("3000"))).choice == "scale"


def test_open_stop_loss_means_redesign_whatever_else():
    r = recommend(facts(open_stop_loss=("Rework 20% exceeds 15% (2026-W46)",)))
    assert r.choice == "redesign"
    assert r.reasons == ("Open stop-loss flag: Rework 20% exceeds 15% (2026-W46)",)


def test_stop_when_negative_all_quarter_and_adoption_under_pessimistic():
    r = recommend(
        facts(
            monthly_net_values=(D("-10"), D("-20"), D("-1")),
            net_value=D("-31"),
            adoption_rate=D("0.39"),
        )
    )
    assert r.choice == "stop"
    assert "2026-08: −EUR 10.00" in r.reasons[0]
    assert "39.0%" in r.reasons[1] and "40.0%" in r.reasons[1]


@pytest.mark.parametrize(
    "over",
    [
        # one month not negative
        dict(monthly_net_values=(D("-10"), D("0"), D("-1")), net_value=D("-11")),
        # adoption exactly the pessimistic scenario is not "under" it
        dict(monthly_net_values=(D("-10"), D("-20"), D("-1")), adoption_rate=D("0.40")),
        # a month without a monthly review is not evidence of a loss
        dict(monthly_net_values=(D("-10"), None, D("-1")), net_value=D("-11")),
    ],
)
def test_not_stop_without_the_full_evidence(over):
    r = recommend(facts(**{"adoption_rate": D("0.10"), "net_value": D("-31"), **over}))
    assert r.choice == "hold"


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        (dict(net_value=D("2999.99")), "below the base scenario"),
        (dict(scale_blockers=("Checklist T1 is answered “no”.",)), "Blocks scale: Checklist T1"),
        (dict(monthly_net_values=(D("1000"), None, D("900"))), "No monthly review for 2026-09"),
    ],
)
def test_hold_says_what_is_missing_for_scale(over, reason):
    r = recommend(facts(**over))
    assert r.choice == "hold"
    assert any(reason in text for text in r.reasons)


def test_hold_when_negative_all_quarter_but_adoption_not_below_pessimistic():
    r = recommend(
        facts(
            monthly_net_values=(D("-10"), D("-20"), D("-1")),
            net_value=D("-31"),
            adoption_rate=D("0.40"),  # exactly the pessimistic scenario: not below it
        )
    )
    assert r.choice == "hold"
    assert r.reasons[-1] == (
        "Net value negative all quarter, but adoption is not below the pessimistic scenario."
    )


def test_hold_without_a_negative_quarter_does_not_claim_one():
    r = recommend(facts(net_value=D("2999.99")))
    assert r.choice == "hold"
    assert not any("negative all quarter" in text for text in r.reasons)


def test_every_reason_in_full():
    """The reasons are what leadership reads on the pack: word for word, per outcome."""
    assert recommend(facts()).reasons == (
        "No open stop-loss flag and no blocking checklist item answered “no”.",
        "A monthly review for each month of the quarter.",
        "Net value EUR 3,100.00 is at or above the base scenario (EUR 3,000.00).",
    )
    stop = recommend(
        facts(
            monthly_net_values=(D("-10"), D("-20"), D("-1")),
            net_value=D("-31"),
            adoption_rate=D("0.39"),
        )
    )
    assert stop.reasons == (
        "Net value negative in every month of the quarter (2026-08: −EUR 10.00, "
        "2026-09: −EUR 20.00, 2026-10: −EUR 1.00).",
        "Active adoption 39.0% is below the pessimistic scenario (40.0%).",
    )
    hold = recommend(
        facts(
            monthly_net_values=(None, D("-5"), None),
            net_value=D("-5"),
            scale_blockers=("Checklist T1 is answered “no”.", "Checklist Q2 is answered “no”."),
        )
    )
    assert hold.reasons == (
        "Not proven for scale, not failing enough to stop:",
        "Blocks scale: Checklist T1 is answered “no”.",
        "Blocks scale: Checklist Q2 is answered “no”.",
        "No monthly review for 2026-08, 2026-10.",
        "Net value −EUR 5.00 is below the base scenario (EUR 3,000.00).",
    )
    negative = recommend(
        facts(monthly_net_values=(D("-10"), D("-20"), D("-1")), net_value=D("-31"))
    )
    assert negative.reasons == (
        "Not proven for scale, not failing enough to stop:",
        "Net value −EUR 31.00 is below the base scenario (EUR 3,000.00).",
        "Net value negative all quarter, but adoption is not below the pessimistic scenario.",
    )
    assert negative.label == "Hold"


def test_month_labels_and_values_must_pair_up():
    """A pack with a month label missing is a programming error, not a shorter list."""
    short = facts(month_labels=MONTHS[:2], monthly_net_values=(D("-1"), D("-1"), D("-1")))
    with pytest.raises(ValueError):
        recommend(short.__class__(**{**short.__dict__, "adoption_rate": D("0.1")}))
    with pytest.raises(ValueError):
        recommend(facts(month_labels=MONTHS[:2], monthly_net_values=(D("1"), None, D("1"))))


# --- a healthy product already at scale continues (issue 15) ------------------------------------
def healthy_scaled(**over):
    """Scaled, no flag, no blocker, net positive each month — but below the base scenario, so
    only the "continue at scale" rule can recommend scale."""
    values = dict(
        at_scale=True,
        monthly_net_values=(D("4000"), D("4500"), D("4500")),
        net_value=D("13000"),
        base_scenario_net=D("20000"),
    )
    values.update(over)
    return facts(**values)


def test_healthy_scaled_use_case_continues_at_scale_funded():
    r = recommend(healthy_scaled())
    assert (r.choice, r.label, r.continues_at_scale) == ("scale", "Continue at scale, funded", True)
    assert r.reasons == (
        "Already at scale, and healthy:",
        "No open stop-loss flag and no blocking checklist item answered “no”.",
        "Net value positive in each month of the quarter (2026-08: EUR 4,000.00, "
        "2026-09: EUR 4,500.00, 2026-10: EUR 4,500.00).",
    )


@pytest.mark.parametrize(
    ("over", "choice"),
    [
        (dict(at_scale=False), "hold"),  # not at scale: the scale rule needs the base scenario
        (dict(open_stop_loss=("Rework 20% exceeds 15% (2026-W46)",)), "redesign"),
        (dict(scale_blockers=("Checklist E1 is answered “no”.",)), "hold"),  # a failed section
        (dict(monthly_net_values=(D("4000"), D("0"), D("4500"))), "hold"),  # zero is not positive
        (dict(monthly_net_values=(D("4000"), D("-1"), D("4500"))), "hold"),
        (dict(monthly_net_values=(D("4000"), None, D("4500"))), "hold"),  # a month not reviewed
    ],
)
def test_scaled_but_not_healthy_does_not_continue(over, choice):
    r = recommend(healthy_scaled(**over))
    assert (r.choice, r.continues_at_scale) == (choice, False)
    assert r.label == choice.capitalize()


def test_healthy_at_scale_and_above_base_still_continues():
    r = recommend(healthy_scaled(base_scenario_net=D("1000")))
    assert (r.choice, r.label) == ("scale", "Continue at scale, funded")


def test_the_plain_scale_rule_does_not_say_continue():
    r = recommend(facts())  # not at scale
    assert (r.choice, r.label, r.continues_at_scale) == ("scale", "Scale", False)


def test_a_net_value_below_one_euro_is_still_positive():
    r = recommend(healthy_scaled(monthly_net_values=(D("4000"), D("0.50"), D("4500"))))
    assert (r.choice, r.continues_at_scale) == ("scale", True)


def test_continue_at_scale_also_needs_a_label_for_each_month():
    """A programming error, not a shorter list of months in the reason."""
    with pytest.raises(ValueError):
        recommend(healthy_scaled(month_labels=MONTHS[:2]))
