"""The address a request comes from: one answer for the throttles, the token-guessing limit and
the admin's sign-in lockout (django-axes).

``X-Forwarded-For`` is believed only from the proxies named in TRUSTED_PROXIES (addresses or
networks; none by default), read from the right: the first address that is not one of them is
the client. Anyone can send the header, so believing it from anywhere let a client rotate it to
escape every limit, or send a victim's address to lock the victim out.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: Any) -> str:
    """The client's address, as far as the trusted proxies vouch for it."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    while _is_trusted(address) and hops:
        candidate = hops.pop()
        try:
            address = str(ipaddress.ip_address(candidate))
        except ValueError:
            break  # a malformed entry: the proxy that passed it on is as far as we can see
    return address
