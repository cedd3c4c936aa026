"""Alerts in chat: the in-app notifications of a few kinds, also posted to Slack, Microsoft Teams
(Workflows) or a generic signed JSON webhook (docs/alerts.md).

- *Channels* (``NotificationChannel``): PMO-wide (every event they subscribe to) or a value
  owner's personal channel (only events about use cases they own). The URL is stored encrypted
  (``usecases.sealed``) and checked against SSRF when saved and at each send (``usecases.egress``).
- *Events*: the apps name which notification kinds are which event (``route``, at import of the
  module that makes the notification). ``usecases.notify`` calls ``relay`` for each notification
  it creates, in the same transaction; an event with no in-app notification (an early-warning
  signal) is published directly (``publish``).
- *Deliveries* (``ChannelDelivery``): one row per (event, channel), the event being the
  notification's key without its recipient (kind, subject, period): a channel gets the event once
  however many people the inbox told, and a second ``publish`` of it inserts nothing.

Delivery semantics, as the e-mail's (``usecases.notify``): at least once, never twice on a healthy
path. After commit a Celery task is enqueued per delivery; a sender claims the row with one
conditional UPDATE (pending, due, no live lease → lease it, count the attempt), so concurrent
senders never both send. A failure that may pass (no connection, timeout, HTTP 5xx/429) is tried
again ``VALUEGATE_ALERT_BACKOFF`` × 1, 2, 4 … seconds later, up to
``VALUEGATE_ALERT_MAX_ATTEMPTS`` attempts, then the delivery is *failed* and its error shown to
the PMO on the channels page and in the API; a refusal (SSRF, HTTP 4xx, a redirect) fails at
once. The sweep (beat, every minute) sends what could not be enqueued or whose sender died.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q

from . import clock, egress, sealed
from .alert_messages import Message, wire
from .bulk_rows import insert_missing
from .models import (
    AlertEvent,
    ChannelDelivery,
    DeliveryStatus,
    NotificationChannel,
    UseCase,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100


# --- which notifications are which event ----------------------------------------------------------
@dataclass(frozen=True)
class Route:
    event: str
    #: The use cases the subject is about (personal channels get only their owner's).
    use_cases: Callable[[object], Iterable[int]]


def subject_use_case(subject) -> list[int]:
    """A use case is about itself; a flag, gate item or stage transition about its use case."""
    if isinstance(subject, UseCase):
        return [subject.pk]
    use_case_id = getattr(subject, "use_case_id", None)
    return [use_case_id] if use_case_id else []


_ROUTES: dict[str, Route] = {}


def route(kind: str, event: str, *, use_cases: Callable = subject_use_case) -> None:
    """Post notifications of ``kind`` to the channels subscribed to ``event``. Called by the
    module that makes those notifications, at import."""
    _ROUTES[kind] = Route(AlertEvent(event), use_cases)


def routed(kind: str) -> bool:
    return kind in _ROUTES


# --- publishing ---------------------------------------------------------------------------------
def relay(*, kind: str, subject, period: str, title: str, body: str, url: str) -> int:
    """The notification (kind, subject, period) was created: publish it if its kind is routed."""
    r = _ROUTES.get(kind)
    if r is None:
        return 0
    return publish(
        event=r.event,
        kind=kind,
        subject=subject,
        period=period,
        title=title,
        body=body,
        url=url,
        use_case_ids=r.use_cases(subject),
    )


def channels_for(event: str, use_case_ids: Iterable[int]):
    """The enabled channels that get ``event``: PMO-wide ones subscribed to it, and the personal
    channels of the value owners of ``use_case_ids`` subscribed to it."""
    owners = UseCase.objects.filter(pk__in=list(use_case_ids)).values("value_owner_id")
    return NotificationChannel.objects.filter(
        Q(owner__isnull=True) | Q(owner_id__in=owners, owner__is_active=True),
        enabled=True,
        events__contains=[event],
    )


def _subscribed(event: str, use_case_ids: list[int]) -> list[int]:
    """The ids of ``channels_for(event, use_case_ids)``: one query when no channel subscribes."""
    if transaction.get_connection().vendor == "postgresql":
        return list(channels_for(event, use_case_ids).values_list("pk", flat=True))
    # JSONField ``__contains`` is not supported on SQLite: filter the (few) channels in Python.
    channels = [
        c
        for c in NotificationChannel.objects.filter(enabled=True).select_related("owner")
        if event in c.events
    ]
    if any(c.owner_id is not None for c in channels):
        owners = set(
            UseCase.objects.filter(pk__in=use_case_ids).values_list("value_owner_id", flat=True)
        )
    else:
        owners = set()
    return [
        c.pk for c in channels if c.owner_id is None or (c.owner_id in owners and c.owner.is_active)
    ]


#: A delivery's unique key: each channel gets each event (kind, subject, period) once.
DELIVERY_KEY = ("channel_id", "kind", "subject_type_id", "subject_id", "period")


def publish(
    *, event: str, kind: str, subject, period: str, title: str, body: str, url: str, use_case_ids
) -> int:
    """Create the deliveries of this event to every channel that gets it (those not made yet),
    in the caller's transaction; each is sent after commit. Returns how many were new."""
    use_case_ids = sorted({pk for pk in use_case_ids if pk})
    channel_ids = _subscribed(event, use_case_ids)
    if not channel_ids:
        return 0
    subject_type = ContentType.objects.get_for_model(subject)
    now = clock.now()
    inserted = insert_missing(
        ChannelDelivery,
        DELIVERY_KEY,
        (
            ChannelDelivery(
                channel_id=channel_id,
                event=event,
                kind=kind,
                subject_type=subject_type,
                subject_id=subject.pk,
                period=period,
                title=title[:200],
                body=body,
                url=url,
                use_case_ids=use_case_ids,
                next_attempt_at=now,
            )
            for channel_id in channel_ids
        ),
    )
    new = [d.channel_id for d in inserted]
    if not new:
        return 0
    keys = dict(kind=kind, subject_type=subject_type, subject_id=subject.pk, period=period)
    transaction.on_commit(lambda: _enqueue_new(new, keys), robust=True)
    return len(new)


