"""The use case page's sections that load as needed (issue 16: the page was 6,650 px tall with 25
queries).

The page itself (``portfolio.use_case_page.use_case_page``) paints the header, the section
index, the facts, the flags and the value section (the key figures). Each section below is a
placeholder there: a heading and a plain link to the section's own URL, which htmx replaces with
the section when it scrolls into view (``hx-trigger="intersect once"``). The same URL answers

- an htmx request (``request.htmx``, django-htmx) with the section alone (the fragment that
  replaces the placeholder), and
- a plain request (the link without JavaScript, a bookmark) with a full page: the layout, the use
  case's name, the section, links to the other sections and back to the page.

``Vary: HX-Request`` keeps a cache from serving one for the other. Every section URL asks the
same question as the page, with the page's prepared fetch (``get_prepared_use_case_for_user``:
404 for who may not see the use case, the login page for an
anonymous visitor) and shows what the page showed in that section, with
the same per-user actions. The range (``?start=…&end=…``) travels with the section URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from usecases import clock
from usecases.permissions import get_prepared_use_case_for_user
from usecases.templatetags.fixed_urls import reverse_int

from . import dashboard
from . import use_case_page as page


@dataclass(frozen=True)
class Section:
    slug: str  # the anchor on the page and the last part of the section's URL
    title: str
    template: str  # renders the whole <section id="{slug}">
    data: Callable[..., dict]  # (user=, use_case=, month_range=) -> the template's context
    summary: str  # what the placeholder says the section holds
    uses_range: bool = False
    has_charts: bool = False
    nav: str = ""  # its name in the section index, when shorter than the title

    @property
    def url_name(self) -> str:
        return "use_case_" + self.slug.replace("-", "_")

    def url(self, pk: int, query: str = "") -> str:
        base = reverse_int(f"portfolio:{self.url_name}", pk)
        return f"{base}?{query}" if query and self.uses_range else base

    def link(self, pk: int, query: str = "") -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "nav": self.nav or self.title,
            "summary": self.summary,
            "url": self.url(pk, query),
        }


SECTIONS = {
    s.slug: s
    for s in (
        Section(
            "trends",
            "KPI trends",
            "portfolio/_uc_trends.html",
            page.trends_data,
            "Adoption, rework, exception share and quality week by week, with the stop-loss "
            "thresholds that apply.",
            has_charts=True,
        ),
        Section(
            "scenarios",
            "Actual against the business case scenarios",
            "portfolio/_uc_scenarios.html",
            page.scenarios_data,
            "Weekly adoption and net value against the pessimistic, base and optimistic scenarios.",
            uses_range=True,
            has_charts=True,
            nav="Scenarios",
        ),
        Section(
            "reviews",
            "Reviews",
            "portfolio/_uc_reviews.html",
            page.reviews_data,
            "Every weekly operational and monthly financial review, with corrections.",
        ),
        Section(
            "gates",
            "Stage gates",
            "portfolio/_uc_gates.html",
            page.gates_data,
            "The stage-gate agendas this use case was on, the vote outcomes and decisions.",
        ),
        Section(
            "business-case",
            "Business case",
            "usecases/_use_case_panels.html#business_case",
            page.panel_data("business_case"),
            "The business case's figures and its saved versions.",
        ),
        Section(
            "changes",
            "Model and prompt changes",
            "portfolio/_uc_changes.html",
            page.changes_data,
            "The model and prompt change log, each change's impact before and after, and the "
            "changes seen in the telemetry waiting for confirmation.",
            nav="Changes",
        ),
        Section(
            "checklist",
            "Value-leakage checklist",
            "usecases/_use_case_panels.html#checklist",
            page.panel_data("checklist"),
            "The value-leakage checklist's answers and evidence.",
            nav="Checklist",
        ),
        Section(
            "history",
            "History",
            "usecases/_use_case_panels.html#history",
            page.panel_data("history"),
            "Every change to this use case and its business case: who, when, before and after.",
        ),
    )
}


@login_required
@require_GET
def use_case_section(request, pk, section):
    """One section of the use case page: the fragment for htmx, a full page otherwise."""
    section = SECTIONS[section]
    user = request.user
    use_case = get_prepared_use_case_for_user(user, pk)
    month_range, _errors = dashboard.month_range_from_params(request.GET, today=clock.today())
    context = {
        "use_case": use_case,
        "month_range": month_range,
        "currency": settings.VALUEGATE_CURRENCY,
        "section": section,
        **section.data(user=user, use_case=use_case, month_range=month_range),
    }
    if request.htmx:
        response = render(request, section.template, context)
    else:
        query = page.range_query(month_range)
        context["sections"] = [s.link(pk, query) for s in SECTIONS.values()]
        response = render(request, "portfolio/use_case_section.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
