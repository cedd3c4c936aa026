"""The use case page /use-cases/<pk>/ (portfolio.use_case_page): access per role, KPI trends with
thresholds and change markers, CFO figures and waterfall, scenarios, flags, reviews, gates, and
a constant number of queries whatever the number of reviews.

The clock is frozen on Wednesday 2026-11-25: the default range is Aug–Oct 2026.
"""

import datetime
import decimal
import json
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio import use_case_page
from portfolio.use_case_sections import SECTIONS
from reviews.models import (
    Comparison,
    Flag,
    FlagKind,
    Metric,
    StopLossRule,
    WeeklyReview,
)
from reviews.selectors import use_case_economics
from stagegates.models import Decision, Gate, GateItem, GateStatus
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from tests.use_case_sections import HTMX, get_section, section_url, whole_page
from usecases import economics
from usecases import views as usecases_views
from usecases.models import ChangeKind, ModelChange, Stage

pytestmark = pytest.mark.django_db

OCT = datetime.date(2026, 10, 1)
#: Oct 2026 week: gross 800 × 2.5 / 60 × 45 = 1,500.00; rework 100 × 7.5 / 60 × 45 = 562.50.
WEEK = dict(
    active_users=75,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=100,
    exceptions=50,
    minutes_saved_per_task=Decimal("2.50"),
    rework_minutes_per_output=Decimal("7.50"),
    quality_score=Decimal("88"),
    backlog=120,
)
#: Oct 2026 costs: 1,500.00 in total.
COSTS = dict(
    training_cost=Decimal("100"),
    support_cost=Decimal("200"),
    integration_cost=Decimal("300"),
    run_cost=Decimal("400"),
    maintenance_cost=Decimal("500"),
    other_cost=Decimal("0"),
)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(
        timezone.make_aware(datetime.datetime(2026, 11, 25, 10, 0)), tick=False
    ):
        yield


def url(use_case, **params):
    base = reverse("usecases:detail", args=[use_case.pk])
    if params:
        base += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return base


def week_of(day: datetime.date) -> str:
    return economics.format_iso_week(*economics.iso_week_of(day))


def add_week(use_case, week, **changes):
    return WeeklyReviewFactory(use_case=use_case, week=week, **{**WEEK, **changes})


def add_month(use_case, month, **changes):
    return MonthlyReviewFactory(use_case=use_case, month=month, **{**COSTS, **changes})


def charts(response):
    return response.context["charts"]


def trends(client, use_case, query=""):
    """The KPI trends section as htmx loads it."""
    response = get_section(client, use_case, "trends", query)
    assert response.status_code == 200
    return response


def scenarios(client, use_case, query=""):
    response = get_section(client, use_case, "scenarios", query)
    assert response.status_code == 200
    return response


def reviews(client, use_case):
    response = get_section(client, use_case, "reviews")
    assert response.status_code == 200
    return response


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


# role -> (status, may submit/correct reviews, may import reviews)
ACCESS = {
    "anonymous": (302, False, False),
    "outsider": (404, False, False),
    "foreign_contributor": (404, False, False),
    "contributor": (200, True, True),
    "other_owner": (200, False, False),
    "leader": (200, False, False),
    "pmo": (200, False, True),
    "owner": (200, True, True),
    "admin": (200, True, True),
}


@pytest.mark.parametrize("role", ACCESS)
def test_access_and_review_buttons_per_role(role, users, use_case, client_for):
    status, may_submit, may_import = ACCESS[role]
    review = add_week(use_case, "2026-W42")
    monthly = add_month(use_case, "2026-10")
    response = client_for(users[role]).get(url(use_case))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))
    if status != 200:
        return
    html = whole_page(client_for(users[role]), url(use_case))
    for link in (
        reverse("reviews:weekly_new", args=[use_case.pk]),
        reverse("reviews:monthly_new", args=[use_case.pk]),
        reverse("reviews:weekly_edit", args=[review.pk]),
        reverse("reviews:monthly_edit", args=[monthly.pk]),
    ):
        assert (link in html) is may_submit, link
    assert (reverse("reviews:weekly_import", args=[use_case.pk]) in html) is may_import


