"""Writes on flags and on the stop-loss policy, shared by the web pages, the API and the sweep.

- ``flag_row`` builds a flag (its fields, defined once); ``flag_raise(flag_row(...))`` creates it
  unless one stands for (use case, rule/signal, period)
  (``Flag.objects.standing()``: a flag withdrawn by a correction makes way for a new one). The
  database constraint decides: two concurrent raisers create one row, the loser gets
  ``created=False``.
- ``flag_resolve``: the PMO closes a flag with a note.
- ``stop_loss_rule_save``: the PMO edits the default policy or a use case's override.
- ``stop_loss_rule_errors``: the field rules of a rule, used by the form, the serializer and the
  service alike.
"""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from usecases import clock
from usecases.audit import stamp
from usecases.permissions import (
    can_manage_policy,
    can_resolve_flags,
    of_visible_use_cases,
)
from usecases.templatetags.money import percent
from usecases.text import check_field

from . import lookback
from .metric_format import format_value, observed_text, stored
from .models import FRACTION_METRICS, Flag, FlagKind, FlagResolution, Metric, StopLossRule
from .rules import Errors

MAX_CONSECUTIVE_WEEKS = 52
#: Ten years, as many weeks as a bulk import may hold: more is a typing error, and a grace of
#: 10**18 weeks (SQLite stores it) ran the stop-loss evaluation off the calendar (a 500).
MAX_GRACE_WEEKS = 520

RULE_FIELDS = (
    "metric",
    "comparison",
    "threshold",
    "consecutive_weeks",
    "grace_weeks",
    "action",
    "active",
)


def flag_raise(flag: Flag) -> tuple[Flag, bool]:
    """Insert ``flag`` (unsaved, as ``flag_row`` builds it) unless a flag stands for its (use
    case, rule key, period) (``models.STANDING``); ``(the flag, created)``, the standing one when
    not created.

    Runs in a savepoint: a concurrent transaction that inserted the same key first makes our
    INSERT fail on the unique constraint (PostgreSQL waits for it to commit), which is turned
    into ``created=False`` without spoiling the caller's transaction.
    """
    try:
        with transaction.atomic():
            flag.save(force_insert=True)
    except IntegrityError:
        return Flag.objects.standing().get(
            use_case_id=flag.use_case_id, rule_key=flag.rule_key, period=flag.period
        ), False
    return flag, True


def flag_row(
    *,
    use_case_id: int,
    kind: str,
    rule_key: str,
    period: str,
    explanation: str,
    rule: StopLossRule | None = None,
    observed: Decimal | None = None,
    threshold: Decimal | None = None,
    triggered_by: str = "",
    historical: bool = False,
) -> Flag:
    """A flag, not saved: the one definition of a flag's fields, for ``flag_raise`` (one, in a
    savepoint) and the sweep's bulk insert (``reviews.stoploss_effects.raise_many``).
    ``historical``: a period older than the look-back (``reviews.lookback``): created resolved,
    never open."""
    return Flag(
        use_case_id=use_case_id,
        rule_key=rule_key,
        period=period,
        kind=kind,
        rule=rule,
        observed_value=stored(observed),
        threshold=stored(threshold),
        explanation=explanation,
        triggered_by=triggered_by[:60],
        historical=historical,
        resolved_at=clock.now() if historical else None,
        resolution_note=lookback.note() if historical else "",
    )


def flag_resolve(*, user, flag: Flag, note: str) -> Flag:
    """Resolve ``flag`` with ``note`` (PMO only). Raises ``PermissionDenied`` or
    ``ValidationError`` (no note: on ``note``; already resolved: non-field). The row is locked,
    so two PMO users resolving at once resolve it once."""
    if not can_resolve_flags(user):
        raise PermissionDenied("Only the PMO resolves flags.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Write a note: why is this flag resolved?"]})
    check_field(Flag, "resolution_note", note, key="note")
    with transaction.atomic():
        current = Flag.objects.select_for_update().get(pk=flag.pk)
        refuse_if_resolved(current)
        flag_close(current, user=user, note=note, kind=FlagResolution.RESOLVED)
    return current


def refuse_if_resolved(flag: Flag) -> None:
    """``ValidationError`` (non-field, ``already_resolved``) for a flag resolved already."""
    if flag.resolved_at is not None:
        who = flag.resolved_by.username if flag.resolved_by else "someone"
        raise ValidationError(
            f"This flag was already resolved by {who} on "
            f"{date_format(timezone.localtime(flag.resolved_at), 'DATETIME_FORMAT')}.",
            code="already_resolved",
        )


