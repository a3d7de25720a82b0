"""POST /api/kiosk/readings/: a signed reading from a kiosk's agent (kiosk/agent/)."""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gis_core.errors import PayloadTooLarge
from gis_core.http_errors import json_response
from kiosk import readings, signature

MAX_BODY = 200 * 1024


@csrf_exempt  # authenticated by the kiosk's HMAC signature, not by a browser session
@require_POST
def reading(request):
    # The declared length is checked before the body is read: reading a body over Django's
    # DATA_UPLOAD_MAX_MEMORY_SIZE raises, and the agent treats 413 as final (never resent).
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return json_response(PayloadTooLarge(_("请求体过大（上限 %(kb)s KB）") % {"kb": MAX_BODY // 1024}))
    try:
        raw = request.body
    except RequestDataTooBig:
        return json_response(PayloadTooLarge(_("请求体过大（上限 %(kb)s KB）") % {"kb": MAX_BODY // 1024}))
    if len(raw) > MAX_BODY:
        return json_response(PayloadTooLarge(_("请求体过大（上限 %(kb)s KB）") % {"kb": MAX_BODY // 1024}))
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        payload = None
    try:
        status, body = readings.apply(lambda: signature.verify(request), payload)
    except signature.SignatureError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