@pytest.mark.parametrize("role", ACCESS)
def test_every_section_url_asks_what_the_page_asks(role, users, use_case, client_for):
    """Issue 16: each section's own URL answers every role as the page does — the fragment for
    htmx, a full page (layout, the section, a link back) for a plain link — with the same
    per-role actions."""
    status, may_submit, may_import = ACCESS[role]
    review = add_week(use_case, "2026-W42")
    client = client_for(users[role])
    for slug in SECTIONS:
        for htmx in (True, False):
            response = get_section(client, use_case, slug, htmx=htmx)
            assert response.status_code == status, (slug, htmx)
            if status == 302:
                assert response.url.startswith(reverse("login"))
            if status != 200:
                continue
            html = response.content.decode()
            assert "HX-Request" in response["Vary"]
            assert f'<section class="card" id="{slug}"' in html, slug
            if htmx:
                assert "<html" not in html and 'class="topbar"' not in html
            else:
                assert 'class="topbar"' in html  # the layout and its navigation
                assert f'href="{url(use_case)}#{slug}">Back to the use case page' in html
    if status == 200:
        html = get_section(client, use_case, "reviews").content.decode()
        assert (reverse("reviews:weekly_edit", args=[review.pk]) in html) is may_submit
        assert (reverse("reviews:weekly_import", args=[use_case.pk]) in html) is may_import


def test_page_paints_key_figures_and_an_index_of_the_sections(client_for, leader, use_case):
    """The first paint: header, section index (plain anchors), facts, flags and the value
    section's key figures; every other section a placeholder that htmx loads when it comes into
    view and a plain link to the section's page."""
    add_week(use_case, week_of(datetime.date(2026, 10, 15)))
    add_month(use_case, "2026-10")
    html = client_for(leader).get(url(use_case, start="2026-09", end="2026-10")).content.decode()
    nav = html[html.index('aria-label="Sections of this page"') :]
    nav = nav[: nav.index("</nav>")]
    for anchor in ("#facts", "#flags", "#value", *(f"#{slug}" for slug in SECTIONS)):
        assert f'href="{anchor}"' in nav, anchor
    assert 'id="figure-net_value"' in html and "−EUR 1,312.50" in html
    for slug, section in SECTIONS.items():
        link = section_url(use_case, slug, "start=2026-09&amp;end=2026-10" * section.uses_range)
        assert f'hx-get="{link}" hx-trigger="intersect once" hx-swap="outerHTML"' in html
        assert f'<a href="{link}">Open the' in html
    assert 'id="weekly-table"' not in html and 'class="table history"' not in html


def test_only_get(client_for, pmo, use_case):
    assert client_for(pmo).post(url(use_case)).status_code == 405


def test_url_name_and_absolute_url(use_case, settings):
    """The usecases app owns the URL; the page it serves is this layer's (by the setting)."""
    assert use_case.get_absolute_url() == f"/use-cases/{use_case.pk}/"
    assert reverse("usecases:detail", args=[use_case.pk]) == use_case.get_absolute_url()
    assert settings.VALUEGATE_USE_CASE_PAGE == "portfolio.use_case_page.use_case_page"


def test_the_page_is_served_by_the_view_the_setting_names(client_for, leader, use_case, settings):
    settings.VALUEGATE_USE_CASE_PAGE = "tests.portfolio.test_use_case_page.stand_in_page"
    usecases_views._use_case_page_view.cache_clear()
    try:
        response = client_for(leader).get(use_case.get_absolute_url())
    finally:
        usecases_views._use_case_page_view.cache_clear()
    assert response.content == f"stand-in {use_case.pk}".encode()


def stand_in_page(request, pk):
    return HttpResponse(f"stand-in {pk}")


