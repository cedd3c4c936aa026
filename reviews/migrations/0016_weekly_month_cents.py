"""Each atom's rounded amount per weekly step stored in cents (``WeeklyMonthSum.cents_*``), kept
by the weekly reviews' triggers (the same upsert) and by new triggers on the business cases'
table; the sums and cents back-filled. The SQL is frozen as ``reviews.month_sums`` generated it
from ``economics`` (``trigger_sql``, ``backfill_sql``): a test fails when they no longer agree.
On SQLite only the columns (no triggers: the reads use the reviews there)."""

import importlib

from django.db import migrations, models

PREVIOUS = importlib.import_module("reviews.migrations.0015_weekly_month_sums")

TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION reviews_weeklymonthsum_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM reviews_weeklymonthsum;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM new_rows r) ORDER BY id FOR KEY SHARE;
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework)
      SELECT g.*, SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT d.use_case_id, d.month_start, SUM(d.review_count) AS review_count, SUM(d.tasks_total) AS tasks_total, SUM(d.tasks_with_ai) AS tasks_with_ai, SUM(d.ai_minutes_saved) AS ai_minutes_saved, SUM(d.rework_minutes) AS rework_minutes FROM (SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM new_rows r) AS d GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0) AS g LEFT JOIN usecases_businesscase w ON w.use_case_id = g.use_case_id
      ORDER BY g.use_case_id, g.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET (review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
        SELECT n.review_count, n.tasks_total, n.tasks_with_ai, n.ai_minutes_saved, n.rework_minutes, SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
        FROM (SELECT s.review_count + EXCLUDED.review_count AS review_count, s.tasks_total + EXCLUDED.tasks_total AS tasks_total, s.tasks_with_ai + EXCLUDED.tasks_with_ai AS tasks_with_ai, s.ai_minutes_saved + EXCLUDED.ai_minutes_saved AS ai_minutes_saved, s.rework_minutes + EXCLUDED.rework_minutes AS rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id);
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM new_rows r);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM old_rows r UNION SELECT r.use_case_id FROM new_rows r) ORDER BY id FOR KEY SHARE;
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework)
      SELECT g.*, SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT d.use_case_id, d.month_start, SUM(d.review_count) AS review_count, SUM(d.tasks_total) AS tasks_total, SUM(d.tasks_with_ai) AS tasks_with_ai, SUM(d.ai_minutes_saved) AS ai_minutes_saved, SUM(d.rework_minutes) AS rework_minutes FROM (SELECT r.use_case_id, r.month_start, -1 AS review_count, -(r.tasks_total::numeric) AS tasks_total, -(r.tasks_with_ai::numeric) AS tasks_with_ai, -(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, -(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM old_rows r UNION ALL SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM new_rows r) AS d GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0) AS g LEFT JOIN usecases_businesscase w ON w.use_case_id = g.use_case_id
      ORDER BY g.use_case_id, g.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET (review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
        SELECT n.review_count, n.tasks_total, n.tasks_with_ai, n.ai_minutes_saved, n.rework_minutes, SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
        FROM (SELECT s.review_count + EXCLUDED.review_count AS review_count, s.tasks_total + EXCLUDED.tasks_total AS tasks_total, s.tasks_with_ai + EXCLUDED.tasks_with_ai AS tasks_with_ai, s.ai_minutes_saved + EXCLUDED.ai_minutes_saved AS ai_minutes_saved, s.rework_minutes + EXCLUDED.rework_minutes AS rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id);
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM old_rows r UNION SELECT r.use_case_id, r.month_start FROM new_rows r);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM old_rows r) ORDER BY id FOR KEY SHARE;
    INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework)
      SELECT g.*, SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT d.use_case_id, d.month_start, SUM(d.review_count) AS review_count, SUM(d.tasks_total) AS tasks_total, SUM(d.tasks_with_ai) AS tasks_with_ai, SUM(d.ai_minutes_saved) AS ai_minutes_saved, SUM(d.rework_minutes) AS rework_minutes FROM (SELECT r.use_case_id, r.month_start, -1 AS review_count, -(r.tasks_total::numeric) AS tasks_total, -(r.tasks_with_ai::numeric) AS tasks_with_ai, -(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, -(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM old_rows r) AS d GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0) AS g LEFT JOIN usecases_businesscase w ON w.use_case_id = g.use_case_id
      ORDER BY g.use_case_id, g.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET (review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
        SELECT n.review_count, n.tasks_total, n.tasks_with_ai, n.ai_minutes_saved, n.rework_minutes, SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
        FROM (SELECT s.review_count + EXCLUDED.review_count AS review_count, s.tasks_total + EXCLUDED.tasks_total AS tasks_total, s.tasks_with_ai + EXCLUDED.tasks_with_ai AS tasks_with_ai, s.ai_minutes_saved + EXCLUDED.ai_minutes_saved AS ai_minutes_saved, s.rework_minutes + EXCLUDED.rework_minutes AS rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id);
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
CREATE OR REPLACE FUNCTION reviews_weeklymonthsum_weigh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE reviews_weeklymonthsum AS s SET (cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
      SELECT SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT s.tasks_total, s.tasks_with_ai, s.ai_minutes_saved, s.rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id);
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM new_rows r) ORDER BY id FOR UPDATE;
    UPDATE reviews_weeklymonthsum AS s SET (cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
      SELECT SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT s.tasks_total, s.tasks_with_ai, s.ai_minutes_saved, s.rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id) WHERE s.use_case_id IN (SELECT r.use_case_id FROM new_rows r);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM old_rows r UNION SELECT r.use_case_id FROM new_rows r) ORDER BY id FOR UPDATE;
    UPDATE reviews_weeklymonthsum AS s SET (cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
      SELECT SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT s.tasks_total, s.tasks_with_ai, s.ai_minutes_saved, s.rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id) WHERE s.use_case_id IN (SELECT r.use_case_id FROM old_rows r UNION SELECT r.use_case_id FROM new_rows r);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM 1 FROM usecases_usecase WHERE id IN (SELECT r.use_case_id FROM old_rows r) ORDER BY id FOR UPDATE;
    UPDATE reviews_weeklymonthsum AS s SET (cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
      SELECT SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT s.tasks_total, s.tasks_with_ai, s.ai_minutes_saved, s.rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id) WHERE s.use_case_id IN (SELECT r.use_case_id FROM old_rows r);
  END IF;
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_ins ON usecases_businesscase;
CREATE TRIGGER reviews_weeklymonthsum_bc_ins AFTER INSERT ON usecases_businesscase REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_weigh();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_upd ON usecases_businesscase;
CREATE TRIGGER reviews_weeklymonthsum_bc_upd AFTER UPDATE ON usecases_businesscase REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_weigh();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_del ON usecases_businesscase;
CREATE TRIGGER reviews_weeklymonthsum_bc_del AFTER DELETE ON usecases_businesscase REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_weigh();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_trunc ON usecases_businesscase;
CREATE TRIGGER reviews_weeklymonthsum_bc_trunc AFTER TRUNCATE ON usecases_businesscase FOR EACH STATEMENT EXECUTE FUNCTION reviews_weeklymonthsum_weigh();
"""

BACKFILL_SQL = r"""
DELETE FROM reviews_weeklymonthsum;
INSERT INTO reviews_weeklymonthsum AS s (use_case_id, month_start, review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework)
      SELECT g.*, SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(g.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(g.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(g.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(g.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
      FROM (SELECT d.use_case_id, d.month_start, SUM(d.review_count) AS review_count, SUM(d.tasks_total) AS tasks_total, SUM(d.tasks_with_ai) AS tasks_with_ai, SUM(d.ai_minutes_saved) AS ai_minutes_saved, SUM(d.rework_minutes) AS rework_minutes FROM (SELECT r.use_case_id, r.month_start, +1 AS review_count, +(r.tasks_total::numeric) AS tasks_total, +(r.tasks_with_ai::numeric) AS tasks_with_ai, +(r.tasks_with_ai::numeric * r.minutes_saved_per_task::numeric) AS ai_minutes_saved, +(r.reworked_outputs::numeric * r.rework_minutes_per_output::numeric) AS rework_minutes FROM reviews_weeklyreview r) AS d GROUP BY d.use_case_id, d.month_start HAVING SUM(d.review_count) <> 0 OR SUM(d.tasks_total) <> 0 OR SUM(d.tasks_with_ai) <> 0 OR SUM(d.ai_minutes_saved) <> 0 OR SUM(d.rework_minutes) <> 0) AS g LEFT JOIN usecases_businesscase w ON w.use_case_id = g.use_case_id
      ORDER BY g.use_case_id, g.month_start
      ON CONFLICT (use_case_id, month_start) DO UPDATE SET (review_count, tasks_total, tasks_with_ai, ai_minutes_saved, rework_minutes, cents_pilot_promise, cents_adoption_gap, cents_gross_efficiency, cents_translation_gap, cents_rework) = (
        SELECT n.review_count, n.tasks_total, n.tasks_with_ai, n.ai_minutes_saved, n.rework_minutes, SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.tasks_total * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0) + -1 * COALESCE(n.tasks_with_ai * w.baseline_minutes_per_task * w.pilot_effort_reduction * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * DIV(ABS(1 * COALESCE(n.ai_minutes_saved * w.hourly_cost, 0) + -1 * COALESCE(n.ai_minutes_saved * w.hourly_cost * w.reclaimable_share, 0)) * 200 + 60, 120), SIGN(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * DIV(ABS(1 * COALESCE(n.rework_minutes * w.hourly_cost, 0)) * 200 + 60, 120)
        FROM (SELECT s.review_count + EXCLUDED.review_count AS review_count, s.tasks_total + EXCLUDED.tasks_total AS tasks_total, s.tasks_with_ai + EXCLUDED.tasks_with_ai AS tasks_with_ai, s.ai_minutes_saved + EXCLUDED.ai_minutes_saved AS ai_minutes_saved, s.rework_minutes + EXCLUDED.rework_minutes AS rework_minutes) AS n LEFT JOIN usecases_businesscase w ON w.use_case_id = s.use_case_id);
    DELETE FROM reviews_weeklymonthsum WHERE review_count = 0 AND (use_case_id, month_start) IN (SELECT r.use_case_id, r.month_start FROM reviews_weeklyreview r);
"""

DROP_SQL = r"""
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_ins ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_upd ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_del ON reviews_weeklyreview;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_trunc ON reviews_weeklyreview;
DROP FUNCTION IF EXISTS reviews_weeklymonthsum_apply();
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_ins ON usecases_businesscase;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_upd ON usecases_businesscase;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_del ON usecases_businesscase;
DROP TRIGGER IF EXISTS reviews_weeklymonthsum_bc_trunc ON usecases_businesscase;
DROP FUNCTION IF EXISTS reviews_weeklymonthsum_weigh();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)
        schema_editor.execute(BACKFILL_SQL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)
        schema_editor.execute(PREVIOUS.TRIGGER_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0015_weekly_month_sums"),
    ]

    operations = [
        migrations.AddField(
            model_name="weeklymonthsum",
            name="cents_pilot_promise",
            field=models.DecimalField(decimal_places=0, default=0, max_digits=50),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="weeklymonthsum",
            name="cents_adoption_gap",
            field=models.DecimalField(decimal_places=0, default=0, max_digits=50),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="weeklymonthsum",
            name="cents_gross_efficiency",
            field=models.DecimalField(decimal_places=0, default=0, max_digits=50),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="weeklymonthsum",
            name="cents_translation_gap",
            field=models.DecimalField(decimal_places=0, default=0, max_digits=50),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="weeklymonthsum",
            name="cents_rework",
            field=models.DecimalField(decimal_places=0, default=0, max_digits=50),
            preserve_default=False,
        ),
        migrations.RunPython(install, uninstall),
    ]
