"""Writing audit entries (the only way code should add to the log).

`record()` writes one entry. The kiosk's check-in path writes its entries inside its own
statements (residents/services.py, kiosk/readings.py) for speed; it takes the actor and kiosk
columns from `actor_fields()` and `kiosk_label()`, so every entry names them the same way.
"""

from __future__ import annotations

from audit.models import AuditEntry


def actor_fields(actor) -> dict:
    """actor_id and actor (the username) of a user; empty for nobody or an anonymous visitor."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return {"actor_id": actor.pk if authenticated else None, "actor": actor.get_username() if authenticated else ""}


def kiosk_label(kiosk) -> str:
    """A kiosk's code (the log keeps labels, not foreign keys)."""
    return getattr(kiosk, "code", kiosk) or ""


def record(action: str, *, actor=None, kiosk=None, person_id=None, tenancy_id=None, room_id=None, reason="",
           **detail) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action, **actor_fields(actor), kiosk=kiosk_label(kiosk),
        person_id=person_id, tenancy_id=tenancy_id, room_id=room_id, reason=reason, detail=detail,
    )
