"""Free text of reviews and flags gets a length limit (issue 13): usecases.text.NOTE_MAX."""

from django.db import migrations, models

import usecases.text


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_use_case_period_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="flag",
            name="resolution_note",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalflag",
            name="resolution_note",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalmonthlyreview",
            name="notes",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalweeklyreview",
            name="notes",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalweeklyreview",
            name="user_barriers",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="monthlyreview",
            name="notes",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="weeklyreview",
            name="notes",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="weeklyreview",
            name="user_barriers",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
    ]
