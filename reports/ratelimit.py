"""Per-device/IP limit on report submissions: one atomic upsert per attempt."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from gis_core.errors import RateLimited
from reports.models import SubmitCounter


def client_key(request, device: str | None = None) -> str:
    # Hashed: the table never holds raw IP addresses or device ids. `device` names the device
    # when the caller knows it better than our cookie (an Open311 client's device_id).
    device = request.COOKIES.get("rdev", "") if device is None else device
    raw = f"{request.META.get('REMOTE_ADDR', '')}|{device}"
    return hashlib.sha256(raw.encode()).hexdigest()


def check(request, device: str | None = None) -> None:
    limit = getattr(settings, "REPORTS_SUBMIT_LIMIT", 5)
    window_s = getattr(settings, "REPORTS_SUBMIT_WINDOW_SECONDS", 600)
    window = int(time.time()) // window_s
    stmt = sql.SQL(
        "INSERT INTO {t} (key, \"window\", count) VALUES (%s, %s, 1)"
        " ON CONFLICT (key, \"window\") DO UPDATE SET count = {t}.count + 1 RETURNING count"
    ).format(t=sql.Identifier(SubmitCounter._meta.db_table))
    with connection.cursor() as cur:
        cur.execute(stmt.as_string(cur.connection), [client_key(request, device), window])
        count = cur.fetchone()[0]
    if count > limit:
        raise RateLimited(_("提交过于频繁，请 %(m)d 分钟后再试") % {"m": max(1, window_s // 60)},
                          retry_after=window_s)
