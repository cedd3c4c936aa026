"""The periodic sweep: every use case whose reviews are due, evaluated with the same code as the
review save hook (``reviews.stoploss.evaluate``).

For each use case in rollout, scaled or redesign it evaluates the stop-loss rules at its latest
submitted week and at its latest month with a monthly review, the weekly signals at its latest
week, and ``no_accountable_owner`` for the current month. (Use cases in other stages owe no
reviews: the sweep leaves them alone; a review saved on one is still evaluated by the hook.)

Set-based (issue 20): one SQL statement (``reviews.sweep_candidates``) picks the use cases whose
latest weeks could call for a flag — a conservative pre-selection, never missing one — and only
those are judged by the rules, in batches of ``BATCH_SIZE``. So the sweep costs about one pass
over the portfolio's latest weeks plus the rules for the few use cases that breach or come
close; the rules stay in one place (``reviews.breaches``, ``reviews.early_warnings``), and
``tests/reviews/test_sweep_candidates.py`` proves the sweep raises what evaluating every use
case through the save hook's path does.

Idempotent and safe when two sweeps overlap: a standing flag is unique per (use case,
rule/signal, period) in the database (``Flag.objects.standing()``: a flag withdrawn by a
correction does not stand, so the sweep raises a new one if the breach is back), and only the
transaction that created a stop-loss flag applies its action, on a locked use case row.
Queries: the pre-selection (1), then a fixed number per batch of ``BATCH_SIZE`` candidates (see
``evaluate``), the flags a batch raises included: their writes are in bulk
(``stoploss_effects.raise_many``; one more query per chat event when a channel is enabled).
"""

import datetime
from itertools import batched

from django.db import transaction

from usecases import clock

from .stoploss import evaluate
from .stoploss_effects import Outcome
from .sweep_candidates import candidates
from .targets import LATEST, Target

#: 500: the full-size bench's 205 candidates in one batch (200 left a second batch of 5 that
#: repeated every statement of the first); at 20,000 use cases about five batches.
BATCH_SIZE = 500

SWEEP_TARGET = Target(week=LATEST, month=LATEST, signals=True, owner_signal=True)
#: A candidate whose ``no_accountable_owner`` certainly stays silent (it has a value owner and
#: too few overdue reviews): its overdue reviews are not read.
SWEEP_TARGET_OWNED = Target(week=LATEST, month=LATEST, signals=True, owner_signal=False)


def sweep_portfolio(*, today: datetime.date | None = None) -> Outcome:
    """Evaluate the whole portfolio; return the flags raised and the stage changes made."""
    today = today or clock.today()
    found = candidates(today=today)
    outcome = Outcome()
    for chunk in batched(found, BATCH_SIZE):
        with transaction.atomic():
            targets = {pk: SWEEP_TARGET if found[pk] else SWEEP_TARGET_OWNED for pk in chunk}
            outcome.extend(evaluate(targets, today=today, bulk=True))
    return outcome
