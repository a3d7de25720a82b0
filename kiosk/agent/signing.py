"""Request signatures between a kiosk's agent and the server (shared by both sides).

A signed request carries four headers:
  X-Kiosk: the kiosk code · X-Timestamp: Unix seconds · X-Nonce: 32 hex characters, never reused ·
  X-Signature: hex HMAC-SHA256(kiosk secret, METHOD \\n path \\n timestamp \\n nonce \\n sha256(body)).
The server rejects a signature that does not verify, a timestamp outside its window and a nonce it
has seen before (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADERS = ("X-Kiosk", "X-Timestamp", "X-Nonce", "X-Signature")


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, str(timestamp), nonce, hashlib.sha256(body).hexdigest()]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def sign(kiosk: str, secret: str, method: str, path: str, body: bytes, *, now: float | None = None,
         nonce: str | None = None) -> dict[str, str]:
    ts = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    return {"X-Kiosk": kiosk, "X-Timestamp": ts, "X-Nonce": nonce,
            "X-Signature": signature(secret, method, path, ts, nonce, body)}


def matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode())
