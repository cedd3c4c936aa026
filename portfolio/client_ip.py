"""The client's IP address, behind the reverse proxies the installation trusts.

``REMOTE_ADDR`` is the address of whoever opened the connection. Behind a reverse proxy that is
the proxy, for every client: login throttling keyed on it would lock everybody out together.
The proxy appends the address it saw to ``X-Forwarded-For``; a client can put anything in front.

``TRUSTED_PROXIES`` (settings, from the environment; addresses or CIDR networks) names the
proxies. If ``REMOTE_ADDR`` is one of them, ``X-Forwarded-For`` is read from the right, skipping
trusted proxies: the first address that is not one is the client (what a client wrote further
left is never believed). Anything unreadable ends the walk at the last address we could trust.
Without trusted proxies ``REMOTE_ADDR`` is the client, whatever the headers say.

django-axes reads it through ``AXES_CLIENT_IP_CALLABLE``; the login limits (``login_limits``)
key on it too, so both count the same client. (django-ipware matches trusted proxies by string
prefix, not by network; the rule here is a few lines of the standard ``ipaddress`` module.)
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in proxies)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address as a string (``None`` if the connection has none we can read)."""
    meta = request.META
    remote = _address(meta.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return None
    trusted = trusted_networks()

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    client = remote
    if is_trusted(client):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        for item in reversed(forwarded.split(",") if forwarded else []):
            hop = _address(item)
            if hop is None:
                break
            client = hop
            if not is_trusted(hop):
                break
    return str(client)
