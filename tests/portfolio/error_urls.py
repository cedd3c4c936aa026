"""The site's URLs plus views that fail, for the error page tests (``pytest.mark.urls``)."""

from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from portfolio import urls as site


def crash(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("could not connect to server: Connection refused")


def connection_closed(request):
    raise InterfaceError("connection already closed")


class DatabaseDownApi(APIView):
    """A DRF view: DRF's exception handler sees the error before Django does."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise OperationalError("server closed the connection unexpectedly")


def suspicious(request):
    raise SuspiciousOperation("tampered input")


handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500

urlpatterns = [
    path("test-errors/crash/", crash),
    path("test-errors/database-down/", database_down),
    path("test-errors/suspicious/", suspicious),
    path("api/v1/test-errors/crash/", crash),
    path("api/v1/test-errors/database-down/", DatabaseDownApi.as_view()),
    path("api/v1/test-errors/connection-closed/", connection_closed),
    *site.urlpatterns,
]
