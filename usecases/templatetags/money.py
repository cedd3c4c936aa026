"""Display helpers: money rounded to cents with the installation's currency, fractions as %."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()
CENT = Decimal("0.01")


def _dec(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value, currency=None):
    """``1234.5`` → ``EUR 1,234.50``; negatives as ``−EUR 1,234.50``; empty → ``—``."""
    d = _dec(value)
    if d is None:
        return "—"
    d = d.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "−" if d < 0 else ""
    return f"{sign}{currency or settings.VALUEGATE_CURRENCY} {intcomma(f'{abs(d):.2f}')}"


@register.filter
def percent(value, places=0):
    """A fraction 0..1 as a percentage: ``0.155`` → ``15.5%`` with ``places=1``."""
    d = _dec(value)
    if d is None:
        return "—"
    q = Decimal(1).scaleb(-int(places))
    return f"{(d * 100).quantize(q, rounding=ROUND_HALF_UP)}%"