def test_charts_load_only_here_with_nonce(client_for, leader, use_case):
    add_week(use_case, "2026-W42")
    html = client_for(leader).get(url(use_case)).content.decode()
    assert 'src="/static/vendor/chart-4.6.1.umd.min.js"' in html
    assert 'src="/static/js/charts.js"' in html
    assert html.count('nonce="') >= 3  # htmx, Chart.js, charts.js
    assert '<script id="use-case-charts" type="application/json">' in html
    list_html = client_for(leader).get(reverse("usecases:list")).content.decode()
    assert "chart-4.6.1" not in list_html


def test_empty_states_without_reviews(client_for, owner, leader, use_case):
    html = whole_page(client_for(owner), url(use_case))
    assert "No weekly reviews yet — " in html
    assert "submit the first one" in html
    assert reverse("reviews:weekly_new", args=[use_case.pk]) in html
    assert "No monthly reviews yet" in html
    assert "No reviews in Aug 2026 – Oct 2026" in html
    assert "No open flags" in html
    assert "Not on any stage-gate agenda yet" in html
    assert 'id="chart-waterfall"' not in html  # no chart of zeros; the table says it
    assert charts(trends(client_for(owner), use_case))["weeks"] == []
    # Someone who may not submit is told who does, without a dead link.
    html = whole_page(client_for(leader), url(use_case))
    assert "the value owner or a contributor submits the first one" in html


def test_cfo_figures_waterfall_and_weekly_net(client_for, leader, use_case):
    add_week(use_case, week_of(datetime.date(2026, 10, 15)))
    add_month(use_case, "2026-10")
    response = client_for(leader).get(url(use_case))
    econ = response.context["economics"]
    assert econ == use_case_economics(
        use_case, start=datetime.date(2026, 8, 1), end=datetime.date(2026, 10, 1)
    )
    # gross 1,500; absorption 562.50 + 1,500; net 1,500 × 0.5 − 2,062.50; gap 1,500 × 0.5.
    assert econ.figures.gross_efficiency == Decimal("1500")
    assert econ.figures.net_value == Decimal("-1312.5")
    html = response.content.decode()
    for text in ("EUR 1,500.00", "EUR 2,062.50", "−EUR 1,312.50", "EUR 750.00"):
        assert text in html, text
    steps = {bar.step: bar for bar in response.context["waterfall"]}
    assert steps["net_value"].amount == Decimal("-1312.5")
    assert steps["rework"].leakage_point == "execution"
    assert 'data-step="translation_gap"' in html
    assert 'id="chart-waterfall"' in html
    assert charts(response)["waterfall"][0]["step"] == "pilot_promise"
    # The week's net value: 750 − 562.50 − 1,500 ÷ 5 (October 2026 has five ISO weeks).
    week = reviews(client_for(leader), use_case).context["weeks"][0]
    assert week.net_value == Decimal("-112.5")
    assert charts(scenarios(client_for(leader), use_case))["scenarios"]["net"]["actual"] == [-112.5]


def test_range_without_reviews_links_to_the_latest_month_of_either_kind(
    client_for, leader, use_case, django_assert_max_num_queries
):
    """The link to "the latest months with reviews" follows the later of the latest weekly and
    the latest monthly review; the page asks for it only when the range has none, within the
    query budget; with no review at all there is no link."""
    client = client_for(leader)
    response = client.get(url(use_case, start="2026-11", end="2026-11"))
    assert response.context["suggested_range"] is None
    assert "the latest months with reviews" not in response.content.decode()
    add_week(use_case, "2026-W36")  # September
    add_month(use_case, "2026-10")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url(use_case, start="2026-11", end="2026-11"))
    assert "show Aug 2026 – Oct 2026, the latest months with reviews" in (response.content.decode())
    response = client.get(url(use_case, start="2026-10", end="2026-10"))
    assert response.context["suggested_range"] is None


def test_week_without_monthly_review_has_no_net_value(client_for, leader, use_case):
    add_week(use_case, "2026-W46")  # November: no monthly review yet
    assert reviews(client_for(leader), use_case).context["weeks"][0].net_value is None
    assert charts(scenarios(client_for(leader), use_case))["scenarios"]["net"]["actual"] == [None]


