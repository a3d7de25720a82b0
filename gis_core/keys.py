"""Secret keys shown once and stored only as a SHA-256 digest (screens' addresses, Open311
clients' api_keys): a leaked database does not let anyone use them. The model keeps a
`key_digest` (unique, 64 characters) and an `active` flag; this mixin issues and finds keys, and
gis_core.admin_base.OneTimeKeyAdmin shows a new one once in the admin."""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_KEY_LENGTH = 100  # longer input is not a key of ours: refused before it is hashed


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class OneTimeKeyMixin:
    """For a model with `key_digest` and `active` fields."""

    def issue_key(self) -> str:
        """A new key (the old one stops working); returned once, stored as a digest (save() to keep it)."""
        key = secrets.token_urlsafe(24)
        self.key_digest = digest(key)
        return key

    @classmethod
    def find_active(cls, key: str | None, **filters):
        """The active row holding this key (and matching `filters`), or None."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        found = cls.objects.filter(key_digest=digest(key), active=True, **filters).first()
        # compare_digest: the lookup is by digest already; this keeps a timing-safe final check.
        return found if found and hmac.compare_digest(found.key_digest, digest(key)) else None
