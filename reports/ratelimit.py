"""Per-device and per-IP limits on report submissions: one atomic upsert of both counters per attempt.

Both must pass. The device counter (our `rdev` cookie, or an Open311 client's device_id, with the
address) is the fine one; the address counter ignores the device key, so a client that rotates its
cookie or device_id on every submit still meets the address's limit. The address limit is higher:
a dormitory or a mobile carrier's NAT puts many honest phones behind one address.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from gis_core.client import client_ip
from gis_core.errors import RateLimited
from reports.models import SubmitCounter


def _hash(raw: str) -> str:
    # Hashed: the table never holds raw IP addresses or device ids.
    return hashlib.sha256(raw.encode()).hexdigest()


def client_key(request, device: str | None = None) -> str:
    """The device counter's key. `device` names the device when the caller knows it better than
    our cookie (an Open311 client's device_id)."""
    device = request.COOKIES.get("rdev", "") if device is None else device
    return _hash(f"{client_ip(request)}|{device}")


def address_key(request) -> str:
    """The address counter's key: independent of any device key the client chooses."""
    return _hash(f"ip|{client_ip(request)}")


def check(request, device: str | None = None) -> None:
    window_s = getattr(settings, "REPORTS_SUBMIT_WINDOW_SECONDS", 600)
    limits = {client_key(request, device): getattr(settings, "REPORTS_SUBMIT_LIMIT", 5),
              address_key(request): getattr(settings, "REPORTS_SUBMIT_IP_LIMIT", 30)}
    window = int(time.time()) // window_s
    stmt = sql.SQL(
        "INSERT INTO {t} (key, \"window\", count) VALUES (%s, %s, 1), (%s, %s, 1)"
        " ON CONFLICT (key, \"window\") DO UPDATE SET count = {t}.count + 1 RETURNING key, count"
    ).format(t=sql.Identifier(SubmitCounter._meta.db_table))
    device_key, ip_key = limits
    with connection.cursor() as cur:
        cur.execute(stmt.as_string(cur.connection), [device_key, window, ip_key, window])
        counts = dict(cur.fetchall())
    minutes = max(1, window_s // 60)
    if counts[device_key] > limits[device_key]:
        raise RateLimited(_("提交过于频繁，请 %(m)d 分钟后再试") % {"m": minutes}, retry_after=window_s)
    if counts[ip_key] > limits[ip_key]:
        raise RateLimited(_("该网络提交过于频繁，请 %(m)d 分钟后再试") % {"m": minutes}, retry_after=window_s)