def test_range_parameter_and_invalid_range(client_for, leader, use_case):
    add_week(use_case, week_of(datetime.date(2026, 10, 15)))
    response = client_for(leader).get(url(use_case, start="2026-10", end="2026-10"))
    assert response.context["month_range"].label == "Oct 2026"
    assert response.context["economics"].figures.gross_efficiency == Decimal("1500")
    response = client_for(leader).get(url(use_case, start="2026-11", end="2026-11"))
    assert response.context["economics"].figures.gross_efficiency == 0
    assert "show Aug 2026 – Oct 2026, the latest months with reviews" in (response.content.decode())
    response = client_for(leader).get(url(use_case, start="oct", end="2026-10"))
    assert response.status_code == 200
    assert response.context["month_range"].label == "Aug 2026 – Oct 2026"
    assert "is not a month" in response.content.decode()


def test_ninety_day_figure_pending_and_complete(client_for, leader, use_case):
    use_case.stage = Stage.SCALED
    use_case.scaled_on = datetime.date(2026, 7, 1)
    use_case.save()
    add_month(use_case, "2026-07")
    add_month(use_case, "2026-08")
    html = client_for(leader).get(url(use_case)).content.decode()
    assert "Pending" in html and "2 of 3 months reviewed" in html
    add_month(use_case, "2026-09")
    response = client_for(leader).get(url(use_case))
    ninety = response.context["economics"].net_value_90_days
    assert ninety.status == "complete" and ninety.value == Decimal("-4500")
    assert "−EUR 4,500.00" in response.content.decode()


def test_trends_with_default_thresholds_gaps_and_markers(client_for, leader, owner, use_case):
    add_week(use_case, "2026-W40", reworked_outputs=160)  # rework 20% breaches 15%
    add_week(use_case, "2026-W42", active_users=50)  # adoption 50% breaches 60%
    ModelChange.objects.create(
        use_case=use_case,
        version_label="prompt-v2",
        kind=ChangeKind.PROMPT,
        effective_date=datetime.date(2026, 10, 5),  # Monday of W41
        created_by=owner,
    )
    ModelChange.objects.create(  # before the first review: not marked
        use_case=use_case,
        version_label="prompt-v1",
        kind=ChangeKind.PROMPT,
        effective_date=datetime.date(2026, 6, 1),
    )
    data = charts(trends(client_for(leader), use_case))
    assert data["weeks"] == ["2026-W40", "2026-W41", "2026-W42"]
    kpis = {k["key"]: k for k in data["kpis"]}
    assert kpis["adoption_rate"]["values"] == [75.0, None, 50.0]
    assert kpis["rework_rate"]["values"] == [20.0, None, 12.5]
    assert kpis["exception_share"]["values"] == [5.0, None, 5.0]
    assert kpis["quality_score"]["values"] == [88.0, None, 88.0]
    assert kpis["adoption_rate"]["thresholds"] == [
        {"value": 60.0, "label": "Stop-loss: below 60.0%", "side": "below"}
    ]
    assert kpis["rework_rate"]["thresholds"] == [
        {"value": 15.0, "label": "Stop-loss: above 15.0%", "side": "above"}
    ]
    assert kpis["quality_score"]["thresholds"] == []
    # The value axis (reviews/chart_axes.py): the threshold in view, at least 10 points wide.
    assert kpis["adoption_rate"]["axis"] == {"min": 45, "max": 80, "step": 5}
    assert kpis["rework_rate"]["axis"] == {"min": 10, "max": 25, "step": 5}
    assert kpis["quality_score"]["axis"] == {"min": 80, "max": 95, "step": 5}  # not 88–88
    adoption_axis = charts(scenarios(client_for(leader), use_case))["scenarios"]["adoption"]
    assert adoption_axis["axis"]["max"] - adoption_axis["axis"]["min"] >= 10
    assert data["markers"] == [
        {"x": 0.5, "label": "prompt-v2", "title": "prompt-v2 (prompt, effective 5 Oct 2026)"}
    ]
    html = whole_page(client_for(leader), url(use_case))
    assert html.count('class="num breach"') == 4  # both tables mark both breaches
    assert "Rework rate above <strong>15.0%</strong>" in html


