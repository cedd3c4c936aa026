"""The OTLP/HTTP receiver's path, mounted at the site root by ``portfolio.urls`` (``/otlp/``):
``OTEL_EXPORTER_OTLP_ENDPOINT=<site>/otlp`` makes exporters post to ``/otlp/v1/traces``."""

from django.urls import path

from . import otlp_view

app_name = "otlp"
urlpatterns = [path("v1/traces", otlp_view.traces, name="traces")]
