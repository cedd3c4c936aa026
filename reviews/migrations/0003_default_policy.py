"""The portfolio-wide default stop-loss policy of DESIGN.md: rework above 15% or active adoption
below 60%, for 1 week, no grace weeks → return to redesign."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = (
    ("rework_rate", "exceeds", Decimal("0.15")),
    ("adoption_rate", "falls_below", Decimal("0.60")),
)


def create_default_policy(apps, schema_editor):
    StopLossRule = apps.get_model("reviews", "StopLossRule")
    for metric, comparison, threshold in DEFAULTS:
        if not StopLossRule.objects.filter(use_case=None, metric=metric).exists():
            StopLossRule.objects.create(
                use_case=None,
                metric=metric,
                comparison=comparison,
                threshold=threshold,
                consecutive_weeks=1,
                grace_weeks=0,
                action="redesign",
            )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_stoploss_rules_and_flags")]
    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
