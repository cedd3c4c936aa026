"""API tokens were DRF ``authtoken`` rows: the token itself, in plain text, in the database and in
every backup. They move to django-rest-knox (``portfolio/api_tokens.py``: hashed, expiring). The
old tokens are not carried over — a token that sat in plain text in a backup must be treated as
exposed — so this drops the old table (if this database ever had it) and forgets the old app's
migrations and content types. Clients ask ``POST /api/v1/auth/token/`` for a new token.

Not reversible in substance: going back re-creates nothing (re-installing ``rest_framework.authtoken``
would migrate its empty table again).
"""

from django.db import migrations

OLD_TABLE = "authtoken_token"


def drop_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("usecases", "0006_use_case_name_rules"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]