def flag_close(flag: Flag, *, user, note: str, kind: str) -> None:
    """Write the resolution of ``flag`` (a row the caller locked): by ``user`` (None: a
    correction withdrew it), with ``note`` and how (``FlagResolution``)."""
    flag.resolved_at = clock.now()
    flag.resolved_by = user
    flag.resolution_note = note
    flag.resolution_kind = kind
    reasons = {
        FlagResolution.RESOLVED: "resolved",
        FlagResolution.WITHDRAWN: "withdrawn by correction",
        FlagResolution.RESTORED: "resolved, stage restored",
    }
    stamp(flag, user=user, reason=reasons[kind])
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note", "resolution_kind"])


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def stop_loss_rule_errors(values: Mapping) -> Errors:
    """Nonsensical rules, rejected at the field: a rate threshold outside 0..1, a quality
    threshold outside 0..100, fewer than 1 (or more than 52) consecutive weeks, a negative grace
    or one of more than ten years."""
    errors: Errors = {}
    metric, threshold = values.get("metric"), values.get("threshold")
    if threshold is not None and metric:
        if metric in FRACTION_METRICS and not (0 <= threshold <= 1):
            _add(
                errors,
                "threshold",
                "A rate is a fraction between 0 and 1 (e.g. 0.15 for 15%).",
            )
        elif metric == Metric.QUALITY_SCORE and not (0 <= threshold <= 100):
            _add(errors, "threshold", "A quality score threshold lies between 0 and 100.")
    consecutive = values.get("consecutive_weeks")
    if consecutive is not None and consecutive < 1:
        _add(errors, "consecutive_weeks", "At least 1 week (1 = the breaching week alone).")
    elif consecutive is not None and consecutive > MAX_CONSECUTIVE_WEEKS:
        _add(errors, "consecutive_weeks", f"At most {MAX_CONSECUTIVE_WEEKS} weeks.")
    grace = values.get("grace_weeks")
    if grace is not None and grace < 0:
        _add(errors, "grace_weeks", "Grace weeks cannot be negative.")
    elif grace is not None and grace > MAX_GRACE_WEEKS:
        _add(errors, "grace_weeks", f"At most {MAX_GRACE_WEEKS} weeks (ten years).")
    return errors


def stop_loss_rule_save(
    *, user, data: Mapping, rule: StopLossRule | None = None, use_case=None
) -> StopLossRule:
    """Create (``rule`` None: for ``use_case``, or the default policy when that is None too) or
    update a stop-loss rule. PMO only; field messages as ``ValidationError``."""
    if not can_manage_policy(user):
        raise PermissionDenied("Only the PMO sets the stop-loss policy.")
    if rule is None:
        rule = StopLossRule(use_case=use_case)
    for field in RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    errors = stop_loss_rule_errors({f: getattr(rule, f) for f in RULE_FIELDS})
    try:
        rule.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    creating = rule.pk is None
    stamp(rule, user=user, reason="policy rule added" if creating else "policy rule changed")
    with transaction.atomic():
        rule.save()
    return rule


# --- reads -------------------------------------------------------------------------------------


def visible_flags(user):
    """The flags of the use cases ``user`` may see, with what the list shows (no N+1)."""
    return of_visible_use_cases(user, Flag.objects.all()).select_related(
        "use_case", "use_case__value_owner", "rule", "resolved_by"
    )


def flag_figures(flag: Flag) -> tuple[str, str]:
    """The flag's observed value and threshold in the units of its rule or signal."""
    observed, threshold = flag.observed_value, flag.threshold
    if flag.kind == FlagKind.STOP_LOSS:
        if flag.rule is None:
            return _plain(observed), _plain(threshold)
        return (
            observed_text(flag.rule, observed),
            format_value(flag.rule.metric, threshold, exact=True),
        )
    if flag.kind == FlagKind.EXCEPTIONS_GROWING:
        return (
            format_value(Metric.EXCEPTION_SHARE, observed),
            format_value(Metric.EXCEPTION_SHARE, threshold),
        )
    if flag.kind == FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE:
        return (
            format_value(Metric.QUALITY_SCORE, observed),
            format_value(Metric.QUALITY_SCORE, threshold),
        )
    if flag.kind == FlagKind.DECLARED_VS_MEASURED:
        return (
            "none measured" if observed is None else f"{percent(observed, 1)} apart",
            f"{percent(threshold, 0)} apart",
        )
    return _plain(observed), _plain(threshold)


def _plain(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
