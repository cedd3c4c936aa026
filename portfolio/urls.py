from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import use_case_page, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("use-cases/<int:pk>/", use_case_page.use_case_page, name="use_case"),
    path("use-cases/", include("usecases.urls")),
    path("reviews/", include("reviews.urls")),
    path("gates/", include("stagegates.urls")),
    path("inbox/", include("usecases.inbox_urls")),
    path("overdue/", include("portfolio.overdue_urls")),
    path("", include("portfolio.dashboard_urls")),  # portfolio/ and reports/
    path("api/v1/", include("portfolio.api_urls")),
    path("admin/", admin.site.urls),
]
