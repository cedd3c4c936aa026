"""Chat channel URLs and SSRF (usecases.egress): a non-HTTP(S) scheme or a host that is (or
resolves to) a private, loopback or link-local address is refused at the field with a clear
message, unless the allow-list settings name it; the check runs again at each send, connected to
the very address checked (DNS rebinding), and redirects are not followed."""

import socket

import pytest
from rest_framework.test import APIClient

from tests.alert_receiver import SECRET, add_channel
from usecases import alerts, egress, sealed
from usecases.models import ChannelDelivery, NotificationChannel

pytestmark = pytest.mark.django_db

REFUSED = [
    ("ftp://files.example.com/hook", "Use an http:// or https:// address"),
    ("file:///etc/passwd", "Use an http:// or https:// address"),
    ("gopher://127.0.0.1:6379/_INFO", "Use an http:// or https:// address"),
    ("javascript:alert(1)", "Use an http:// or https:// address"),
    ("http://127.0.0.1:6379/", "127.0.0.1 is a private, loopback or link-local address"),
    ("http://localhost:8000/api/", "localhost resolves to"),
    ("http://10.1.2.3/hook", "10.1.2.3 is a private"),
    ("http://192.168.0.10/hook", "192.168.0.10 is a private"),
    ("http://172.16.5.4/hook", "172.16.5.4 is a private"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private"),
    ("http://[::1]:8000/", "::1 is a private"),
    ("http://[::ffff:127.0.0.1]/", "is a private, loopback or link-local address"),
    ("http://0x7f000001/", "0x7f000001 resolves to 127.0.0.1"),
    ("http://0/", "resolves to 0.0.0.0"),
    ("http://2130706433/", "resolves to 127.0.0.1"),
    ("http://no-such-host.invalid/hook", "The host name no-such-host.invalid does not resolve."),
    ("https://hooks.example.com:99999/x", "The port of the address is not a number"),
]


@pytest.fixture
def pmo_api(pmo):
    client = APIClient()
    client.force_login(pmo)
    return client


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_refused_at_the_field_with_a_clear_message(pmo_api, url, message):
    response = pmo_api.post(
        "/api/v1/notification-channels/",
        {"kind": "json", "name": "Hook", "url": url, "secret": SECRET, "events": ["gate_closed"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    [error] = response.json()["url"]
    assert message in error
    if "://" in url and not url.startswith(("ftp", "file", "gopher")) and "port" not in message:
        assert "does not resolve" in error or "ALERT_ALLOWED_HOSTS" in error
    assert not NotificationChannel.objects.exists()


def test_refused_on_the_page_too(client, pmo):
    client.force_login(pmo)
    response = client.post(
        "/alerts/channels/new/",
        {
            "kind": "slack",
            "name": "#x",
            "url": "http://169.254.169.254/",
            "events": ["gate_closed"],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "169.254.169.254 is a private, loopback or link-local address" in page
    assert "ALERT_ALLOWED_HOSTS or ALERT_ALLOWED_NETWORKS" in page
    assert not NotificationChannel.objects.exists()


def test_the_allow_list_lets_the_pmo_name_an_internal_receiver(settings, pmo_api):
    body = {
        "kind": "slack",
        "name": "Internal Mattermost",
        "url": "http://127.0.0.1:8065/hooks/abc",
        "events": ["gate_closed"],
    }
    assert pmo_api.post("/api/v1/notification-channels/", body, format="json").status_code == 400
    settings.VALUEGATE_ALERT_ALLOWED_HOSTS = ["127.0.0.1"]
    assert pmo_api.post("/api/v1/notification-channels/", body, format="json").status_code == 201
    settings.VALUEGATE_ALERT_ALLOWED_HOSTS = []
    settings.VALUEGATE_ALERT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert pmo_api.post("/api/v1/notification-channels/", body, format="json").status_code == 201
    # The allow-list names what it names: another private network stays refused.
    other = {**body, "url": "http://10.0.0.7/hooks/abc"}
    assert pmo_api.post("/api/v1/notification-channels/", other, format="json").status_code == 400


def test_checked_again_at_send_time_nothing_reaches_a_now_refused_address(
    alert_settings, receiver, pmo, use_case, django_capture_on_commit_callbacks
):
    """Allowed when saved, refused when sent (the allow-list changed, or the name now resolves
    elsewhere): the delivery fails at once with the reason, and the receiver never hears of it."""
    from usecases import transitions

    add_channel(pmo, "json", receiver.url("/late"))
    alert_settings.VALUEGATE_ALERT_ALLOWED_HOSTS = []
    with django_capture_on_commit_callbacks(execute=True):
        transitions.tell(
            use_case,
            transitions.Notice(
                kind="stop_loss", subject=use_case, period="2026-W47", title="Stop-loss", body="b"
            ),
            cc=[pmo],
        )
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "127.0.0.1 is a private, loopback or link-local address" in delivery.last_error
    assert receiver.requests == []


def _resolving(monkeypatch, answers: dict[str, list[str]]):
    """The system resolver, answering ``answers`` for the names given (as a DNS server that
    the attacker controls would), everything else as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            addresses = answers[host]
            answer = addresses.pop(0) if len(addresses) > 1 else addresses[0]
            return real(answer, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_dns_rebinding_a_name_public_when_saved_and_loopback_when_sent_is_refused(
    monkeypatch, receiver, pmo
):
    _resolving(monkeypatch, {"hooks.rebind.test": ["93.184.216.34", "127.0.0.1"]})
    channel = add_channel(pmo, "json", f"http://hooks.rebind.test:{receiver.port}/x")
    error = alerts.send_test(channel, user=pmo)
    assert "hooks.rebind.test resolves to 127.0.0.1" in error
    assert receiver.requests == []


def test_the_connection_goes_to_the_address_checked_with_the_host_name_kept(
    monkeypatch, settings, receiver, pmo
):
    """The send connects to the checked address itself (pinned: no second lookup to race), and
    the receiver still sees the host name it is addressed by."""
    settings.VALUEGATE_ALERT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    _resolving(monkeypatch, {"receiver.internal.test": ["127.0.0.1"]})
    channel = add_channel(pmo, "json", f"http://receiver.internal.test:{receiver.port}/pinned")
    calls = []
    resolver = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        calls.append(host)
        return resolver(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    assert alerts.send_test(channel, user=pmo) == ""
    [got] = receiver.on("/pinned")
    assert got.headers["host"] == f"receiver.internal.test:{receiver.port}"
    # The name is looked up once (the check); the connection is made to the literal address.
    assert calls.count("receiver.internal.test") == 1, calls
    assert set(calls) == {"receiver.internal.test", "127.0.0.1"}, calls


def test_redirects_are_not_followed(alert_settings, receiver, pmo):
    channel = add_channel(pmo, "json", receiver.url("/moved"))
    receiver.answer(302)  # to the cloud metadata address
    error = alerts.send_test(channel, user=pmo)
    assert error.startswith("HTTP 302 from 127.0.0.1:") and "redirects are not followed" in error
    assert len(receiver.requests) == 1


def test_an_unreadable_stored_url_is_a_clear_failure(alert_settings, settings, receiver, pmo):
    channel = add_channel(pmo, "json", receiver.url("/k"))
    settings.SECRET_KEY = "another-secret-key-" * 4  # the derived key changed
    error = alerts.send_test(channel, user=pmo)
    assert "unreadable" in error and receiver.requests == []
    assert sealed.unseal(sealed.seal("x")) == "x"


def test_check_accepts_a_public_literal_address():
    assert egress.check("https://93.184.216.34/hook").host == "93.184.216.34"
