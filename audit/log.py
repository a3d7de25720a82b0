"""Writing audit entries (the only way code should add to the log)."""

from __future__ import annotations

from audit.models import AuditEntry


def record(action: str, *, actor=None, kiosk=None, person_id=None, tenancy_id=None, room_id=None, reason="",
           **detail) -> AuditEntry:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        action=action, actor_id=actor.pk if authenticated else None,
        actor=actor.get_username() if authenticated else "", kiosk=getattr(kiosk, "code", kiosk) or "",
        person_id=person_id, tenancy_id=tenancy_id, room_id=room_id, reason=reason, detail=detail,
    )
