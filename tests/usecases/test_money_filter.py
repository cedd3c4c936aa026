"""The ``money`` filter groups thousands exactly as humanize's ``intcomma`` did."""

from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from hypothesis import given
from hypothesis import strategies as st

from usecases.templatetags.money import money


@given(st.decimals(min_value=Decimal("-1E19"), max_value=Decimal("1E19"), places=4))
def test_money_groups_like_intcomma(value):
    cents = abs(value).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    sign = "−" if value < 0 else ""
    assert money(value, "EUR") == f"{sign}EUR {intcomma(f'{cents:.2f}')}"


def test_money_examples():
    assert money(Decimal("1234567.891"), "EUR") == "EUR 1,234,567.89"
    assert money(Decimal("-0.005"), "EUR") == "−EUR 0.01"
    assert money(Decimal("999.995"), "EUR") == "EUR 1,000.00"
    assert money(0, "EUR") == "EUR 0.00"
