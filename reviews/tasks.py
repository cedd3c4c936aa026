"""Celery tasks of the reviews app. Tasks are thin: they call the same functions the views use.

Shared file: stop-loss/signal sweeps and cadence reminders both live here (append, do not rewrite).
"""
