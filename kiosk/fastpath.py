"""Answer the kiosk agents' signed readings before Django's middleware stack.

A reading is machine to machine: authenticated by the kiosk's HMAC signature, with no session,
CSRF token or login (the view is csrf_exempt and reads none of them). Django's middleware
and URL resolver, and the per-request connection health check (CONN_HEALTH_CHECKS, one more round
trip), cost ≈15 % of a check-in (bench/checkin.py), so POST /api/kiosk/readings/ is handed straight
to the same view function Django routes it to (kiosk/reader_api.py), with Django's own request
object. Everything else goes to Django unchanged.

A failure the view did not turn into an answer (the database went away, say) is logged and
answered 503: the reading's transaction was rolled back, and the agent keeps the reading and
sends it again (kiosk/agent/client.py retries 5xx).
"""

from __future__ import annotations

import logging

from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from gis_core.db import release_connection
from gis_core.errors import Unavailable
from gis_core.http_errors import RETRY_AFTER_SECONDS, as_domain_error, json_response
from kiosk import reader_api
from kiosk.agent.client import READINGS_PATH

log = logging.getLogger(__name__)


class ReadingFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != READINGS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        request = WSGIRequest(environ)
        # The answer speaks the agent's Accept-Language, as LocaleMiddleware would have chosen.
        with translation.override(translation.get_language_from_request(request)):
            try:
                response = reader_api.reading(request)
            except Exception as exc:  # noqa: BLE001  answered, logged, retried by the agent
                log.exception("kiosk reading failed")
                if connection.connection is not None and not connection.is_usable():
                    connection.close()
                # The client's own mistakes answer 4xx (final for the agent); anything else 503 (resent).
                response = json_response(as_domain_error(exc) or Unavailable(
                    _("服务器暂时无法处理，读卡终端会重试"), retry_after=RETRY_AFTER_SECONDS))
            finally:
                release_connection()
        headers = [*response.items(), ("Content-Length", str(len(response.content))),
                   ("X-Content-Type-Options", "nosniff")]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]
