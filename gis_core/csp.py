"""Inline <style> blocks allowed by their hash instead of the response's nonce.

A nonce differs in every response, so a page carrying one is never byte-for-byte the same twice:
no ETag/304 for a second scan of a door code, and an unknown code's 404 would be told apart from
another's. Pages that must stay identical keep their inline styles and are allowed them by the
SHA-256 of each block (Content-Security-Policy level 2 hashes), added to this response's policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import wraps

_STYLE = re.compile(rb"<style>(.*?)</style>", re.S)


def style_hashes(content: bytes) -> list[str]:
    return [f"'sha256-{base64.b64encode(hashlib.sha256(block).digest()).decode()}'"
            for block in _STYLE.findall(content)]


def hash_inline_styles(view):
    """Decorate a view (innermost, before compression) whose pages' <style> blocks carry no nonce."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not response.streaming and (hashes := style_hashes(response.content)):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["style-src"] = [*update.get("style-src", []), *hashes]
            response._csp_update = update  # django-csp adds these to the policy's style-src
        return response

    return wrapped
