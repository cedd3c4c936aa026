"""The system's recommendation for a gate item: ONE rule, written down once, shown on every pack.

The rule, checked in this order (the first that holds wins):

1. **Redesign** — the use case has an open stop-loss flag. A breached threshold is the clearest
   signal there is; it must be dealt with before anything else (DESIGN.md "Stop-loss rules").
2. **Stop** — net value was negative in every month of the quarter (each of the three months has
   its monthly review) *and* active adoption over the quarter is below the business case's
   pessimistic scenario. Losing money while even the worst case's adoption is out of reach means
   the case is not recoverable by waiting.
3. **Scale: continue at scale, funded** — the use case is already scaled and healthy: no open
   stop-loss flag, no checklist item of the translation, adoption, execution or quality sections
   answered "no", and net value positive (above zero) in each month of the quarter, each month
   with its monthly review. A product that earns its keep month after month stays funded, even
   below the base scenario's forecast (issue 15: "hold" froze a healthy scaled product).
4. **Scale** — every funding condition is met (no open stop-loss flag, no checklist item of the
   translation, adoption, execution or quality sections answered "no"), the quarter's financials
   are complete (a monthly review for each month) and the quarter's net value is at or above what
   the base scenario forecasts for the same weeks (base weekly net × the quarter's weeks).
5. **Hold** — anything else: the data neither proves the case nor condemns it; the reasons say
   what is missing for scale.

"The quarter" is the three complete calendar months before the gate opens. The rule is a
recommendation: leadership votes, and the chair decides.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from usecases.templatetags.money import money, percent

from .models import Choice

RULE_SUMMARY = (
    ("redesign", "an open stop-loss flag"),
    (
        "stop",
        "net value negative in every month of the quarter and adoption below the pessimistic "
        "scenario",
    ),
    (
        "scale",
        "already scaled, no funding condition failing and net value positive in each month of the "
        "quarter (each with its monthly review): continue at scale, funded",
    ),
    (
        "scale",
        "all funding conditions met, the quarter's monthly reviews complete and net value at or "
        "above the base scenario",
    ),
    ("hold", "otherwise"),
)


@dataclass(frozen=True)
class RecommendationFacts:
    """Everything the rule looks at, as plain values (the gate pack assembles them)."""

    open_stop_loss: tuple[str, ...]  # explanations of the open stop-loss flags
    monthly_net_values: tuple[Decimal | None, ...]  # per quarter month; None = no monthly review
    month_labels: tuple[str, ...]
    net_value: Decimal  # the quarter's net value
    adoption_rate: Decimal | None  # the quarter's active adoption (None: no weekly review)
    adoption_pessimistic: Decimal
    base_scenario_net: Decimal  # base scenario weekly net × the quarter's weeks
    scale_blockers: tuple[str, ...] = field(default=())
    at_scale: bool = False  # the use case is scaled already


CONTINUE_AT_SCALE = "Continue at scale, funded"


@dataclass(frozen=True)
class Recommendation:
    choice: str
    reasons: tuple[str, ...]
    continues_at_scale: bool = False  # "scale" for a use case at scale already

    @property
    def label(self) -> str:
        return CONTINUE_AT_SCALE if self.continues_at_scale else Choice(self.choice).label


def recommend(facts: RecommendationFacts) -> Recommendation:
    """Apply the rule of this module's docstring to ``facts``."""
    if facts.open_stop_loss:
        return Recommendation(
            Choice.REDESIGN,
            tuple(f"Open stop-loss flag: {text}" for text in facts.open_stop_loss),
        )

    complete = bool(facts.monthly_net_values) and all(
        v is not None for v in facts.monthly_net_values
    )
    all_negative = complete and all(v < 0 for v in facts.monthly_net_values)
    under_pessimistic = (
        facts.adoption_rate is not None and facts.adoption_rate < facts.adoption_pessimistic
    )
    if all_negative and under_pessimistic:
        months = ", ".join(
            f"{label}: {money(v)}"
            for label, v in zip(facts.month_labels, facts.monthly_net_values, strict=True)
        )
        return Recommendation(
            Choice.STOP,
            (
                f"Net value negative in every month of the quarter ({months}).",
                f"Active adoption {percent(facts.adoption_rate, 1)} is below the pessimistic "
                f"scenario ({percent(facts.adoption_pessimistic, 1)}).",
            ),
        )

    positive_each_month = complete and all(v > 0 for v in facts.monthly_net_values)
    if facts.at_scale and not facts.scale_blockers and positive_each_month:
        months = ", ".join(
            f"{label}: {money(v)}"
            for label, v in zip(facts.month_labels, facts.monthly_net_values, strict=True)
        )
        return Recommendation(
            Choice.SCALE,
            (
                "Already at scale, and healthy:",
                "No open stop-loss flag and no blocking checklist item answered “no”.",
                f"Net value positive in each month of the quarter ({months}).",
            ),
            continues_at_scale=True,
        )

    at_or_above_base = facts.net_value >= facts.base_scenario_net
    if not facts.scale_blockers and complete and at_or_above_base:
        return Recommendation(
            Choice.SCALE,
            (
                "No open stop-loss flag and no blocking checklist item answered “no”.",
                "A monthly review for each month of the quarter.",
                f"Net value {money(facts.net_value)} is at or above the base scenario "
                f"({money(facts.base_scenario_net)}).",
            ),
        )

    reasons = ["Not proven for scale, not failing enough to stop:"]
    reasons += [f"Blocks scale: {text}" for text in facts.scale_blockers]
    if not complete:
        missing = [
            label
            for label, v in zip(facts.month_labels, facts.monthly_net_values, strict=True)
            if v is None
        ]
        reasons.append(f"No monthly review for {', '.join(missing)}.")
    if not at_or_above_base:
        reasons.append(
            f"Net value {money(facts.net_value)} is below the base scenario "
            f"({money(facts.base_scenario_net)})."
        )
    if all_negative and not under_pessimistic:
        reasons.append(
            "Net value negative all quarter, but adoption is not below the pessimistic scenario."
        )
    return Recommendation(Choice.HOLD, tuple(reasons))
