"""The monthly review's run cost drafted from telemetry: the month's tokens at the PMO's model
prices (``telemetry_figures.token_costs``, the price effective each day).

Decision: the figure is pre-filled only when it is complete — every model with tokens that month
priced, in the review's currency. With an unpriced model (or tokens priced in another currency)
the field stays empty for the owner to type, and its note says why and what the priced part
comes to: a partial sum offered as the month's run cost would be confirmed as if it were whole."""

import dataclasses
from decimal import Decimal

from django.conf import settings

from usecases import economics
from usecases.models import UseCase

from .telemetry_figures import token_costs
from .telemetry_models import TelemetryTokens


@dataclasses.dataclass(frozen=True)
class RunCostDraft:
    month: str
    currency: str
    models: int  # models with tokens that month
    priced: list[dict]  # [{currency, amount}] of the priced tokens
    unpriced_models: list[str]

    @property
    def value(self) -> Decimal | None:
        """The run cost to pre-fill (None: no tokens, or the sum would not be complete)."""
        if not self.models or self.unpriced_models or self.foreign:
            return None
        return next((p["amount"] for p in self.priced), Decimal("0.00"))

    @property
    def foreign(self) -> list[dict]:
        return [p for p in self.priced if p["currency"] != self.currency]

    @property
    def note(self) -> str:
        """``measured: priced tokens, 2 models`` and, when incomplete, what is missing."""
        if not self.models:
            return ""
        n = self.models
        note = f"measured: priced tokens, {n} model{'' if n == 1 else 's'}"
        if self.unpriced_models:
            priced = ", ".join(f"{p['amount']} {p['currency']}" for p in self.priced) or "nothing"
            note += (
                f"; unpriced: {', '.join(self.unpriced_models)} — not pre-filled, the priced "
                f"tokens come to {priced} without them; add their cost (or ask the PMO to "
                "price them)"
            )
        elif self.foreign:
            priced = ", ".join(f"{p['amount']} {p['currency']}" for p in self.priced)
            note += f"; priced in {priced}, the review is in {self.currency} — not pre-filled"
        return note


def monthly_run_cost(use_case: UseCase, month: str, currency: str | None = None) -> RunCostDraft:
    """The run cost of ``month`` (``2026-11``) measured from the use case's tokens."""
    first, last = economics.month_bounds(*economics.parse_month(month))
    tokens, total, unpriced = token_costs(
        TelemetryTokens.objects.filter(use_case=use_case, day__gte=first, day__lte=last)
        .order_by("day", "model")
        .values_list("day", "model", "input_tokens", "output_tokens")
    )
    return RunCostDraft(
        month=month,
        currency=currency or settings.VALUEGATE_CURRENCY,
        models=len({t.model for t in tokens}),
        priced=total,
        unpriced_models=unpriced,
    )
