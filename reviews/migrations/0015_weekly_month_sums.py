"""The weekly reviews summed per use case and month (``WeeklyMonthSum``), kept by triggers on
PostgreSQL and back-filled here (``reviews.month_sums``). The SQL is frozen as it was generated
from ``economics.WEEKLY_QUANTITIES`` (``month_sums.trigger_sql``, ``backfill_sql``): a test
fails when they no longer agree. On SQLite only the table (no triggers: the reads use the
reviews there)."""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION reviews_weeklymonthsum_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM reviews_weeklymonthsum;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes)
      SELECT d.use_case_id, d.month_start, SUM(d.review_count), SUM(d.tasks_total), SUM(d.tasks_with_ai), SUM(d.ai_minutes_saved), SUM(d.rework_minutes)
      FROM (SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM new_rows r) AS d
      GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0
      ORDER BY d.use_case_id, d.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET review_count = s.review_count + EXCLUDED.review_count, tasks_total = s.tasks_total + EXCLUDED.tasks_total, tasks_with_ai = s.tasks_with_ai + EXCLUDED.tasks_with_ai, ai_minutes_saved = s.ai_minutes_saved + EXCLUDED.ai_minutes_saved, rework_minutes = s.rework_minutes + EXCLUDED.rework_minutes;
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM new_rows r);
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes)
      SELECT d.use_case_id, d.month_start, SUM(d.review_count), SUM(d.tasks_total), SUM(d.tasks_with_ai), SUM(d.ai_minutes_saved), SUM(d.rework_minutes)
      FROM (SELECT r.use_case_id, r.month_start, -1 AS review_count, -(r.tasks_total::numeric) AS tasks_total, -(r.tasks_with_ai::numeric) AS tasks_with_ai, -(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, -(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM old_rows r UNION ALL SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM new_rows r) AS d
      GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0
      ORDER BY d.use_case_id, d.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET review_count = s.review_count + EXCLUDED.review_count, tasks_total = s.tasks_total + EXCLUDED.tasks_total, tasks_with_ai = s.tasks_with_ai + EXCLUDED.tasks_with_ai, ai_minutes_saved = s.ai_minutes_saved + EXCLUDED.ai_minutes_saved, rework_minutes = s.rework_minutes + EXCLUDED.rework_minutes;
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM old_rows r UNION SELECT r.use_case_id, r.month_start FROM new_rows r);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes)
      SELECT d.use_case_id, d.month_start, SUM(d.review_count), SUM(d.tasks_total), SUM(d.tasks_with_ai), SUM(d.ai_minutes_saved), SUM(d.rework_minutes)
      FROM (SELECT r.use_case_id, r.month_start, -1 AS review_count, -(r.tasks_total::numeric) AS tasks_total, -(r.tasks_with_ai::numeric) AS tasks_with_ai, -(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, -(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM old_rows r) AS d
      GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0
      ORDER BY d.use_case_id, d.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET review_count = s.review_count + EXCLUDED.review_count, tasks_total = s.tasks_total + EXCLUDED.tasks_total, tasks_with_ai = s.tasks_with_ai + EXCLUDED.tasks_with_ai, ai_minutes_saved = s.ai_minutes_saved + EXCLUDED.ai_minutes_saved, rework_minutes = s.rework_minutes + EXCLUDED.rework_minutes;
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM old_rows r);
  END IF;
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_ins ON reviews_weeklyreview;
CREATE TRIGGER reviews_weeklymonthsum_ins AFTER INSERT ON reviews_weeklyreview REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_apply();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_upd ON reviews_weeklyreview;
CREATE TRIGGER reviews_weeklymonthsum_upd AFTER UPDATE ON reviews_weeklyreview REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_apply();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_del ON reviews_weeklyreview;
CREATE TRIGGER reviews_weeklymonthsum_del AFTER DELETE ON reviews_weeklyreview REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_apply();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_trunc ON reviews_weeklyreview;
CREATE TRIGGER reviews_weeklymonthsum_trunc AFTER TRUNCATE ON reviews_weeklyreview FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_apply();
"""

BACKFILL_SQL = r"""
DELETE FROM reviews_weeklymonthsum;
INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes)
      SELECT d.use_case_id, d.month_start, SUM(d.review_count), SUM(d.tasks_total), SUM(d.tasks_with_ai), SUM(d.ai_minutes_saved), SUM(d.rework_minutes)
      FROM (SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM reviews_weeklyreview r) AS d
      GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0
      ORDER BY d.use_case_id, d.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET review_count = s.review_count + EXCLUDED.review_count, tasks_total = s.tasks_total + EXCLUDED.tasks_total, tasks_with_ai = s.tasks_with_ai + EXCLUDED.tasks_with_ai, ai_minutes_saved = s.ai_minutes_saved + EXCLUDED.ai_minutes_saved, rework_minutes = s.rework_minutes + EXCLUDED.rework_minutes;
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM reviews_weeklyreview r);
"""

DROP_SQL = r"""
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_ins ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_upd ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_del ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_trunc ON reviews_weeklyreview;
DROP FUNCTION IF EXISTS reviews_weeklymonthsum_apply();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)
        schema_editor.execute(BACKFILL_SQL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0014_telemetry_version"),
        ("usecases", "0014_role_change_survives_user_delete"),
    ]

    operations = [
        migrations.CreateModel(
            name="WeeklyMonthSum",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month_start", models.DateField()),
                ("review_count", models.IntegerField()),
                ("tasks_total", models.DecimalField(decimal_places=0, max_digits=24)),
                ("tasks_with_ai", models.DecimalField(decimal_places=0, max_digits=24)),
                ("ai_minutes_saved", models.DecimalField(decimal_places=2, max_digits=30)),
                ("rework_minutes", models.DecimalField(decimal_places=2, max_digits=30)),
                (
                    "use_case",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="usecases.usecase",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["month_start"], name="reviews_wee_month_s_ec70dd_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("use_case", "month_start"), name="unique_weekly_month_sum"
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
