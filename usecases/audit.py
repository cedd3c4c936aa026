"""Who and why, for the audit history (django-simple-history) of the next save.

Every service that writes a model with ``history = HistoricalRecords()`` stamps the instance here
before saving it: the user (set explicitly, so tasks and the API record it too) and the reason,
cut to what ``history_change_reason`` holds.
"""

REASON_MAX = 100  # simple-history's history_change_reason is a CharField(100)

#: ``stamp(user=...)`` not given: leave the user to simple-history (the request's, if any).
UNSET = object()


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stamp(instance, *, reason: str, user=UNSET) -> None:
    """Stamp ``instance``'s next history record with ``reason`` and ``user`` (an anonymous user or
    None records no user)."""
    if user is not UNSET:
        instance._history_user = user if user is not None and user.is_authenticated else None
    instance._change_reason = fit(reason, REASON_MAX)
