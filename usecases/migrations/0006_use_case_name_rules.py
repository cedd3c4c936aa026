"""Use case names: one line, unique whatever their case (issue 13); free text gets a length limit.

Before the case-insensitive unique constraint is added, ``report_name_clashes`` looks for names
that differ only in case and stops the migration with a message naming every clash (ids and
names), so the PMO renames one of each and migrates again, instead of the database's bare
"could not create unique index". Free text already longer than its new limit stays as it is
(the limit applies to the next edit), so nothing else can fail here.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import usecases.text


def report_name_clashes(apps, schema_editor):
    UseCase = apps.get_model("usecases", "UseCase")
    by_name = {}
    for pk, name in UseCase.objects.order_by("pk").values_list("pk", "name"):
        by_name.setdefault(name.lower(), []).append((pk, name))
    clashes = [rows for rows in by_name.values() if len(rows) > 1]
    if clashes:
        lines = "\n".join(
            "  - " + ", ".join(f"#{pk} “{name}”" for pk, name in rows) for rows in clashes
        )
        raise RuntimeError(
            "Use case names must be unique whatever their case, and these differ only in case:\n"
            f"{lines}\nRename all but one of each (as the PMO, on the use case's edit page or "
            "PATCH /api/v1/use-cases/<id>/), then run the migration again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("usecases", "0005_stage_transition"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checklistanswer",
            name="evidence",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalchecklistanswer",
            name="evidence",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalmodelchange",
            name="description",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalmodelchange",
            name="version_label",
            field=models.CharField(max_length=60, validators=[usecases.text.single_line]),
        ),
        migrations.AlterField(
            model_name="historicalusecase",
            name="business_unit",
            field=models.CharField(
                db_index=True, max_length=80, validators=[usecases.text.single_line]
            ),
        ),
        migrations.AlterField(
            model_name="historicalusecase",
            name="description",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalusecase",
            name="name",
            field=models.CharField(
                db_index=True, max_length=120, validators=[usecases.text.single_line]
            ),
        ),
        migrations.AlterField(
            model_name="historicalusecase",
            name="workflow",
            field=models.CharField(
                blank=True,
                help_text="The business workflow the AI is embedded in.",
                max_length=160,
                validators=[usecases.text.single_line],
            ),
        ),
        migrations.AlterField(
            model_name="modelchange",
            name="description",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="modelchange",
            name="version_label",
            field=models.CharField(max_length=60, validators=[usecases.text.single_line]),
        ),
        migrations.AlterField(
            model_name="usecase",
            name="business_unit",
            field=models.CharField(
                db_index=True, max_length=80, validators=[usecases.text.single_line]
            ),
        ),
        migrations.AlterField(
            model_name="usecase",
            name="description",
            field=models.TextField(
                blank=True, max_length=5000, validators=[usecases.text.MaxLength(5000)]
            ),
        ),
        migrations.AlterField(
            model_name="usecase",
            name="name",
            field=models.CharField(
                max_length=120, unique=True, validators=[usecases.text.single_line]
            ),
        ),
        migrations.AlterField(
            model_name="usecase",
            name="workflow",
            field=models.CharField(
                blank=True,
                help_text="The business workflow the AI is embedded in.",
                max_length=160,
                validators=[usecases.text.single_line],
            ),
        ),
        migrations.RunPython(report_name_clashes, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="usecase",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="unique_use_case_name_ci",
                violation_error_message="A use case with this name already exists.",
            ),
        ),
    ]
