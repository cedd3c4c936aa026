"""The portfolio's own pages: My work (the home page), the health check, the use case page,
the portfolio dashboard and the CFO report (included at the site root by ``portfolio/urls.py``)."""

from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("portfolio/", views.portfolio_dashboard, name="dashboard"),
    path("reports/cfo/", views.cfo_report, name="cfo_report"),
    path("reports/cfo/export/", views.cfo_export, name="cfo_export"),
]
