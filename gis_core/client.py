"""The address a request came from, in one place (login lockout, rate limits).

Behind our own reverse proxy (docker/nginx, `make run PROXY=1`) every request arrives from the
proxy; the client's address is the one the proxy appended to X-Forwarded-For. Only the last
GIS_PROXY_HOPS entries are trusted: anything to their left was written by the client itself, and
trusting it would let a guesser pick a new address for every try.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "")
    hops = getattr(settings, "GIS_PROXY_HOPS", 0)
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass  # not written by our proxy: fall back to the peer
    return peer
