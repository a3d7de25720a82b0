"""Encryption at rest for tenants' personal data (PIPL art. 28: ID numbers, names, photos).

* Fields are sealed with AES-256-GCM (`cryptography`). A sealed value is
  ``key_id (1 byte) | nonce (12 bytes) | ciphertext+tag``; the field name is bound as associated
  data, so a ciphertext copied into another column does not decrypt.
* Keys come from GIS_RESIDENT_DATA_KEYS(_FILE): a comma-separated list ``id:base64key``; the
  first is used to seal, all are tried by id to open — that is key rotation (add a new key first,
  re-seal, then drop the old one).
* Look-ups and de-duplication use a blind index: HMAC-SHA256 under a separate key derived from
  the current (first) key, over the normalised value — equal ID numbers give equal indexes, and
  the index reveals nothing without the key. Look-ups try the index under every configured key,
  and re-sealing re-indexes too, so after a rotation the old key can really be dropped (with a
  fixed index key, dropping the key it came from would silently split every tenant in two).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from gis_core.env import parse_key_list


class DecryptionError(Exception):
    """A sealed value could not be opened (unknown key id, wrong field, or tampered data)."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[int, bytes]
    current: int
    index_keys: dict[int, bytes]  # key id → the blind-index key derived from that key


def _parse(spec: str) -> Keyring:
    parsed = parse_key_list(spec)  # the same check settings run at start-up
    keys = dict(parsed)
    index_keys = {kid: hmac.new(key, b"blind-index-v1", hashlib.sha256).digest() for kid, key in keys.items()}
    return Keyring(keys=keys, current=parsed[0][0], index_keys=index_keys)


@lru_cache(maxsize=4)
def _keyring_for(spec: str) -> Keyring:
    return _parse(spec)


def keyring() -> Keyring:
    spec = settings.RESIDENT_DATA_KEYS
    if not spec:
        # Development and tests only (settings refuse to start without keys in production).
        derived = hashlib.sha256(b"resident-data:" + settings.SECRET_KEY.encode()).digest()
        spec = "1:" + base64.b64encode(derived).decode()
    return _keyring_for(spec)


def new_key_spec(kid: int = 1) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def seal(field: str, value: str | bytes | None) -> bytes | None:
    if value is None:
        return None
    data = value.encode() if isinstance(value, str) else value
    ring = keyring()
    nonce = os.urandom(12)
    return bytes([ring.current]) + nonce + AESGCM(ring.keys[ring.current]).encrypt(nonce, data, field.encode())


def open_bytes(field: str, sealed: bytes | memoryview | None) -> bytes | None:
    if sealed is None:
        return None
    sealed = bytes(sealed)
    ring = keyring()
    key = ring.keys.get(sealed[0])
    if key is None:
        raise DecryptionError(f"sealed with key id {sealed[0]}, which is not configured")
    try:
        return AESGCM(key).decrypt(sealed[1:13], sealed[13:], field.encode())
    except Exception:
        raise DecryptionError(f"{field}: authentication failed (wrong key or tampered data)") from None


def open_text(field: str, sealed) -> str | None:
    raw = open_bytes(field, sealed)
    return None if raw is None else raw.decode()


def blind_index(kind: str, value: str) -> bytes:
    """Keyed hash for equality look-ups, e.g. blind_index("id_number", "11010519491231002X"),
    under the current key: what a new or re-sealed row stores."""
    ring = keyring()
    return _index(ring.index_keys[ring.current], kind, value)


def blind_indexes(kind: str, value: str) -> list[bytes]:
    """The value's index under every configured key, the current one first: what a look-up
    searches for, so that rows indexed before a rotation are found until reseal_resident_data
    has re-indexed them (after which the old key can be dropped)."""
    ring = keyring()
    return [_index(ring.index_keys[kid], kind, value) for kid in sorted(ring.keys, key=lambda k: k != ring.current)]


def _index(key: bytes, kind: str, value: str) -> bytes:
    normalised = value.strip().upper()
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).digest()


def mask_id_number(id_number: str) -> str:
    """Show the 6-digit region and the last 2 characters: 530112**********1X."""
    v = id_number.strip().upper()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 8) + v[-2:]


def mask_name(name: str) -> str:
    """Keep the surname: 张三丰 → 张**."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
