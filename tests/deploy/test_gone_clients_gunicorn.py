"""On a real gunicorn (gunicorn.conf.py, the production settings, one sync worker): a request
whose client closed the connection while it waited in the listen backlog is not served, and one
whose client still waits is (``portfolio.gone_clients``).

The order is made by construction, not by timing: connection A is accepted first and holds the
only worker, its request headers unfinished. Meanwhile B sends a whole request (a token for a
user: a row written when served) and closes, and C sends the same and waits. Then A's headers
are finished; the worker serves A, then takes B (gone: 499, no token) and C (served: a token).
"""

import json
import socket
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from knox.models import AuthToken

from tests.conftest import make_user

from .gunicorn_support import production_gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the production settings' database"
    ),
]

PASSWORD = "a long enough password 1"


def _token_request(username: str) -> bytes:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    return (
        b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nAccept: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(30)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_a_request_whose_client_left_the_backlog_is_not_served(tmp_path):
    gone, waiting = make_user("gone-client"), make_user("waiting-client")
    for user in (gone, waiting):  # hashed as the production settings check it (the suite: MD5)
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        user.save()
    with production_gunicorn(tmp_path, WEB_CONCURRENCY="1", GUNICORN_LOG_LEVEL="info") as (
        server,
        port,
    ):
        address = ("127.0.0.1", port)
        a = socket.create_connection(address)
        a.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # unfinished: holds the worker
        time.sleep(0.5)
        b = socket.create_connection(address)
        b.sendall(_token_request(gone.username))
        b.close()  # gave up while waiting in the backlog
        c = socket.create_connection(address)
        c.sendall(_token_request(waiting.username))
        a.sendall(b"Connection: close\r\n\r\n")
        first, third = _answer(a), _answer(c)
        a.close()
        c.close()
        deadline = time.monotonic() + 10
        while " 499 " not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)  # the access log line of B
    log = server.log()
    assert first.startswith(b"HTTP/1.1 200"), first[:200]
    assert third.startswith(b"HTTP/1.1 200"), (third[:300], log[-2000:])
    assert AuthToken.objects.filter(user=waiting).count() == 1
    assert AuthToken.objects.filter(user=gone).count() == 0, log[-2000:]
    assert '"POST /api/v1/auth/token/ HTTP/1.1" 499' in log, log[-2000:]