def test_use_case_override_replaces_the_default_threshold(
    client_for, leader, use_case, other_use_case
):
    add_week(use_case, "2026-W42")
    StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.10"),
    )
    StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.QUALITY_SCORE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("70"),
    )
    StopLossRule.objects.create(  # another use case's rule: ignored
        use_case=other_use_case,
        metric=Metric.ADOPTION_RATE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0.90"),
    )
    StopLossRule.objects.create(  # an inactive default: ignored
        metric=Metric.EXCEPTION_SHARE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.01"),
        active=False,
    )
    response = trends(client_for(leader), use_case)
    kpis = {k["key"]: k["thresholds"] for k in charts(response)["kpis"]}
    assert kpis == {
        "adoption_rate": [{"value": 60.0, "label": "Stop-loss: below 60.0%", "side": "below"}],
        "rework_rate": [{"value": 10.0, "label": "Stop-loss: above 10.0%", "side": "above"}],
        "exception_share": [],
        "quality_score": [{"value": 70.0, "label": "Stop-loss: below 70", "side": "below"}],
    }
    assert "override for this use case" in response.content.decode()


def test_scenarios_against_actual(client_for, leader, use_case):
    add_week(use_case, week_of(datetime.date(2026, 10, 15)))
    add_month(use_case, "2026-10")
    response = scenarios(client_for(leader), use_case)
    rows = response.context["scenarios"]
    assert [r.label for r in rows] == ["Pessimistic", "Base", "Optimistic"]
    # Base: 2000 × 0.6 × 12 × 0.3 / 60 × 45 = 3,240 gross; net 1,620 − 2,500 × 12 / 52.
    base = rows[1].forecast
    assert base.weekly_gross == Decimal("3240")
    actual = response.context["actual"]
    assert actual.adoption_rate == Decimal("0.75")
    assert actual.weeks_in_range == 13  # Aug 4 + Sep 4 + Oct 5
    with decimal.localcontext(prec=economics.PRECISION):
        assert actual.weekly_net == Decimal("-1312.5") / 13
    assert [r.adoption_met for r in rows] == [True, True, False]
    lines = charts(response)["scenarios"]["adoption"]["lines"]
    assert [line["value"] for line in lines] == [40.0, 60.0, 80.0]
    html = response.content.decode()
    assert "EUR 3,240.00" in html
    assert "1 of 13 weeks reviewed" in html


def test_flags_open_and_resolved_with_explanations(client_for, pmo, leader, use_case):
    Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.STOP_LOSS,
        rule_key="rule:1",
        period="2026-W46",
        observed_value=Decimal("0.19"),
        threshold=Decimal("0.15"),
        explanation="Rework rate was 19.0% in 2026-W46, above the stop-loss threshold of 15%.",
    )
    resolved = Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.EXCEPTIONS_GROWING,
        rule_key="exceptions_growing",
        period="2026-W40",
        explanation="Exception share rose week on week.",
        resolved_at=timezone.now(),
        resolved_by=pmo,
        resolution_note="New intake form fixed it.",
    )
    html = client_for(leader).get(url(use_case)).content.decode()
    assert "Rework rate was 19.0% in 2026-W46" in html
    assert "A stop-loss threshold was breached" in html
    assert "1 open flag" in html
    assert "Exception share rose week on week." in html
    assert "New intake form fixed it." in html
    assert reverse("reviews:flag_resolve", args=[resolved.pk]) not in html
    open_flag = Flag.objects.open().get()
    assert reverse("reviews:flag_resolve", args=[open_flag.pk]) not in html
    pmo_html = client_for(pmo).get(url(use_case)).content.decode()
    assert reverse("reviews:flag_resolve", args=[open_flag.pk]) in pmo_html


