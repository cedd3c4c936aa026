"""Workflow metrics: ``tasks_total`` and ``backlog`` of a use case's week, pushed by the workflow
system that knows them, so that a telemetry draft needs no typing."""

from django.db import transaction

from .telemetry_models import WorkflowMetrics


@transaction.atomic
def workflow_metrics_put(*, user, use_case, week: str, data: dict) -> tuple[WorkflowMetrics, bool]:
    """Create or replace the week's metrics: ``(row, created)``."""
    return WorkflowMetrics.objects.update_or_create(
        use_case=use_case,
        week=week,
        defaults={
            "tasks_total": data["tasks_total"],
            "backlog": data["backlog"],
            "updated_by": user,
        },
    )
