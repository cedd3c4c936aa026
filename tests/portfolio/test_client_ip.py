"""``portfolio.client_ip.client_ip``: the client's address behind the trusted proxies only."""

import pytest
from django.test import RequestFactory

from portfolio.client_ip import client_ip

PROXIES = ["172.16.0.0/12", "10.0.0.5", "2001:db8::/32"]


def address(remote, forwarded=None, trusted=PROXIES, settings=None):
    settings.TRUSTED_PROXIES = trusted
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # Not from a trusted proxy: the header is the client's word, never believed.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # From the proxy: the rightmost address that is no trusted proxy is the client ...
        ("172.18.0.1", "198.51.100.1", "198.51.100.1"),
        # ... whatever the client wrote to the left of it.
        ("172.18.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Proxies in a chain are skipped (a trusted load balancer in front of the proxy).
        ("172.18.0.1", "198.51.100.1, 10.0.0.5", "198.51.100.1"),
        # Only trusted addresses: the leftmost one is as far as we can see.
        ("172.18.0.1", "10.0.0.5", "10.0.0.5"),
        # An unreadable entry ends the walk at the last address we could trust.
        ("172.18.0.1", "198.51.100.1, not-an-ip", "172.18.0.1"),
        ("172.18.0.1", "garbage, 198.51.100.7", "198.51.100.7"),
        # No header: the proxy itself.
        ("172.18.0.1", None, "172.18.0.1"),
        ("172.18.0.1", "", "172.18.0.1"),
        # IPv6 proxies and clients.
        ("2001:db8::1", "2001:db9::7", "2001:db9::7"),
        ("2001:db8::1", " 198.51.100.3 ", "198.51.100.3"),
    ],
)
def test_client_ip(settings, remote, forwarded, expected):
    assert address(remote, forwarded, settings=settings) == expected


def test_without_trusted_proxies_remote_addr_is_the_client(settings):
    assert address("172.18.0.1", "198.51.100.1", trusted=[], settings=settings) == "172.18.0.1"


def test_no_readable_remote_addr(settings):
    assert address("", "198.51.100.1", settings=settings) is None
