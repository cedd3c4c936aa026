"""How a person types a stop-loss threshold on the policy pages (issue 14 item 6), and back.

People type and read rates as percentages: "12" or "12.5" (a trailing "%" is fine) means 12 %,
stored as the fraction 0.12 the rules, the API and the database use. The quality score is typed in
points (0–100) and the monthly net value in money, as stored.

Decisions where the issue is silent:
- A rate typed between 0 and 1 ("0.12") is read as a percentage (0.12 %), but it is what someone
  used to the old fraction entry types for 12 %: it is refused with both readings spelled out
  unless the person ticks "I mean less than 1 %" (``small_percent_confirmed``) — or keeps the
  value the rule already has.
- A rate has at most two decimals as a percentage (the database keeps four as a fraction).
- Only the digits 0-9, one point and an optional sign are numbers here: Unicode digits, exponents
  (1e400), NaN, infinity, thousands separators and decimal commas get a field message.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings

from .models import FRACTION_METRICS, Metric

#: A number as people type it here: sign, ASCII digits, at most one point; "%" after a rate.
NUMBER = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(%?)", re.ASCII)
MAX_TYPED = 32  # characters: more is no threshold
PERCENT_PLACES = 2
HUNDRED = Decimal(100)

NOT_A_NUMBER = "Enter a number with the digits 0-9 and a point for decimals, e.g. 12 or 12.5."
DECIMAL_COMMA = "Use a point for decimals: 12.5, not 12,5."
RATE_RANGE = "A rate is a percentage from 0 to 100: type 15 for 15 %."
RATE_PLACES = "At most two decimals for a percentage, e.g. 12.25."
NOT_A_RATE = "Only rates are percentages: give this metric in {unit}, without “%”."
SMALL_PERCENT = (
    "{typed} here means {typed} %, not {hundred} %: rates are typed as percentages. Type "
    "{hundred} for {hundred} %, or tick “I mean less than 1 %” to keep {typed} %."
)


class EntryError(ValueError):
    """What is wrong with a typed threshold, in words for the field."""


def unit(metric: str) -> str:
    """The unit a threshold of ``metric`` is typed and shown in."""
    if metric in FRACTION_METRICS:
        return "%"
    if metric == Metric.QUALITY_SCORE:
        return "points (0–100)"
    return settings.VALUEGATE_CURRENCY


def parse(text: str) -> tuple[Decimal, bool]:
    """``(number, has a % sign)`` of what was typed (no unit applied); ``EntryError`` else."""
    text = (text or "").strip()
    if len(text) > MAX_TYPED:
        raise EntryError(NOT_A_NUMBER)
    match = NUMBER.fullmatch(text)
    if match is None:
        if re.fullmatch(r"[+-]?[0-9]+,[0-9]+\s*%?", text, re.ASCII):
            raise EntryError(DECIMAL_COMMA)
        raise EntryError(NOT_A_NUMBER)
    sign, digits, percent_sign = match.groups()
    return Decimal(sign + digits), bool(percent_sign)


def to_stored(metric: str, typed: Decimal, *, percent_sign: bool = False) -> Decimal:
    """The stored threshold of a typed one: a rate's percentage as a fraction; others as typed.
    ``EntryError`` for a rate outside 0–100 % or with more than two decimals, or a "%" sign on
    a metric that is no rate."""
    if metric not in FRACTION_METRICS:
        if percent_sign:
            raise EntryError(NOT_A_RATE.format(unit=unit(metric)))
        return typed
    if not (0 <= typed <= HUNDRED):
        raise EntryError(RATE_RANGE)
    if typed != round(typed, PERCENT_PLACES):
        raise EntryError(RATE_PLACES)
    return typed / HUNDRED


def looks_like_a_fraction(metric: str, typed: Decimal) -> bool:
    """A rate typed between 0 and 1 exclusive: 0.12 % — or someone's 12 % typed the old way."""
    return metric in FRACTION_METRICS and 0 < typed < 1


def small_percent_message(typed: Decimal) -> str:
    return SMALL_PERCENT.format(typed=_plain(typed), hundred=_plain(typed * HUNDRED))


def to_typed(metric: str, stored: Decimal | None) -> str:
    """What the field shows for a stored threshold: a rate as its percentage ("12.5")."""
    if stored is None:
        return ""
    value = stored * HUNDRED if metric in FRACTION_METRICS else stored
    return _plain(value)


def _plain(value: Decimal) -> str:
    """``12.50`` → ``12.5``, ``15.00`` → ``15``, ``-500`` → ``-500`` (no exponent)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
