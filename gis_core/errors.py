"""One error hierarchy for the whole product.

A service raises a `DomainError` (or one of its subclasses) with a message meant for the person
who sent the request; the API's exception handler and the plain views' middleware turn it into
HTTP once: status `status`, JSON body `{"detail": message, **fields}`. Messages are translatable
(Simplified Chinese source, English catalogue) and never carry database text.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the product refuses, with the status and message the client gets."""

    status: int = 400
    code: str = "invalid"

    def __init__(self, message: Any, *, status: int | None = None, code: str | None = None, **fields: Any):
        super().__init__(str(message))
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"detail": str(self.message), **{k: v for k, v in self.fields.items() if v is not None}}


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class PermissionDenied(DomainError):
    status, code = 403, "permission_denied"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class PayloadTooLarge(DomainError):
    status, code = 413, "too_large"


class Unprocessable(DomainError):
    status, code = 422, "unprocessable"


class RateLimited(DomainError):
    status, code = 429, "rate_limited"


class Unavailable(DomainError):
    status, code = 503, "unavailable"
