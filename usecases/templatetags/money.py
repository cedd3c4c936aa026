"""Display helpers: money rounded to cents with the installation's currency, fractions as %."""

from decimal import MAX_EMAX, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from django import template
from django.conf import settings

register = template.Library()
CENT = Decimal("0.01")
#: From 10**20 on, a figure is shown in scientific notation: rounding it to cents would need more
#: digits than the decimal context holds (``InvalidOperation``, a 500 on a preview of 1E30).
HUGE_DIGITS = 20


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
    if d is None or not d.is_finite():
        return "—"
    sign = "−" if d < 0 else ""
    currency = currency or settings.VALUEGATE_CURRENCY
    if d.adjusted() >= HUGE_DIGITS:  # beyond any real amount (a preview of what was typed)
        return f"{sign}{currency} {abs(d):.2E}"
    d = d.quantize(CENT, rounding=ROUND_HALF_UP)
    # Thousands grouped by Python's format (what humanize's intcomma does to such a string,
    # without its per-call regular expressions: 68 amounts on a dashboard page).
    return f"{sign}{currency} {abs(d):,.2f}"


@register.filter
def percent(value, places=0):
    """A fraction 0..1 as a percentage: ``0.155`` → ``15.5%`` with ``places=1``."""
    d = _dec(value)
    if d is None or not d.is_finite():
        return "—"
    if d.adjusted() >= HUGE_DIGITS:
        with localcontext(Emax=MAX_EMAX):
            return f"{d.scaleb(2):.2E}%"
    q = Decimal(1).scaleb(-int(places))
    return f"{(d * 100).quantize(q, rounding=ROUND_HALF_UP)}%"
