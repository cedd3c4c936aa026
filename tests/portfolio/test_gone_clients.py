"""``portfolio.gone_clients``: a request whose client closed its connection is answered 499
without being served; every other request is served. Real connected sockets (a socket pair
standing for gunicorn's connection to the client); the whole path through gunicorn is
``tests/deploy/test_gone_clients_gunicorn.py``."""

import socket
import ssl

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from portfolio.gone_clients import CLIENT_CLOSED_REQUEST, GoneClientMiddleware, client_gone


@pytest.fixture
def connection():
    """(the server's end, the client's end) of a connected pair; both closed afterwards."""
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def _serve(server_end):
    served = []

    def view(request):
        served.append(request.path)
        return HttpResponse("ok")

    request = RequestFactory().get("/portfolio/")
    if server_end is not None:
        request.META["gunicorn.socket"] = server_end
    return GoneClientMiddleware(view)(request), served


def test_a_client_that_closed_its_connection_is_not_served(connection):
    server, client = connection
    client.close()
    response, served = _serve(server)
    assert (response.status_code, served) == (CLIENT_CLOSED_REQUEST, [])
    assert response.reason_phrase == "Client Closed Request"


def test_a_client_that_waits_is_served(connection):
    server, _client = connection
    response, served = _serve(server)
    assert (response.status_code, served) == (200, ["/portfolio/"])


def test_unread_bytes_before_the_close_are_served(connection):
    """A peek sees the body gunicorn has not read yet (a large upload): not taken as gone."""
    server, client = connection
    client.sendall(b"the rest of a large body")
    client.close()
    response, served = _serve(server)
    assert response.status_code == 200 and served
    assert server.recv(100) == b"the rest of a large body"  # the peek consumed nothing


def test_a_reset_connection_is_gone():
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    client.close()  # linger 0: RST
    try:
        response, served = _serve(server)
        assert (response.status_code, served) == (CLIENT_CLOSED_REQUEST, [])
    finally:
        server.close()
        listener.close()


def test_without_gunicorns_socket_everything_is_served():
    response, served = _serve(None)
    assert response.status_code == 200 and served


def test_a_closed_server_socket_or_a_tls_one_is_served(connection):
    server, client = connection
    server.close()
    response, served = _serve(server)  # EBADF: not for this middleware to judge
    assert response.status_code == 200 and served
    tls = ssl.create_default_context().wrap_socket(
        socket.socket(), server_hostname="x", do_handshake_on_connect=False
    )
    try:
        request = RequestFactory().get("/")
        request.META["gunicorn.socket"] = tls
        assert client_gone(request) is False
    finally:
        tls.close()