def publish_many(events: Iterable[dict]) -> int:
    """``publish`` of each event (a dict of its keyword arguments), in bulk, for a caller raising
    many at once (the stop-loss sweep): the same deliveries, each channel getting each event
    once, in a fixed number of queries whatever the number of events — the enabled channels
    (1; nothing more when there is none), the value owners of the use cases when a personal
    channel exists (1), the deliveries made already (1), the new ones (1); after commit, one
    Celery task sends them (``send_pending``). Returns how many were new."""
    events = list(events)
    if not events:
        return 0
    channels = list(
        NotificationChannel.objects.filter(enabled=True).values_list(
            "pk", "owner_id", "owner__is_active", "events"
        )
    )
    if not channels:
        return 0
    prepared = [(e, sorted({pk for pk in e["use_case_ids"] if pk})) for e in events]
    owners = {}
    if any(owner_id is not None for _, owner_id, _, _ in channels):
        every = {pk for _, ids in prepared for pk in ids}
        owners = dict(UseCase.objects.filter(pk__in=every).values_list("pk", "value_owner_id"))
    now = clock.now()
    wanted = []
    for e, ids in prepared:
        owned_by = {owners.get(pk) for pk in ids}
        subject_type = ContentType.objects.get_for_model(e["subject"])
        for channel_id, owner_id, owner_active, subscribed in channels:
            if e["event"] not in subscribed:
                continue
            if owner_id is not None and not (owner_id in owned_by and owner_active):
                continue
            wanted.append(
                ChannelDelivery(
                    channel_id=channel_id,
                    event=e["event"],
                    kind=e["kind"],
                    subject_type=subject_type,
                    subject_id=e["subject"].pk,
                    period=e["period"],
                    title=e["title"][:200],
                    body=e["body"],
                    url=e["url"],
                    use_case_ids=ids,
                    next_attempt_at=now,
                )
            )
    new = insert_missing(ChannelDelivery, DELIVERY_KEY, wanted)
    if not new:
        return 0
    transaction.on_commit(_enqueue_pending, robust=True)
    return len(new)


