"""The site's URLs plus views that fail, for the error page tests (``pytest.mark.urls``)."""

from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from django.urls import path

from portfolio import urls as site


def crash(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("could not connect to server: Connection refused")


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
    *site.urlpatterns,
]
