"""A request whose client has already gone is not served.

Past its capacity the site answered fewer requests the more it was offered (benchmarks/README.md,
"Measured on 2026-12-04, evening": 3,220 answered at 30 req/s offered, 728 at 50). gunicorn's
workers take the requests from the listen backlog in order, and a client that gave up while its
request waited there (a browser that navigated away, a script's timeout) has closed its
connection. Its request was still served in full, for no one, and that work crowded out the
requests whose clients were still waiting.

So, before anything else, ``GoneClientMiddleware`` looks at the connection gunicorn hands the
application (``gunicorn.socket``). When a peek finds the end of the stream, the client closed its
side after sending the request and will read no answer. The request is then dropped with 499
(nginx's "client closed request", for the access log: no one receives it), with nothing read or
written. Like Go's HTTP server, a client that shuts down its sending side while it waits for the
answer counts as gone; browsers, curl, proxies and HTTP libraries do not do that.

A peek consumes nothing. A request whose body is still unread (a large upload) shows those bytes
and is served, and so does every request that did not come through gunicorn (``runserver``, the
test client) or came over TLS terminated by gunicorn (no peek on an SSL socket).
"""

import socket

from django.http import HttpResponse

#: nginx's status for a request whose client closed the connection before the answer.
CLIENT_CLOSED_REQUEST = 499


def client_gone(request) -> bool:
    """Has the client of ``request`` closed its connection (gunicorn only)?"""
    sock = request.META.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False  # open, and nothing more sent: the client waits for the answer
    except ConnectionError:
        return True  # reset by the client
    except (OSError, ValueError):
        return False  # not a socket to peek at (TLS: no flags on an SSL socket); serve it


class GoneClientMiddleware:
    """First in ``MIDDLEWARE``: a request whose client has gone is answered 499 at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if client_gone(request):  # logged by Django as "Client Closed Request: <path>"
            return HttpResponse(status=CLIENT_CLOSED_REQUEST, reason="Client Closed Request")
        return self.get_response(request)
