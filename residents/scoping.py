"""Who sees and changes which tenants: one place for the role scopes (querysets filter with them).

* police — every building, read only (unmasking is a separate, audited act);
* administrator — every building, read and write;
* landlord — the buildings of the landlord their staff profile represents;
* grid worker — the buildings in the grids (and their meshes) of their staff profile;
* planner and the public — no tenant data at all.

`building_scope(user)` is a Q over Building (None = nothing); callers prefix it to their model.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.roles import Role, roles_of


class ScopedQ(Q):
    def prefix(self, path: str) -> Q:
        """The same condition seen from a model that reaches Building through `path`."""

        def walk(node):
            out = Q()
            out.connector, out.negated = node.connector, node.negated
            out.children = [walk(c) if isinstance(c, Q) else (f"{path}__{c[0]}" if c[0] != "pk" else path, c[1])
                            for c in node.children]
            return out

        return walk(self)


def building_scope(user, *, read: bool) -> ScopedQ | None:
    roles = roles_of(user)
    if Role.ADMIN in roles or (read and Role.POLICE in roles):
        return ScopedQ()
    profile = getattr(user, "staff_profile", None) if roles else None
    q = ScopedQ()
    any_scope = False
    if profile is not None and Role.LANDLORD in roles and profile.landlord_id:
        q |= ScopedQ(landlord_id=profile.landlord_id)
        any_scope = True
    if profile is not None and Role.GRID_WORKER in roles:
        grid_ids = list(profile.grids.values_list("pk", flat=True))
        if grid_ids:
            q |= ScopedQ(grid_id__in=grid_ids) | ScopedQ(mesh_id__in=grid_ids)
            any_scope = True
    return ScopedQ(q) if any_scope else None


def rooms_for_registration(user):
    """Rooms this user may let or free at a kiosk (landlords, grid workers, administrators)."""
    from buildings.models import Room

    q = building_scope(user, read=False)
    return Room.objects.none() if q is None else Room.objects.filter(q.prefix("building"))


def can_register(user, room) -> bool:
    q = building_scope(user, read=False)
    if q is None:
        return False
    if not q:  # every building (administrators): no query needed
        return True
    from buildings.models import Room

    return Room.objects.filter(q.prefix("building"), pk=room.pk).exists()
