"""The portfolio dashboard and the CFO report (included at the site root by portfolio/urls.py)."""

from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("portfolio/", views.portfolio_dashboard, name="dashboard"),
    path("reports/cfo/", views.cfo_report, name="cfo_report"),
    path("reports/cfo/export/", views.cfo_export, name="cfo_export"),
]
