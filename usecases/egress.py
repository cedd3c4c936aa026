"""Outbound HTTP to channel URLs (``usecases.alerts``), guarded against SSRF.

A URL is accepted only with the http or https scheme and a host whose every address is public
(``ipaddress``'s ``is_global``), unless the host name is in ``VALUEGATE_ALERT_ALLOWED_HOSTS`` or the
address in one of ``VALUEGATE_ALERT_ALLOWED_NETWORKS``. The check runs when a channel is saved
(``check``) and again at each send (``post``), which then connects to the very address it
checked (the connection is pinned to it, TLS still verifies the host name), so a name that
resolves elsewhere between the check and the send (DNS rebinding) cannot reach a private
address. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings

ALLOW_HINT = "it is allowed by the setting ALERT_ALLOWED_HOSTS or ALERT_ALLOWED_NETWORKS"


class Refused(Exception):
    """The URL may not be called (scheme, host or address); the message says why."""


class SendError(Exception):
    """The receiver did not take the message. ``retryable``: trying later may help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def target(url: str) -> Target:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("Use an http:// or https:// address (other schemes are not allowed).")
    if not parts.hostname:
        raise Refused("The address has no host name.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise Refused("The port of the address is not a number from 1 to 65535.") from error
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, parts.hostname.lower(), port, path)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"The host name {host} does not resolve.") from error
    return list(dict.fromkeys(info[4][0] for info in infos))


def _allowed_networks():
    return [
        ipaddress.ip_network(n, strict=False) for n in settings.VALUEGATE_ALERT_ALLOWED_NETWORKS
    ]


def permitted_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host``, if every one of them may be called; else ``Refused``."""
    addresses = _resolve(host, port)
    if host in settings.VALUEGATE_ALERT_ALLOWED_HOSTS:
        return addresses
    networks = _allowed_networks()
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global and not any(ip in network for network in networks):
            shown = host if host == address else f"{host} resolves to {address}, which"
            raise Refused(
                f"{shown} is a private, loopback or link-local address: alerts may not go "
                f"there unless {ALLOW_HINT}."
            )
    return addresses


def _why(error: Exception) -> str:
    """The reason of a connection failure in a few words ("Connection refused", "no answer
    within 10 s"), not urllib3's whole repr."""
    timeout = (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError)
    # (NewConnectionError is a ConnectTimeoutError too, for urllib3 1.x compatibility.)
    if isinstance(error, timeout) and not isinstance(error, urllib3.exceptions.NewConnectionError):
        return f"no answer within {settings.VALUEGATE_ALERT_TIMEOUT:g} s"
    text = str(getattr(error, "reason", None) or error)
    for marker in ("Failed to establish a new connection: ", "] "):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    return text.strip() or type(error).__name__


def check(url: str) -> Target:
    """``Refused`` (with the reason) unless ``url`` may be called now."""
    t = target(url)
    permitted_addresses(t.host, t.port)
    return t


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` from a checked, pinned address; the status of a 2xx answer, else
    ``SendError`` (``Refused`` is a ``SendError`` that is not retryable)."""
    try:
        t = target(url)
        address = permitted_addresses(t.host, t.port)[0]
    except Refused as error:
        raise SendError(str(error), retryable=False) from error
    timeout = urllib3.Timeout(total=settings.VALUEGATE_ALERT_TIMEOUT)
    if t.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            t.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=t.host,
            assert_hostname=t.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, t.port, timeout=timeout, retries=False)
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                t.path,
                body=body,
                headers={**headers, "Host": t.host_header},
                redirect=False,
                retries=False,
                assert_same_host=False,
            )
    except urllib3.exceptions.HTTPError as error:
        raise SendError(
            f"Could not reach {t.host_header}: {_why(error)}", retryable=True
        ) from error
    status = response.status
    if 200 <= status < 300:
        return status
    text = response.data[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {status} from {t.host_header}" + (f": {text}" if text else "")
    if 300 <= status < 400:
        raise SendError(f"{detail} (redirects are not followed)", retryable=False)
    retryable = status >= 500 or status in (408, 425, 429)
    raise SendError(detail, retryable=retryable)