def test_gate_items_and_decisions(client_for, leader, use_case):
    gate = Gate.objects.create(
        quarter="2026-Q4",
        opens_on=datetime.date(2026, 10, 1),
        closes_on=datetime.date(2026, 10, 20),
        chair=leader,
        status=GateStatus.CLOSED,
    )
    item = GateItem.objects.create(gate=gate, use_case=use_case, outcome="redesign")
    Decision.objects.create(
        item=item,
        decision="hold",
        outcome="redesign",
        rationale="Wait for the new model.",
        decided_by=leader,
        decided_at=timezone.now(),
    )
    html = whole_page(client_for(leader), url(use_case))
    assert "2026-Q4" in html
    assert "Wait for the new model." in html
    assert "departs from the vote" in html
    assert reverse("stagegates:item", args=[item.pk]) in html


def test_existing_panels_still_there(client_for, pmo, use_case):
    html = whole_page(client_for(pmo), url(use_case))
    for anchor in ('id="facts"', 'id="business-case"', 'id="changes"', 'id="checklist"'):
        assert anchor in html
    assert 'id="history"' in html
    assert 'class="table checklist"' in html  # the panels themselves, not their placeholders
    assert "Every change to this use case and its business case" in html
    assert "<h3>Versions</h3>" in html  # the use case's business case and its versions
    assert reverse("usecases:edit", args=[use_case.pk]) in html


