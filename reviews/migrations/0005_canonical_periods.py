"""Periods are stored canonically (issue 13): ``2026-W05`` and ``2026-11``, ASCII digits only.

Before, the period patterns took any Unicode digit (``２０２６-W45``, ``2026-W٤٧``) and stored the
text as typed, so the unique constraint on (use case, week) let a second review of the same week
in. This migration:

1. finds every weekly and monthly review whose period is not written canonically, and every flag
   whose period (or ``triggered_by``) is not, and rewrites it canonically, with a history record
   on the reviews naming the old spelling; what it rewrote is reported on stdout;
2. STOPS (nothing is changed: the migration runs in one transaction) when rewriting would make
   two rows of the same use case and period — a real duplicate the database would have refused.
   The message names both rows; decide which one holds the right figures, correct it, delete
   the other (its history stays) and migrate again;
3. adds CHECK constraints: from now on the database refuses a period not written canonically,
   so, with the unique constraints on (use case, period), one review per use case and period.
"""

import re
import sys

from django.db import migrations, models
from django.utils import timezone

# The patterns the application used before: any Unicode digit, read by int().
_LOOSE_WEEK = re.compile(r"\s*(\d{4})\s*-\s*[Ww]\s*(\d{1,2})\s*")
_LOOSE_MONTH = re.compile(r"\s*(\d{4})\s*-\s*(\d{1,2})\s*")
CANONICAL_WEEK = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
CANONICAL_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class DuplicatePeriodError(RuntimeError):
    """Canonicalising the periods would create a duplicate: the migration stops."""


def canonical_week(text: str) -> str | None:
    match = _LOOSE_WEEK.fullmatch(text or "")
    if match is None:
        return None
    year, week = int(match[1]), int(match[2])
    if not 1 <= week <= 53:
        return None
    return f"{year:04d}-W{week:02d}"


def canonical_month(text: str) -> str | None:
    match = _LOOSE_MONTH.fullmatch(text or "")
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return f"{year:04d}-{month:02d}"


def canonical_period(text: str) -> str | None:
    """A flag's period: a week or a month."""
    return canonical_week(text) or canonical_month(text)


def _describe(row, field: str) -> str:
    return (
        f"{row._meta.model_name} #{row.pk} (use case #{row.use_case_id}, "
        f"{field} {getattr(row, field)!a})"
    )


def _canonicalise(model, field: str, canonical, key_fields: tuple[str, ...]):
    """[(row, canonical value)] of ``model``'s rows whose ``field`` is not canonical; raises
    ``DuplicatePeriodError`` naming both rows when the canonical value is taken, and
    ``ValueError`` for a value that cannot be read at all."""
    owners = {}  # (key..., canonical value) -> the row holding it (stored or to be rewritten)
    pending = []
    rows = list(model.objects.order_by("pk"))
    for row in rows:  # stored canonical values first: they keep their row
        value = getattr(row, field)
        if canonical(value) == value:
            owners[(*(getattr(row, k) for k in key_fields), value)] = row
    conflicts, unreadable = [], []
    for row in rows:
        value = getattr(row, field)
        fixed = canonical(value)
        if fixed == value:
            continue
        if fixed is None:
            unreadable.append(_describe(row, field))
            continue
        key = (*(getattr(row, k) for k in key_fields), fixed)
        other = owners.get(key)
        if other is not None:
            conflicts.append(
                f"{_describe(row, field)} is the same {field} as {_describe(other, field)}"
            )
            continue
        owners[key] = row
        pending.append((row, fixed))
    if conflicts:
        raise DuplicatePeriodError(
            f"Cannot store {model._meta.verbose_name_plural} canonically: "
            + "; ".join(conflicts)
            + ". Keep one of each pair (correct its figures if needed), delete the other, "
            "and migrate again. Nothing was changed."
        )
    if unreadable:
        raise ValueError(
            f"Unreadable {field} in {', '.join(unreadable)}: correct it and migrate again."
        )
    return pending


def _record_history(apps, model_name: str, row, reason: str, now) -> None:
    history = apps.get_model("reviews", f"Historical{model_name}")
    values = {
        f.attname: getattr(row, f.attname)
        for f in history._meta.concrete_fields
        if not f.name.startswith("history_")
    }
    history.objects.create(
        **values,
        history_date=now,
        history_type="~",
        history_change_reason=reason[:100],
        history_user_id=None,
    )


def canonicalise_periods(apps, schema_editor):
    Weekly = apps.get_model("reviews", "WeeklyReview")
    Monthly = apps.get_model("reviews", "MonthlyReview")
    Flag = apps.get_model("reviews", "Flag")
    plans = [
        ("WeeklyReview", "week", _canonicalise(Weekly, "week", canonical_week, ("use_case_id",))),
        (
            "MonthlyReview",
            "month",
            _canonicalise(Monthly, "month", canonical_month, ("use_case_id",)),
        ),
    ]
    flags = _canonicalise(Flag, "period", canonical_period, ("use_case_id", "rule_key"))
    now = timezone.now()
    report = []
    for model_name, field, pending in plans:
        for row, fixed in pending:
            old = getattr(row, field)
            setattr(row, field, fixed)
            row.save(update_fields=[field])
            _record_history(apps, model_name, row, f"{field} stored canonically (was {old!a})", now)
            report.append(f"{_describe(row, field)}: was {old!a}")
    for flag, fixed in flags:
        old = flag.period
        flag.period = fixed
        flag.triggered_by = flag.triggered_by.replace(old, fixed)
        flag.save(update_fields=["period", "triggered_by"])
        report.append(f"{_describe(flag, 'period')}: was {old!a}")
    if report:
        sys.stdout.write(
            f"\n  Stored {len(report)} period(s) canonically:\n"
            + "".join(f"    {line}\n" for line in report)
        )
    if schema_editor.connection.vendor == "postgresql":
        # The CHECK constraints below alter the tables: no deferred trigger may be pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_use_case_period_indexes")]

    operations = [
        migrations.RunPython(canonicalise_periods, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="monthlyreview",
            constraint=models.CheckConstraint(
                condition=models.Q(month__regex=CANONICAL_MONTH),
                name="monthly_review_month_canonical",
                violation_error_message="The month must be written YYYY-MM in ASCII digits.",
            ),
        ),
        migrations.AddConstraint(
            model_name="weeklyreview",
            constraint=models.CheckConstraint(
                condition=models.Q(week__regex=CANONICAL_WEEK),
                name="weekly_review_week_canonical",
                violation_error_message="The week must be written YYYY-Www in ASCII digits.",
            ),
        ),
    ]
