"""What an alert looks like on the wire, per channel kind (``usecases.alerts`` sends it).

- Slack and Microsoft Teams (Workflows): apprise builds the message (Slack's attachment with the
  title, the text and the link; Teams' Adaptive Card in a ``message`` envelope). Apprise's own
  transport is not used: ``usecases.egress`` posts the body it built, to the channel's URL, from
  an address checked against SSRF and pinned, and reports the receiver's error.
- Generic JSON: the document of ``docs/alert-webhook.schema.json`` (``json_document``), signed
  with HMAC-SHA256 over the exact bytes sent, in ``X-Valuegate-Signature: sha256=<hex>``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from apprise import AppriseAsset, NotifyFormat, NotifyType
from apprise.plugins.slack import NotifySlack
from apprise.plugins.workflows import NotifyWorkflows

from .models import ChannelKind

SCHEMA_ID = "https://valuegate.dev/schemas/alert-webhook/v1"
SIGNATURE_HEADER = "X-Valuegate-Signature"
ASSET = AppriseAsset(app_id="Valuegate", app_desc="AI portfolio governance")


@dataclass(frozen=True)
class Message:
    """One alert, as the in-app notification says it (``url`` absolute)."""

    event: str  # an AlertEvent value, or "test"
    kind: str
    title: str
    text: str
    url: str
    channel_id: int
    channel_name: str
    occurred_at: datetime.datetime
    delivery_id: int | None = None
    subject_type: str = ""
    subject_id: int | None = None
    period: str = ""
    use_case_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Wire:
    body: bytes
    headers: dict[str, str]


class _SlackPayload(NotifySlack):
    """Apprise's Slack plugin, stopped where it would post: keeps the payload it built."""

    def _send(self, url, payload, **kwargs):
        self.payload = payload
        return {"ok": True}


class _WorkflowsPayload(NotifyWorkflows):
    """Apprise's Teams Workflows plugin, stopped where it would post."""

    def send(self, body, title="", notify_type=NotifyType.INFO, **kwargs):
        self.payload = self.gen_payload(body=body, title=title, notify_type=notify_type, **kwargs)
        return bool(self.payload)


def _markdown(message: Message) -> str:
    parts = [message.text]
    if message.url:
        parts.append(f"[Open in Valuegate]({message.url})")
    return "\n\n".join(p for p in parts if p)


def _notify_type(message: Message) -> NotifyType:
    if message.event in ("flag_raised", "early_warning", "overdue_escalation"):
        return NotifyType.WARNING
    return NotifyType.INFO


def _apprise_payload(plugin, message: Message) -> dict:
    ok = plugin.notify(
        body=_markdown(message),
        title=message.title,
        notify_type=_notify_type(message),
        body_format=NotifyFormat.MARKDOWN,
    )
    if not ok or not getattr(plugin, "payload", None):
        raise ValueError("apprise built no message")  # a programming error, not a receiver's
    return plugin.payload


def slack_payload(message: Message) -> dict:
    plugin = _SlackPayload(token_a="T", token_b="B", token_c="C", include_image=False, asset=ASSET)
    return _apprise_payload(plugin, message)


def teams_payload(message: Message) -> dict:
    plugin = _WorkflowsPayload(
        host="workflows.invalid", workflow="w", signature="s", include_image=False, asset=ASSET
    )
    return _apprise_payload(plugin, message)


def json_document(message: Message) -> dict:
    """The generic webhook's document (its JSON Schema: docs/alert-webhook.schema.json)."""
    return {
        "schema": SCHEMA_ID,
        "delivery_id": message.delivery_id,
        "event": message.event,
        "kind": message.kind,
        "title": message.title,
        "text": message.text,
        "url": message.url or None,
        "subject": (
            {"type": message.subject_type, "id": message.subject_id}
            if message.subject_type
            else None
        ),
        "period": message.period,
        "use_case_ids": list(message.use_case_ids),
        "occurred_at": message.occurred_at.isoformat(),
        "channel": {"id": message.channel_id, "name": message.channel_name},
    }


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def wire(kind: str, message: Message, *, secret: str = "") -> Wire:
    """The bytes and headers to POST for a channel of ``kind``."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Valuegate"}
    if kind == ChannelKind.SLACK:
        document = slack_payload(message)
    elif kind == ChannelKind.TEAMS:
        document = teams_payload(message)
    else:
        document = json_document(message)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if kind == ChannelKind.JSON:
        headers["X-Valuegate-Event"] = message.event
        if message.delivery_id is not None:
            headers["X-Valuegate-Delivery"] = str(message.delivery_id)
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
    return Wire(body, headers)
