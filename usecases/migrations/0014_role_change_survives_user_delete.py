"""An audit record outlives the accounts it names: ``RoleChange.user`` is SET_NULL, and the rows
keep the usernames (of the user and of the administrator) copied from the accounts."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_usernames(apps, schema_editor):
    RoleChange = apps.get_model("usecases", "RoleChange")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    RoleChange.objects.update(
        username=Subquery(User.objects.filter(pk=OuterRef("user_id")).values("username")[:1])
    )
    RoleChange.objects.filter(changed_by__isnull=False).update(
        changed_by_username=Subquery(
            User.objects.filter(pk=OuterRef("changed_by_id")).values("username")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("usecases", "0013_role_change_kept"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="rolechange",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="role_changes",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="rolechange",
            name="username",
            field=models.CharField(
                default="",
                help_text="The user's username when the change was recorded.",
                max_length=150,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rolechange",
            name="changed_by_username",
            field=models.CharField(
                blank=True,
                help_text="The administrator's username when the change was recorded (empty: "
                "none).",
                max_length=150,
            ),
        ),
        # Last: no ALTER TABLE after the rows are updated in this transaction.
        migrations.RunPython(copy_usernames, migrations.RunPython.noop, elidable=True),
    ]
