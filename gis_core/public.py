"""Absolute URLs that leave the screen: printed door plates and QR codes on kiosks outlive any
one request, and behind a proxy the request's own host may be an internal name."""

from django.conf import settings


def public_url(path: str, request) -> str:
    """`path` on GIS_PUBLIC_BASE_URL when configured, else on the host of this request."""
    base = settings.PUBLIC_BASE_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)
