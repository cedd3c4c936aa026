"""The site's URLs: one namespaced include per app (``usecases:``, ``reviews:``, ``stagegates:``,
``portfolio:``), each app's ``urls.py`` holding the full paths of its pages; the REST API under
``api/v1/``; Django's login and logout (the names ``LOGIN_URL`` expects) and the admin; the error
pages (``portfolio.errors``) and ``/favicon.ico``."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from .sso import LoginView
from .sso_logout import LogoutView

admin.site.site_header = "Valuegate administration"
admin.site.site_title = "Valuegate admin"
admin.site.index_title = "Records"

handler400 = "portfolio.errors.bad_request"
handler403 = "portfolio.errors.permission_denied"
handler404 = "portfolio.errors.page_not_found"
# A database outage raised inside a middleware is a 503 (portfolio/db_unavailable.py), the rest 500.
handler500 = "portfolio.db_unavailable.server_error"


class FaviconView(RedirectView):
    """Browsers ask for ``/favicon.ico`` on pages that name no icon (a JSON answer, a file)."""

    permanent = False  # the static URL carries a hash in production: do not cache the redirect

    def get_redirect_url(self, *args, **kwargs):
        return static("img/favicon.svg")


urlpatterns = [
    # allauth's login (password form + single sign-on button, portfolio/sso.py) under Django's
    # name; allauth's own pages (two-factor, the provider's callback, reauthentication) below.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),  # and at the provider
    path("accounts/", include("portfolio.account_urls")),
    path("", include("usecases.urls")),  # use-cases/ and inbox/
    path("", include("reviews.urls")),  # reviews/ and overdue/
    path("gates/", include("stagegates.urls")),
    path("", include("portfolio.page_urls")),  # home, healthz, portfolio/ and reports/
    path("api/v1/", include("portfolio.api_urls")),
    path("otlp/", include("reviews.otlp_urls")),  # OTLP/HTTP span ingest (docs/telemetry.md)
    path("admin/", admin.site.urls),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
]
