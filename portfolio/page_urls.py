"""The portfolio's own pages (included at the site root by ``portfolio/urls.py``): My work (the
home page), the health check, the portfolio dashboard, the CFO report and the use case page's
sections (one URL each, ``portfolio.use_case_sections``; the page itself is ``usecases:detail``)."""

from django.urls import path

from . import evidence_views, use_case_sections, views

app_name = "portfolio"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("portfolio/", views.portfolio_dashboard, name="dashboard"),
    path("reports/cfo/", views.cfo_report, name="cfo_report"),
    path("reports/cfo/export/", views.cfo_export, name="cfo_export"),
    path("reports/cfo/subscription/", views.cfo_subscription, name="cfo_subscription"),
    # The evidence pack (issue 19): a use case's ZIP, and the portfolio's for the PMO.
    path(
        "use-cases/<int:pk>/evidence-pack.zip",
        evidence_views.use_case_evidence_pack,
        name="use_case_evidence_pack",
    ),
    path("reports/evidence/", evidence_views.portfolio_evidence, name="evidence"),
    path(
        "reports/evidence/evidence-pack.zip",
        evidence_views.portfolio_evidence_pack,
        name="evidence_pack",
    ),
    path(
        "reports/evidence/prepare/",
        evidence_views.portfolio_evidence_prepare,
        name="evidence_prepare",
    ),
    path(
        "reports/evidence/status/",
        evidence_views.portfolio_evidence_status,
        name="evidence_status",
    ),
    *(
        path(
            f"use-cases/<int:pk>/sections/{section.slug}/",
            use_case_sections.use_case_section,
            {"section": section.slug},
            name=section.url_name,
        )
        for section in use_case_sections.SECTIONS.values()
    ),
]
