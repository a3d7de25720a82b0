"""Applies routing.py to Django requests: public read views read from a usable replica; a
successful write marks the browser for read-your-writes; a replica that fails mid-request is
marked down and the view runs again on the primary (GET and HEAD only, which change nothing)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError

from replicas import health, routing

SAFE = {"GET", "HEAD", "OPTIONS"}


class ReplicaReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = routing._current.set(None)
        try:
            response = self.get_response(request)
            alias = getattr(request, "_replica_alias", None)
            if alias is not None and response.status_code == 503:
                # A view that answers errors itself (the API's handler: "database unreachable")
                # never reaches process_exception: the replica failed; ask the primary instead.
                health.mark_down(alias)
                request._replica_alias = None
                routing._current.set(None)
                response = self.get_response(request)
        finally:
            routing._current.reset(token)
        if request.method not in SAFE and response.status_code < 400 and settings.REPLICA_ALIASES:
            seconds = settings.REPLICA_READ_YOUR_WRITES_S
            response.set_cookie(routing.WROTE_COOKIE, f"{time.time() + seconds:.0f}", max_age=seconds,
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request, view, args, kwargs):
        match = request.resolver_match
        if (request.method in ("GET", "HEAD") and settings.REPLICA_ALIASES and match is not None
                and match.view_name in settings.REPLICA_READ_VIEWS):
            alias = routing.choose(request.COOKIES)
            if alias != DEFAULT_DB_ALIAS:
                routing._current.set(alias)
                request._replica_alias = alias
        return None

    def process_exception(self, request, exception):
        alias = getattr(request, "_replica_alias", None)
        if alias is None or not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        health.mark_down(alias)
        request._replica_alias = None
        match = request.resolver_match
        with routing.reading_from(DEFAULT_DB_ALIAS):
            return match.func(request, *match.args, **match.kwargs)
