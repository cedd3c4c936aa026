"""Vote and decision rationales get a length limit (issue 13): usecases.text.RATIONALE_MAX."""

from django.db import migrations, models

import usecases.text


class Migration(migrations.Migration):
    dependencies = [
        ("stagegates", "0001_gates_items_votes_decisions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="rationale",
            field=models.TextField(
                blank=True, max_length=10000, validators=[usecases.text.MaxLength(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicaldecision",
            name="rationale",
            field=models.TextField(
                blank=True, max_length=10000, validators=[usecases.text.MaxLength(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalvote",
            name="rationale",
            field=models.TextField(max_length=10000, validators=[usecases.text.MaxLength(10000)]),
        ),
        migrations.AlterField(
            model_name="vote",
            name="rationale",
            field=models.TextField(max_length=10000, validators=[usecases.text.MaxLength(10000)]),
        ),
    ]
