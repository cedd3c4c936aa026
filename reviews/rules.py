"""Validation rules for reviews, written once: the model's ``clean()`` (and so every ModelForm)
and the API serializers call these functions.

Each function returns ``{field: [message, ...]}``; empty means valid. Field-level rules
(non-negative counts and decimals, quality 0..100, costs >= 0) are the model fields' validators,
stated once there: ``full_clean`` runs them before ``clean()``, the API's serializers take them
over, and the previews run them (``previews.field_errors``). They are not repeated here, or a
form would show two messages for one value (issue 16).

Decisions (issue 13, "validation gaps"), all field errors (400 in the API, a form error on the
pages, a cell error in the import):

- A new review's period must not end before ``EARLIEST_PERIOD`` (1 January 2000: nobody
  reviewed AI use cases before; an older year is a typo), nor more than a year before the use
  case went live (``live_since`` minus ``PRE_LIVE_DAYS``: the pilot's weeks and the baseline
  may be recorded, a week from five years earlier is a typo). A use case without
  ``live_since`` only has the 2000 floor. Corrections of existing reviews are not re-checked
  (like the "period has ended" rule).
- A new review's period must have ended (issue 14): a week from the Monday after its Sunday, a
  month from the 1st after its last day. The current week or month and any later one is refused
  with the day it can be submitted ("2026-W49 ends on Sunday 6 Dec; submit it from Monday
  7 Dec."), at the period field on every path (the model's ``clean()``, which the service's
  ``full_clean`` runs for the pages, the API and the importer; the previews call it directly).
- Active users cannot exceed target users: adoption above 100 % means one of the two figures
  is wrong (refused, not warned: every later rate and flag would build on it).
"""

import datetime
from collections.abc import Mapping

from usecases import economics

Errors = dict[str, list[str]]

EARLIEST_PERIOD = datetime.date(2000, 1, 1)
PRE_LIVE_DAYS = 365


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _too_early(field: str, label: str, end: datetime.date, live_since) -> Errors:
    """The period ending on ``end`` is before 2000 or more than a year before ``live_since``."""
    if end < EARLIEST_PERIOD:
        return {field: [f"{label} is before 2000: check the year."]}
    if live_since is not None and end < live_since - datetime.timedelta(days=PRE_LIVE_DAYS):
        return {
            field: [
                f"{label} is more than a year before the use case went live "
                f"({live_since:%Y-%m-%d}): check the year."
            ]
        }
    return {}


#: The period fields' help text (the forms' and the API's; the model's is older).
WEEK_HELP = "Like 2026-W47 (Monday to Sunday). Only weeks that have ended."
MONTH_HELP = "Like 2026-11. Only months that have ended."


def _day(day: datetime.date) -> str:
    """``Sunday 6 Dec``."""
    return f"{day:%A} {day.day} {day:%b}"


def not_ended_error(label: str, last_day: datetime.date, *, today: datetime.date) -> str | None:
    """The refusal of a period (``label``, ending on ``last_day``) that has not ended by
    ``today``: it may be submitted from the day after its last day. ``None`` once it has ended."""
    if last_day < today:
        return None
    if last_day == datetime.date.max:  # 9999-12: no day after it
        return f"{label} ends on {_day(last_day)}; it cannot be submitted."
    return (
        f"{label} ends on {_day(last_day)}; "
        f"submit it from {_day(last_day + datetime.timedelta(days=1))}."
    )


def week_errors(
    week: str | None, *, today: datetime.date, live_since: datetime.date | None = None
) -> Errors:
    """A week like ``2026-W47`` that exists and has ended (its Sunday is before ``today``), not
    before 2000 nor more than a year before ``live_since``."""
    errors: Errors = {}
    if not week:
        return errors
    try:
        iso_year, iso_week = economics.parse_iso_week(week)
    except ValueError as exc:
        _add(errors, "week", str(exc))
        return errors
    _, sunday = economics.iso_week_bounds(iso_year, iso_week)
    if (message := not_ended_error(week, sunday, today=today)) is not None:
        _add(errors, "week", message)
    return errors or _too_early("week", week, sunday, live_since)


def month_errors(
    month: str | None, *, today: datetime.date, live_since: datetime.date | None = None
) -> Errors:
    """A month like ``2026-11`` that has ended (its last day is before ``today``), not before
    2000 nor more than a year before ``live_since``."""
    errors: Errors = {}
    if not month:
        return errors
    try:
        year, mon = economics.parse_month(month)
    except ValueError as exc:
        _add(errors, "month", str(exc))
        return errors
    _, last_day = economics.month_bounds(year, mon)
    if (message := not_ended_error(month, last_day, today=today)) is not None:
        _add(errors, "month", message)
    return errors or _too_early("month", month, last_day, live_since)


def weekly_figures_errors(values: Mapping) -> Errors:
    """Cross-field rules of a weekly review's counts (values may be missing or None). A value
    out of its own range (negative, quality above 100) is its field's validators' to tell."""
    errors: Errors = {}
    v = {name: values.get(name) for name in _weekly_kpis()}
    if v["target_users"] is not None and v["target_users"] == 0:
        _add(errors, "target_users", "Target users must be at least 1 to measure adoption.")
    elif _both(v, "active_users", "target_users") and v["active_users"] > v["target_users"]:
        _add(
            errors,
            "active_users",
            f"Active users ({v['active_users']}) cannot exceed target users "
            f"({v['target_users']}): adoption cannot be above 100 %. Correct one of the two.",
        )
    if _both(v, "tasks_with_ai", "tasks_total") and v["tasks_with_ai"] > v["tasks_total"]:
        _add(
            errors,
            "tasks_with_ai",
            f"Tasks with AI ({v['tasks_with_ai']}) cannot exceed "
            f"tasks in total ({v['tasks_total']}).",
        )
    if _both(v, "reworked_outputs", "tasks_with_ai") and v["reworked_outputs"] > v["tasks_with_ai"]:
        _add(
            errors,
            "reworked_outputs",
            f"Reworked outputs ({v['reworked_outputs']}) cannot exceed tasks with AI "
            f"({v['tasks_with_ai']}).",
        )
    if _both(v, "exceptions", "tasks_total") and v["exceptions"] > v["tasks_total"]:
        _add(
            errors,
            "exceptions",
            f"Exceptions ({v['exceptions']}) cannot exceed tasks in total ({v['tasks_total']}).",
        )
    return errors


def model_version_errors(model_version, use_case_id) -> Errors:
    if model_version is not None and use_case_id and model_version.use_case_id != use_case_id:
        return {"model_version": ["This version belongs to another use case's change log."]}
    return {}


def _weekly_kpis() -> tuple[str, ...]:
    """The model's list of weekly figures. The model's ``clean()`` calls this module, so the
    model is imported here on use."""
    from .models import WeeklyReview

    return WeeklyReview.KPI_FIELDS


def _both(values: Mapping, a: str, b: str) -> bool:
    return values.get(a) is not None and values.get(b) is not None