def _enqueue_pending() -> None:
    from .tasks import send_pending_channel_alerts as task  # tasks imports this module

    try:
        task.apply_async(retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # the broker is down: beat runs the sweep anyway
        logger.warning("Could not enqueue the channel alert sweep; beat will run it")


#: Publishing retries once at once, no more (see ``usecases.notify.ENQUEUE_RETRY_POLICY``).
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def enqueue(delivery_id: int, *, countdown: float | None = None) -> None:
    from .tasks import deliver_channel_alert as task  # tasks imports this module

    try:
        task.apply_async((delivery_id,), countdown=countdown, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # the broker is down: the sweep sends it
        logger.warning("Could not enqueue channel delivery %s; the sweep will send it", delivery_id)


def _enqueue_new(channel_ids: list[int], keys: dict) -> None:
    ids = ChannelDelivery.objects.filter(
        channel_id__in=channel_ids, status=DeliveryStatus.PENDING, attempts=0, **keys
    ).values_list("pk", flat=True)
    for pk in ids:
        enqueue(pk)


# --- sending ------------------------------------------------------------------------------------
def absolute(url: str) -> str:
    if not url or urlsplit(url).scheme:
        return url
    return f"{settings.VALUEGATE_BASE_URL}{url}"


def _message(delivery: ChannelDelivery) -> Message:
    channel = delivery.channel
    return Message(
        event=delivery.event,
        kind=delivery.kind,
        title=delivery.title,
        text=delivery.body,
        url=absolute(delivery.url),
        channel_id=channel.pk,
        channel_name=channel.name,
        occurred_at=delivery.created_at,
        delivery_id=delivery.pk,
        subject_type=f"{delivery.subject_type.app_label}.{delivery.subject_type.model}",
        subject_id=delivery.subject_id,
        period=delivery.period,
        use_case_ids=list(delivery.use_case_ids),
    )


def send(channel: NotificationChannel, message: Message) -> None:
    """POST ``message`` to ``channel`` now (``egress.SendError`` if it did not go through)."""
    try:
        url = sealed.unseal(channel.url_sealed)
        secret = sealed.unseal(channel.secret_sealed) if channel.secret_sealed else ""
    except sealed.Unreadable as error:
        raise egress.SendError(
            f"The stored URL is unreadable ({error}).", retryable=False
        ) from error
    w = wire(channel.kind, message, secret=secret)
    egress.post(url, w.body, w.headers)


def _claimable(now: datetime.datetime) -> Q:
    lease_expired = now - datetime.timedelta(seconds=settings.VALUEGATE_ALERT_LEASE)
    return Q(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        attempts__lt=settings.VALUEGATE_ALERT_MAX_ATTEMPTS,
    ) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease_expired))


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base × 1, 2, 4 …"""
    return settings.VALUEGATE_ALERT_BACKOFF * 2 ** max(attempts - 1, 0)


def deliver(delivery_id: int) -> str:
    """Send one delivery unless it is sent, failed, not due or leased by another sender. Returns
    what happened: "sent", "retry" (enqueued again after the back-off), "failed" or "skipped"."""
    now = clock.now()
    claimed = ChannelDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = ChannelDelivery.objects.select_related("channel", "subject_type").get(pk=delivery_id)
    mine = ChannelDelivery.objects.filter(pk=delivery_id, claimed_at=now)
    if not delivery.channel.enabled:
        mine.update(status=DeliveryStatus.FAILED, claimed_at=None, last_error="The channel is off.")
        return "failed"
    try:
        send(delivery.channel, _message(delivery))
    except egress.SendError as error:
        message = str(error)[:1000]
        if error.retryable and delivery.attempts < settings.VALUEGATE_ALERT_MAX_ATTEMPTS:
            delay = backoff(delivery.attempts)
            mine.update(
                claimed_at=None,
                last_error=message,
                next_attempt_at=clock.now() + datetime.timedelta(seconds=delay),
            )
            logger.warning(
                "Channel delivery %s failed (attempt %s), again in %ss: %s",
                delivery_id,
                delivery.attempts,
                delay,
                message,
            )
            enqueue(delivery_id, countdown=delay)
            return "retry"
        mine.update(status=DeliveryStatus.FAILED, claimed_at=None, last_error=message)
        logger.warning("Channel delivery %s failed for good: %s", delivery_id, message)
        return "failed"
    mine.update(status=DeliveryStatus.SENT, claimed_at=None, sent_at=clock.now(), last_error="")
    return "sent"


def send_pending() -> int:
    """Send every delivery that is due and not leased (the sweep). Returns how many went out."""
    sent = 0
    seen: set[int] = set()
    while True:
        ids = [
            pk
            for pk in ChannelDelivery.objects.filter(_claimable(clock.now()))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
            if pk not in seen
        ]
        if not ids:
            return sent
        seen.update(ids)
        sent += sum(deliver(pk) == "sent" for pk in ids)


def send_test(channel: NotificationChannel, *, user) -> str:
    """Post a test message to ``channel`` now; record and return its error ("" when it went)."""
    who = user.get_full_name() or user.username
    message = Message(
        event="test",
        kind="test",
        title=f"Valuegate test message for {channel.name}",
        text=f"{who} sent this test. Alerts of this channel will arrive here.",
        url=absolute("/"),
        channel_id=channel.pk,
        channel_name=channel.name,
        occurred_at=clock.now(),
    )
    try:
        send(channel, message)
        error = ""
    except egress.SendError as e:
        error = str(e)[:1000]
    NotificationChannel.objects.filter(pk=channel.pk).update(
        tested_at=clock.now(), test_error=error
    )
    return error


def relay_many(drafts) -> int:
    """``relay`` for notifications created in bulk (the ``Notification`` rows ``notify_many``
    inserted, or anything with their key, title, body and url): one event per (kind,
    subject, period), whatever the number of recipients, published with ``publish_many``. Costs
    one query when no enabled channel exists, a fixed number otherwise, whatever the number of
    drafts."""
    events = {}
    for d in drafts:
        if d.kind in _ROUTES:
            events.setdefault((d.kind, d.subject_type_id, d.subject_id, d.period), d)
    if not events or not NotificationChannel.objects.filter(enabled=True).exists():
        return 0
    subjects = {}
    for type_id in {key[1] for key in events}:
        model = ContentType.objects.get_for_id(type_id).model_class()
        ids = [key[2] for key in events if key[1] == type_id]
        subjects[type_id] = model.objects.in_bulk(ids)
    published = []
    for (kind, type_id, subject_id, period), d in events.items():
        subject = subjects[type_id].get(subject_id)
        if subject is not None:
            r = _ROUTES[kind]
            published.append(
                dict(
                    event=r.event,
                    kind=kind,
                    subject=subject,
                    period=period,
                    title=d.title,
                    body=d.body,
                    url=d.url,
                    use_case_ids=r.use_cases(subject),
                )
            )
    return publish_many(published)
