"""POST /api/kiosk/readings/: a signed reading from a kiosk's agent (kiosk/agent/)."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kiosk import readings, signature

MAX_BODY = 200 * 1024


@csrf_exempt  # authenticated by the kiosk's HMAC signature, not by a browser session
@require_POST
def reading(request):
    if len(request.body) > MAX_BODY:
        return JsonResponse({"detail": "请求体过大 / body too large"}, status=413)
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    try:
        status, body = readings.apply(lambda: signature.verify(request), payload)
    except signature.SignatureError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
