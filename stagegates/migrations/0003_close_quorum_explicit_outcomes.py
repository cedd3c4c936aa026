"""Explicit gate decisions (issue 15): an item without a majority has no outcome, not "hold".

The gate keeps the quorum and the Leadership count of its closing. Undecided items of gates closed
before this change whose votes gave no majority (no votes, or a tie: what used to become "hold")
lose that implicit outcome, so the chair must decide them explicitly. Decided items keep their
record.
"""

from collections import Counter

from django.db import migrations, models


def clear_implicit_holds(apps, schema_editor):
    GateItem = apps.get_model("stagegates", "GateItem")
    Vote = apps.get_model("stagegates", "Vote")
    undecided = GateItem.objects.filter(
        gate__status="closed", outcome="hold", decision__isnull=True
    )
    for item in undecided.iterator():
        counts = Counter(Vote.objects.filter(item=item).values_list("choice", flat=True))
        top = counts.most_common(2)
        if not top or (len(top) > 1 and top[0][1] == top[1][1]):
            GateItem.objects.filter(pk=item.pk).update(outcome="")


class Migration(migrations.Migration):
    dependencies = [
        ("stagegates", "0002_rationale_max_lengths"),
    ]

    operations = [
        migrations.AddField(
            model_name="gate",
            name="members_at_close",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Leadership members who could vote, counted at closing.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="gate",
            name="quorum_at_close",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Votes an item needed for an outcome, fixed at closing.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicalgate",
            name="members_at_close",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Leadership members who could vote, counted at closing.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicalgate",
            name="quorum_at_close",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Votes an item needed for an outcome, fixed at closing.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="decision",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("scale", "Scale"),
                    ("redesign", "Redesign"),
                    ("hold", "Hold"),
                    ("stop", "Stop"),
                ],
                help_text="The vote outcome the chair started from; empty when there was none.",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="gateitem",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("scale", "Scale"),
                    ("redesign", "Redesign"),
                    ("hold", "Hold"),
                    ("stop", "Stop"),
                ],
                help_text="The vote outcome at closing; empty without a quorum or on a tie.",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="historicaldecision",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("scale", "Scale"),
                    ("redesign", "Redesign"),
                    ("hold", "Hold"),
                    ("stop", "Stop"),
                ],
                help_text="The vote outcome the chair started from; empty when there was none.",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="historicalgateitem",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("scale", "Scale"),
                    ("redesign", "Redesign"),
                    ("hold", "Hold"),
                    ("stop", "Stop"),
                ],
                help_text="The vote outcome at closing; empty without a quorum or on a tie.",
                max_length=8,
            ),
        ),
        migrations.RunPython(clear_implicit_holds, migrations.RunPython.noop),
    ]
