"""The periodic sweep: every use case whose reviews are due, evaluated with the same code as the
review save hook (``reviews.stoploss.evaluate``).

For each use case in rollout, scaled or redesign it evaluates the stop-loss rules at its latest
submitted week and at its latest month with a monthly review, the weekly signals at its latest
week, and ``no_accountable_owner`` for the current month. (Use cases in other stages owe no
reviews: the sweep leaves them alone; a review saved on one is still evaluated by the hook.)

Idempotent and safe when two sweeps overlap: a standing flag is unique per (use case,
rule/signal, period) in the database (``Flag.objects.standing()``: a flag withdrawn by a
correction does not stand, so the sweep raises a new one if the breach is back), and only the
transaction that created a stop-loss flag applies its action, on a locked use case row.
Queries: a fixed number per batch of ``BATCH_SIZE`` use cases (see ``evaluate``), plus a few
per flag actually raised.
"""

import datetime
from itertools import batched

from django.db import transaction

from usecases import clock
from usecases.models import UseCase

from .stoploss import evaluate
from .stoploss_effects import Outcome
from .targets import LATEST, Target

BATCH_SIZE = 200

SWEEP_TARGET = Target(week=LATEST, month=LATEST, signals=True, owner_signal=True)


def sweep_portfolio(*, today: datetime.date | None = None) -> Outcome:
    """Evaluate the whole portfolio; return the flags raised and the stage changes made."""
    today = today or clock.today()
    ids = list(UseCase.objects.reviews_due().order_by("pk").values_list("pk", flat=True))
    outcome = Outcome()
    for chunk in batched(ids, BATCH_SIZE):
        with transaction.atomic():
            outcome.extend(evaluate(dict.fromkeys(chunk, SWEEP_TARGET), today=today))
    return outcome