def _grow(use_case, n, owner, pmo):
    """n weekly reviews (with a gap), monthly reviews, model changes, flags and gate items."""
    monday = datetime.date(2026, 11, 16)
    for i in range(n):
        add_week(use_case, week_of(monday - datetime.timedelta(weeks=i + (i // 10))))
    months = sorted({r.month_start for r in WeeklyReview.objects.filter(use_case=use_case)})
    for month in months:
        add_month(use_case, economics.format_month(month.year, month.month))
    for i in range(min(n, 5)):
        ModelChange.objects.create(
            use_case=use_case,
            version_label=f"v{i}",
            kind=ChangeKind.MODEL,
            effective_date=monday - datetime.timedelta(weeks=3 * i),
        )
        Flag.objects.create(
            use_case=use_case,
            kind=FlagKind.STOP_LOSS,
            rule_key=f"rule:{i}",
            period=f"2026-W{40 + i}",
            explanation="Breach.",
            resolved_at=timezone.now() if i % 2 else None,
            resolved_by=pmo if i % 2 else None,
        )
        gate = Gate.objects.get_or_create(
            quarter=f"{2020 + i}-Q{use_case.pk % 4 + 1}",
            defaults=dict(
                opens_on=datetime.date(2020 + i, 1, 1), closes_on=datetime.date(2020 + i, 2, 1)
            ),
        )[0]
        item = GateItem.objects.create(gate=gate, use_case=use_case)
        Decision.objects.create(
            item=item, decision="hold", outcome="hold", decided_by=pmo, decided_at=timezone.now()
        )


def _count(client, target, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


#: Issue 16: the page ran 25 queries; now the page and each of its sections run at most this.
MAX_QUERIES = 12


@pytest.mark.parametrize("role", ["leader", "owner", "contributor", "pmo"])
def test_query_count_is_bounded_and_does_not_grow_with_reviews(
    role, role_users, owner, pmo, client_for
):
    small = make_use_case(name="Small", owner=owner)
    big = make_use_case(name="Big", owner=owner)
    for uc in (small, big):
        uc.contributors.add(role_users["contributor"])
        uc.stage, uc.scaled_on = Stage.SCALED, datetime.date(2026, 6, 1)  # the 90-day query too
        uc.save()
    _grow(small, 1, owner, pmo)
    _grow(big, 40, owner, pmo)
    assert WeeklyReview.objects.filter(use_case=big).count() == 40
    client = client_for(role_users[role])
    client.get(url(small))  # warm up
    query = "start=2026-01&end=2026-11"
    n_small, _ = _count(client, url(small, start="2026-01", end="2026-11"))
    n_big, response = _count(client, url(big, start="2026-01", end="2026-11"))
    assert n_small == n_big <= MAX_QUERIES
    for slug in SECTIONS:
        for headers in (HTMX, {}):  # the fragment and the full page
            n_small, _ = _count(client, section_url(small, slug, query), **headers)
            n_big, response = _count(client, section_url(big, slug, query), **headers)
            assert n_small == n_big <= MAX_QUERIES, (slug, headers, n_small, n_big)
    trends_response = get_section(client, big, "trends", query)
    assert len(charts(trends_response)["weeks"]) > 40  # the gaps are on the axis too


def test_page_query_budget(client_for, leader, use_case, django_assert_max_num_queries):
    """The page's first paint alone (header, facts, flags, value) at its most: a scaled use case
    (the 90-day figure's query) with a value owner, reviews and an open flag."""
    use_case.stage, use_case.scaled_on = Stage.SCALED, datetime.date(2026, 6, 1)
    use_case.save()
    add_week(use_case, "2026-W42")
    add_month(use_case, "2026-10")
    client = client_for(leader)
    client.get(url(use_case))
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url(use_case)).status_code == 200


def test_chart_data_is_json_numbers(client_for, leader, use_case):
    add_week(use_case, "2026-W42")
    html = trends(client_for(leader), use_case).content.decode()
    start = html.index('<script id="use-case-charts-trends" type="application/json">')
    payload = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    data = json.loads(payload)
    assert data["currency"] == "EUR"
    assert data["kpis"][0]["values"] == [75.0]
    assert data["markers"] == []


def test_change_markers_position():
    axis = [datetime.date(2026, 10, 5) + datetime.timedelta(weeks=i) for i in range(4)]

    class Change:
        def __init__(self, pk, day, label):
            self.pk, self.effective_date, self.version_label = pk, day, label

        def get_kind_display(self):
            return "Model"

    markers = use_case_page.change_markers(
        [
            Change(1, datetime.date(2026, 10, 5), "a"),  # Monday of the first week: clamped
            Change(2, datetime.date(2026, 10, 19), "b"),  # Monday of the third week
            Change(3, datetime.date(2026, 10, 22), "c"),  # its Thursday
            Change(4, datetime.date(2026, 11, 2), "d"),  # after the last week
        ],
        axis,
    )
    assert [(m["label"], m["x"]) for m in markers] == [("a", 0), ("b", 1.5), ("c", 1.929)]


def test_gate_items_closed_without_an_outcome_or_a_decision_say_so(
    client_for, pmo, leader, use_case
):
    """Issue 14 follow-up: an item of a closed gate without a quorum (or on a tie) and without a
    decision says so in words — no empty outcome, no "Not decided yet" as if voting went on."""
    from django.utils.html import strip_tags

    from stagegates.models import Vote

    q4 = Gate.objects.create(
        quarter="2026-Q3",
        opens_on=datetime.date(2026, 9, 1),
        closes_on=datetime.date(2026, 9, 20),
        chair=leader,
        status=GateStatus.CLOSED,
        members_at_close=3,
        quorum_at_close=2,
    )
    item = GateItem.objects.create(gate=q4, use_case=use_case)
    Vote.objects.create(item=item, voter=leader, choice="scale", rationale="Good numbers.")
    tied_gate = Gate.objects.create(
        quarter="2026-Q2",
        opens_on=datetime.date(2026, 5, 1),
        closes_on=datetime.date(2026, 5, 20),
        status=GateStatus.CLOSED,
        members_at_close=2,
        quorum_at_close=2,
    )
    tied = GateItem.objects.create(gate=tied_gate, use_case=use_case)
    leo = make_user("leo", "Leadership")
    Vote.objects.create(item=tied, voter=leader, choice="scale", rationale="Yes.")
    Vote.objects.create(item=tied, voter=leo, choice="stop", rationale="No.")

    html = whole_page(client_for(leader), url(use_case))
    section = html[html.index('id="gates"') : html.index("</section>", html.index('id="gates"'))]
    words = " ".join(strip_tags(section).split())

    assert "No outcome: no quorum (1 of 3 voted, 2 needed)" in words
    assert "No outcome: tied (Scale 1 · Stop 1)" in words
    # The later gate took the tied item's place; the latest one waits for the next gate.
    assert "No decision — carried over to the 2026-Q3 gate" in words
    assert "No decision — carried over to the next gate" in words
    assert "Not decided yet" not in words
    assert "<td>—</td>" not in section
