"""What the stop-loss policy forbids the PMO's plain edits (issue 14): leaving redesign while a
stop-loss flag of the use case is open. Resolve the flag, or decide at a gate.

Registered with ``usecases.transitions`` (``register_guard``) by ``ReviewsConfig.ready()``:
``usecases`` may not import this app. The guard reads the flags open at the moment the change
is applied (in the transaction that locked the use case), so a caller that resolves a flag and
then restores the stage in the same transaction passes it. Gate decisions are not guarded
(``transitions.GUARDED_MOVES``).
"""

from __future__ import annotations

from django.utils import timezone

from usecases.models import Stage, UseCase

from .flags import flag_figures
from .models import Comparison, Flag, FlagKind


def open_stop_loss_flags(use_case: UseCase, planned) -> str | None:
    """Refuse leaving redesign while a stop-loss flag of ``use_case`` is open, naming each."""
    if planned.stage_before != Stage.REDESIGN or planned.stage_after == Stage.REDESIGN:
        return None
    flags = list(
        Flag.objects.open()
        .filter(use_case_id=use_case.pk, kind=FlagKind.STOP_LOSS)
        .select_related("rule")
        .order_by("pk")
    )
    if not flags:
        return None
    named = ", ".join(_flag_words(flag) for flag in flags)
    if len(flags) == 1:
        return f"Stop-loss flag {named} is open: resolve it, or decide at a gate."
    return f"Stop-loss flags {named} are open: resolve them, or decide at a gate."


def _flag_words(flag: Flag) -> str:
    """``#12 (rework rate 20.0% > 15.0%, raised 2026-11-30)``."""
    observed, threshold = flag_figures(flag)
    raised = timezone.localtime(flag.raised_at).date().isoformat()
    if flag.rule is None:  # the rule was deleted since: the figures stay on the flag
        return f"#{flag.pk} ({flag.period}: {observed} against {threshold}, raised {raised})"
    sign = ">" if flag.rule.comparison == Comparison.EXCEEDS else "<"
    metric = flag.rule.get_metric_display().lower()
    return f"#{flag.pk} ({metric} {observed} {sign} {threshold}, raised {raised})"
