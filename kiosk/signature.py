"""Verifying a kiosk agent's signed request (headers in kiosk/agent/signing.py).

Order: all headers present → timestamp inside the window → a credential for the kiosk →
the HMAC verifies → the nonce was never seen (recorded under a unique constraint, so two copies
racing each other cannot both pass). Each failure is a SignatureError with its own message (401).
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.db import prepared_cursor
from kiosk.agent import signing
from registration.models import KioskCredential, KioskNonce

WINDOW_SECONDS = 300
_NONCE = re.compile(r"^[0-9A-Za-z_-]{16,64}$")


class SignatureError(Exception):
    status = 401


@dataclass(frozen=True)
class SignedKiosk:
    """The kiosk a verified request came from."""

    pk: int
    code: str


@dataclass(frozen=True)
class _Credential:
    id: int
    issued: datetime
    kiosk: SignedKiosk
    secret: str


# Opened secrets by kiosk code, per process. A reading must not pay for a query and an AES
# decryption to find a secret that changes once in a kiosk's life; the nonce statement below
# re-checks that the credential (id and issue time) and the kiosk's code are still current, so a
# re-issued or deleted credential stops working at once, in every process.
_credentials: dict[str, _Credential] = {}

_RECORD_NONCE = """
INSERT INTO registration_kiosknonce (kiosk_id, nonce, seen_at)
SELECT c.kiosk_id, %(nonce)s, %(now)s
FROM registration_kioskcredential c JOIN kiosk_kiosk k ON k.id = c.kiosk_id
WHERE c.id = %(credential)s AND c.created_at = %(issued)s AND k.code = %(code)s
RETURNING kiosk_id"""


def _load(code: str) -> _Credential | None:
    credential = KioskCredential.objects.select_related("kiosk").filter(kiosk__code=code).first()
    if credential is None:
        _credentials.pop(code, None)
        return None
    found = _Credential(credential.pk, credential.created_at, SignedKiosk(credential.kiosk_id, code),
                        credential.secret())
    _credentials[code] = found
    return found


def verify(request) -> SignedKiosk:
    """The kiosk that signed this request, or SignatureError. Call inside the transaction that
    acts on the request: the nonce is recorded in it (one commit per request, and a request whose
    transaction fails leaves no nonce behind, so its retry is not mistaken for a replay)."""
    code, ts, nonce, sig = (request.headers.get(h, "") for h in signing.HEADERS)
    if not (code and ts and nonce and sig):
        raise SignatureError(_("缺少签名头：%(headers)s") % {"headers": ", ".join(signing.HEADERS)})
    try:
        skew = abs(time.time() - int(ts))
    except ValueError:
        raise SignatureError(_("X-Timestamp 须为 Unix 秒")) from None
    if skew > WINDOW_SECONDS:
        raise SignatureError(_("时间戳超出 ±%(window)s 秒窗口（相差 %(skew)s 秒），请校准终端机时钟")
                             % {"window": WINDOW_SECONDS, "skew": int(skew)})
    if not _NONCE.match(nonce):
        raise SignatureError(_("X-Nonce 须为 16–64 个字母数字"))
    credential = _credentials.get(code)
    for fresh in (False, True):
        if credential is None or fresh:
            credential = _load(code)
            if credential is None:
                raise SignatureError(_("终端机 %(code)s 没有凭据") % {"code": code})
        expected = signing.signature(credential.secret, request.method, request.path, ts, nonce, request.body)
        if not signing.matches(expected, sig):
            if fresh:
                raise SignatureError(_("签名无效"))
            continue  # perhaps re-issued since we opened it: read it again
        try:
            # No savepoint: a replay ends the caller's transaction anyway (SignatureError rolls it back).
            with prepared_cursor() as cur:
                cur.execute(_RECORD_NONCE, {"nonce": nonce, "now": timezone.now(), "credential": credential.id,
                                            "issued": credential.issued, "code": code})
                current = cur.fetchone() is not None
        except IntegrityError:
            raise SignatureError(_("该请求已处理过（重放）")) from None
        if current:
            break
        if fresh:
            raise SignatureError(_("终端机 %(code)s 没有凭据") % {"code": code})
    if random.random() < 0.01:  # forget nonces that the timestamp window already rejects
        KioskNonce.objects.filter(seen_at__lt=timezone.now() - timedelta(seconds=2 * WINDOW_SECONDS)).delete()
    return credential.kiosk
