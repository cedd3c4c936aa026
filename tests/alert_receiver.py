"""A real HTTP receiver for the chat-alert tests: ``http.server`` in a thread on a free loopback
port, recording every request (path, headers, exact body bytes) and answering with the status
the test sets (``status``; a list is used up one per request, then its last value repeats)."""

import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *statuses: int) -> None:
        with self.lock:
            self.statuses = list(statuses)

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


def _handler(receiver_box: list):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            receiver = receiver_box[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            status = receiver._next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            payload = b"ok" if status < 300 else b"receiver says no"
            if 300 <= status < 400:
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep the test output clean
            pass

    return Handler


@contextmanager
def http_receiver():
    box: list = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    receiver = Receiver(server)
    box.append(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- fixtures and helpers of the alert tests ------------------------------------------------------

SECRET = "receiver-shared-secret-0123456789"
SITE = "https://valuegate.example"


@pytest.fixture
def receiver():
    with http_receiver() as r:
        yield r


@pytest.fixture
def alert_settings(settings):
    """The receiver on 127.0.0.1 allowed (the SSRF allow-list), no back-off pause, 3 attempts."""
    settings.VALUEGATE_ALERT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.VALUEGATE_ALERT_ALLOWED_NETWORKS = []
    settings.VALUEGATE_ALERT_BACKOFF = 0
    settings.VALUEGATE_ALERT_MAX_ATTEMPTS = 3
    settings.VALUEGATE_BASE_URL = SITE
    return settings


def add_channel(user, kind, url, *, events=None, scope="", secret=None, name=None, enabled=True):
    from usecases import channels
    from usecases.models import AlertEvent

    return channels.channel_save(
        user=user,
        kind=kind,
        name=name or f"{kind} channel",
        url=url,
        secret=SECRET if secret is None and kind == "json" else (secret or ""),
        events=list(AlertEvent.values) if events is None else events,
        scope=scope,
        enabled=enabled,
    )
