"""The error contract over HTTP, in one place.

Every refusal the product answers has one shape: status from the `DomainError`, JSON body
`{"detail": message, **fields}` (or a short HTML page for a browser asking for a page), in the
request's language. Three entry points use `as_domain_error` and `render`:

* the DRF exception handler (gis_core/api/exceptions.py) for API views,
* `ErrorMiddleware.process_exception` for plain Django views,
* `server_error` (handler500) for what fails outside a view (another middleware, a session read).

Database errors are translated here too, and never with the database's own text: a refused
constraint answers that constraint's `violation_error_message`; an unreachable database
answers 503 with Retry-After; a value PostgreSQL cannot take (NUL byte, bigint overflow) 400.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import lru_cache

from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from gis_core.errors import BadRequest, Conflict, DomainError, Unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
# Paths whose clients are programs: they always get JSON, whatever they Accept.
_MACHINE_PREFIXES = ("/api/", "/tiles/", "/3d/", "/kiosk/api/")


@lru_cache(maxsize=1)
def _constraint_messages() -> dict[str, object]:
    """Each model constraint's own (translatable) message by its database name."""
    from django.apps import apps

    messages: dict[str, object] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if getattr(constraint, "violation_error_message", None):
                messages[constraint.name] = constraint.violation_error_message
    return messages


def _constraint_name(exc: BaseException) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _database_unreachable(exc: BaseException) -> bool:
    # OperationalError covers "connection refused", "server closed the connection", "the
    # database system is starting up"; InterfaceError a connection already closed.
    return isinstance(exc, (OperationalError, InterfaceError)) and not isinstance(exc.__cause__, _query_errors())


@lru_cache(maxsize=1)
def _query_errors() -> tuple[type, ...]:
    # Operational errors a single query causes (a statement timeout, a lock wait, canceled):
    # the database is there, the request should just be retried.
    from psycopg import errors as pg

    return (pg.QueryCanceled, pg.LockNotAvailable)


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The DomainError a client should get for `exc`, or None if it is a real server fault."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, IntegrityError):
        name = _constraint_name(exc)
        message = _constraint_messages().get(name or "")
        if message is None:
            log.warning("integrity error without a message for constraint %r", name)
            message = _("该修改与已有数据冲突，未保存")
        return Conflict(message, constraint=name)
    if isinstance(exc, DataError):
        # Text with a NUL byte, a number out of range, an invalid date… reached the database.
        log.warning("data error reached the database: %s", str(exc).split("\n")[0])
        return BadRequest(_("请求中含有无法处理的值（如过大的数字或无效字符）"))
    if isinstance(exc, RecursionError):
        return BadRequest(_("请求内容嵌套过深"))
    if isinstance(exc, DatabaseError) and _database_unreachable(exc):
        log.error("database unreachable: %s", str(exc).split("\n")[0])
        return Unavailable(_("数据库暂时无法访问，请稍后再试"), retry_after=RETRY_AFTER_SECONDS)
    return None


def wants_json(request) -> bool:
    path = request.path_info or ""
    if path.startswith(_MACHINE_PREFIXES) or path.endswith(".json"):
        return True
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return True
    return (request.content_type or "").startswith("application/json")


def _headers(error: DomainError) -> dict[str, str]:
    retry = error.fields.get("retry_after")
    return {"Retry-After": str(retry)} if retry else {}


def json_response(error: DomainError) -> HttpResponse:
    body = json.dumps(error.body(), ensure_ascii=False, default=str)
    response = HttpResponse(body, status=error.status, content_type="application/json")
    for name, value in _headers(error).items():
        response[name] = value
    return response


def render(request, error: DomainError) -> HttpResponse:
    if request is None or wants_json(request):
        return json_response(error)
    # A short page: no template, so it renders even when templates or the database fail.
    title = escape(_("请求未能完成"))
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{escape(str(error.message))}</p>"
            f'<p><a href="/">{escape(_("返回首页"))}</a></p></body></html>')
    response = HttpResponse(page, status=error.status, content_type="text/html; charset=utf-8")
    for name, value in _headers(error).items():
        response[name] = value
    return response


def _has_nul(request) -> bool:
    if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    return any("\x00" in value for key, value in request.META.items()
               if key.startswith("HTTP_") and isinstance(value, str))


class ErrorMiddleware:
    """Outermost middleware: refuses NUL bytes (PostgreSQL text cannot hold them, and no valid
    address, parameter or header has one) and renders DomainErrors raised by plain views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return render(request, BadRequest(_("请求中含有空字符（NUL），已拒绝")))
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming and response.content:
            # HEAD answers like GET without the body (caches and monitors use it); the length stays.
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    def process_exception(self, request, exc):
        error = as_domain_error(exc)
        return None if error is None else render(request, error)


def server_error(request, *args, **kwargs):
    """handler500: what failed outside a view still gets the contract (503 while the database is away)."""
    exc = sys.exc_info()[1]
    error = as_domain_error(exc) if exc is not None else None
    if error is None:
        error = DomainError(_("服务器内部错误，已记录，请稍后再试"), status=500, code="server_error")
    return render(request, error)
