"""Typed, validated reading of settings from the environment.

Every setting that comes from the environment goes through one of these functions, so a
typo ("ture", "80OO") stops the process at start-up with a message that names the
variable and the fix, instead of silently becoming a wrong value.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def _number(name: str, parse, what: str):
    """The variable parsed by `parse`, None when unset or blank, ImproperlyConfigured when it does not parse."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}.") from None


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _number(name, int, "a whole number")
    if value is None:
        return default
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    value = _number(name, float, "a number")
    if value is None:
        return default
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value} must be between {minimum} and {maximum}.")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret given directly (NAME) or in a file (NAME_FILE), the file winning for containers."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            value = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc.strerror}.") from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} is empty.")
        return value
    return os.environ.get(name) or None


def parse_key_list(spec: str, name: str = "GIS_RESIDENT_DATA_KEYS") -> list[tuple[int, bytes]]:
    """`id:base64key,…` (AES-256 keys, ids 1–255), in order, the first one current.

    Used by settings at start-up, so a malformed key stops the process with the fix named,
    instead of starting fine and failing every sealed read later."""
    import base64
    import binascii

    fix = (f"{name} must be a comma-separated list of id:base64key with ids 1–255 and 32-byte keys, "
           "e.g. 1:<44 base64 characters>; generate one with "
           "python -c 'import base64,os; print(\"1:\"+base64.b64encode(os.urandom(32)).decode())'.")
    keys: list[tuple[int, bytes]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            kid_s, b64 = part.split(":", 1)
            kid = int(kid_s)
            key = base64.b64decode(b64.strip(), validate=True)
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(f"{name}: {part[:6]}… is not id:base64key. {fix}") from None
        if not 0 < kid < 256 or len(key) != 32:
            raise ImproperlyConfigured(f"{name}: key {kid} needs an id 1–255 and 32 bytes (AES-256). {fix}")
        if any(k == kid for k, _ in keys):
            raise ImproperlyConfigured(f"{name}: key id {kid} appears twice. {fix}")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured(f"{name} holds no key. {fix}")
    return keys
