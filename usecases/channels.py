"""Chat channels (``NotificationChannel``): who may see and change which, and saving one (the
one place the page and the API both go through; ``usecases.alerts`` sends to them).

- The PMO (and superusers) see and change every channel, PMO-wide or personal.
- A value owner (the owner of at least one use case) adds personal channels, which get only the
  events about their own use cases, and sees and changes only their own channels.
- Anyone else has no channels (403); someone else's channel does not exist for them (404).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from . import egress, sealed
from .models import AlertEvent, ChannelKind, DeliveryStatus, NotificationChannel, UseCase
from .roles import is_pmo

PMO_WIDE = "pmo"
PERSONAL = "personal"
SCOPES = {PMO_WIDE: "PMO-wide: every subscribed event", PERSONAL: "Personal: my use cases only"}
URL_MAX = 2000
SECRET_MIN = 16
NAME_MAX = NotificationChannel._meta.get_field("name").max_length


def is_value_owner(user) -> bool:
    return UseCase.objects.filter(value_owner=user).exists()


def can_use_channels(user) -> bool:
    if not user.is_authenticated:
        return False
    return is_pmo(user) or is_value_owner(user) or user.notification_channels.exists()


def channels_of(user):
    """The channels ``user`` sees: all for the PMO, else their own personal ones."""
    channels = NotificationChannel.objects.select_related("owner")
    return channels if is_pmo(user) else channels.filter(owner=user)


def mask(url: str) -> str:
    """``https://hooks.slack.com/…/XXXX``: the scheme and host, and the last 4 characters."""
    parts = urlsplit(url)
    tail = url.rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.hostname or ''}/…/{tail}"[:120]


def scope_of(channel: NotificationChannel) -> str:
    return PMO_WIDE if channel.owner_id is None else PERSONAL


def channel_save(
    *,
    user,
    channel: NotificationChannel | None = None,
    kind: str,
    name: str,
    url: str = "",
    secret: str = "",
    events,
    scope: str = "",
    enabled: bool = True,
) -> NotificationChannel:
    """Create (``channel`` None) or change a channel as ``user``; ``ValidationError`` by field.
    On a change an empty ``url`` or ``secret`` keeps the stored one."""
    errors: dict[str, str] = {}
    creating = channel is None
    name = (name or "").strip()
    if not name:
        errors["name"] = "Name the channel (e.g. #ai-portfolio)."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    if kind not in ChannelKind.values:
        errors["kind"] = "Choose Slack, Microsoft Teams or generic JSON webhook."
    url = (url or "").strip()
    if url:
        if len(url) > URL_MAX:
            errors["url"] = f"At most {URL_MAX} characters."
        else:
            try:
                egress.check(url)
            except egress.Refused as refused:
                errors["url"] = str(refused)
    elif creating:
        errors["url"] = "Paste the webhook URL the chat tool gave you."
    secret = secret or ""
    if kind == ChannelKind.JSON:
        has_secret = bool(secret) or bool(channel and channel.secret_sealed)
        if secret and len(secret) < SECRET_MIN:
            errors["secret"] = f"Use a signing secret of at least {SECRET_MIN} characters."
        elif not has_secret:
            errors["secret"] = (
                "A generic webhook is signed: enter a secret of at least "
                f"{SECRET_MIN} characters (the receiver checks X-Valuegate-Signature with it)."
            )
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in AlertEvent.values]
    if unknown:
        errors["events"] = f"Unknown event(s): {', '.join(map(str, unknown))}."
    elif not events:
        errors["events"] = "Choose at least one event to send to this channel."
    pmo = is_pmo(user)
    if creating:
        scope = scope or (PMO_WIDE if pmo else PERSONAL)
        if scope not in SCOPES:
            errors["scope"] = "Choose PMO-wide or personal."
        elif scope == PMO_WIDE and not pmo:
            errors["scope"] = (
                "Only the PMO adds PMO-wide channels; yours is personal (your use cases only)."
            )
        elif scope == PERSONAL and not (pmo or is_value_owner(user)):
            errors["scope"] = "Personal channels are for value owners (their own use cases)."
    elif scope and scope != scope_of(channel):
        errors["scope"] = "The scope of a channel cannot change: add a new channel instead."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if creating:
            channel = NotificationChannel(
                owner=None if scope == PMO_WIDE else user, created_by=user
            )
        channel.kind = kind
        channel.name = name
        channel.events = [e for e in AlertEvent.values if e in events]
        channel.enabled = bool(enabled)
        if url:
            channel.url_sealed = sealed.seal(url)
            channel.url_hint = mask(url)
        if kind != ChannelKind.JSON:
            channel.secret_sealed = ""
        elif secret:
            channel.secret_sealed = sealed.seal(secret)
        channel.save()
    return channel


def channel_delete(channel: NotificationChannel) -> None:
    channel.delete()


def with_delivery_counts(channels):
    """``channels`` with ``sent``, ``failed`` and ``pending`` delivery counts (one query)."""
    return channels.annotate(
        sent=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )


def recent_problems(channel: NotificationChannel, limit: int = 5):
    """The latest failed deliveries of ``channel``, and pending ones that already failed once
    (being retried), newest first: what the PMO needs to see to fix a channel."""
    return channel.deliveries.filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0)
    ).exclude(last_error="")[:limit]
