"""The site's URLs: one namespaced include per app (``usecases:``, ``reviews:``, ``stagegates:``,
``portfolio:``), each app's ``urls.py`` holding the full paths of its pages; the REST API under
``api/v1/``; Django's login and logout (the names ``LOGIN_URL`` expects) and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("usecases.urls")),  # use-cases/ and inbox/
    path("", include("reviews.urls")),  # reviews/ and overdue/
    path("gates/", include("stagegates.urls")),
    path("", include("portfolio.page_urls")),  # home, healthz, portfolio/ and reports/
    path("api/v1/", include("portfolio.api_urls")),
    path("admin/", admin.site.urls),
]
