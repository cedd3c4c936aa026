"""The one Celery app. Broker from CELERY_BROKER_URL (embedded SQLite broker by default)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")

app = Celery("valuegate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
