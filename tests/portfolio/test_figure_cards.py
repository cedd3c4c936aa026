"""The four CFO figure cards, one markup for the dashboard, the CFO report and the use case page
(``portfolio/templatetags/figure_cards.py``)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template, TemplateSyntaxError

from portfolio.templatetags.figure_cards import figure_cards


def figures(**values):
    base = dict.fromkeys(
        ("gross_efficiency", "absorption_cost", "net_value", "translation_gap"), Decimal("0")
    )
    return SimpleNamespace(**{**base, **values})


def test_each_card_has_its_id_label_and_money():
    html = figure_cards(figures(gross_efficiency=Decimal("1234.5")), id_prefix="total-")
    assert '<div class="card figure-card" id="total-gross_efficiency">' in html
    assert '<div class="figure-label">Gross efficiency</div>' in html
    assert '<div class="figure">EUR 1,234.50</div>' in html
    assert html.count('class="card figure-card') == 4
    assert 'class="card figure-card figure-net" id="total-net_value"' in html
    assert 'class="card figure-card figure-gap" id="total-translation_gap"' in html
    assert "muted small" not in html  # no notes unless asked


@pytest.mark.parametrize(
    "name", ["gross_efficiency", "absorption_cost", "net_value", "translation_gap"]
)
def test_a_negative_figure_is_marked_on_every_card(name):
    html = figure_cards(figures(**{name: Decimal("-0.01")}))
    (card,) = [c for c in html.split('<div class="card') if f'id="figure-{name}"' in c]
    assert '<div class="figure neg">−EUR 0.01</div>' in card
    assert html.count(" neg") == 1


def test_notes_for_the_portfolio_and_for_one_use_case():
    portfolio = figure_cards(figures(), notes="portfolio")
    assert "valued at each use case&#x27;s hourly cost" in portfolio
    assert "Gross efficiency × reclaimable share − absorption cost" in portfolio
    one = figure_cards(figures(), notes="use_case", reclaimable_share=Decimal("0.6"))
    assert "valued at the hourly cost" in one
    assert "Gross efficiency × reclaimable share (60%) − absorption cost" in one
    with pytest.raises(TemplateSyntaxError):
        figure_cards(figures(), notes="nonsense")


def test_the_tag_in_a_template_is_not_escaped_twice():
    html = Template("{% load figure_cards %}{% figure_cards f notes='portfolio' %}").render(
        Context({"f": figures(net_value=Decimal("-5"))})
    )
    assert '<div class="figure neg">−EUR 5.00</div>' in html
    assert "&lt;div" not in html
