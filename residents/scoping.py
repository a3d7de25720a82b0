"""Who sees and changes which tenants: one place for the role scopes (querysets filter with them).

* police — every building, read only (unmasking is a separate, audited act);
* administrator — every building, read and write;
* landlord — the buildings of the landlord their staff profile represents;
* grid worker — the buildings in the grids (and their meshes) of their staff profile (the /grid/
  pages: `grid_scope`);
* planner and the public — no tenant data at all.

`building_scope(user)` is a Q over Building (None = nothing); callers prefix it to their model.
The rules themselves are `scope_for()`: the kiosk's card-reading path, which reads the operator's
roles and profile in the same query as the session, applies them without a further query.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Scope:
    """The buildings a user reaches: every building, or those of one landlord and/or some grids."""

    every: bool = False
    landlord_id: int | None = None
    grid_ids: tuple[int, ...] = ()

    def q(self) -> ScopedQ:
        """As a condition on Building (an empty Q: every building)."""
        if self.every:
            return ScopedQ()
        q = ScopedQ()
        if self.landlord_id is not None:
            q |= ScopedQ(landlord_id=self.landlord_id)
        if self.grid_ids:
            q |= ScopedQ(grid_id__in=self.grid_ids) | ScopedQ(mesh_id__in=self.grid_ids)
        return ScopedQ(q)

    def covers(self, *, landlord_id: int | None, grid_id: int | None, mesh_id: int | None) -> bool:
        """The same condition for one building already at hand (no query)."""
        return self.every or (self.landlord_id is not None and landlord_id == self.landlord_id) or (
            bool(self.grid_ids) and (grid_id in self.grid_ids or mesh_id in self.grid_ids))


def scope_for(roles: frozenset[str], *, landlord_id: int | None, grid_ids, read: bool) -> Scope | None:
    """The rules, from a user's roles and staff profile (None: no tenant data at all)."""
    if Role.ADMIN in roles or (read and Role.POLICE in roles):
        return Scope(every=True)
    landlord = landlord_id if Role.LANDLORD in roles and landlord_id else None
    grids = tuple(grid_ids) if Role.GRID_WORKER in roles else ()
    return Scope(landlord_id=landlord, grid_ids=grids) if landlord is not None or grids else None


def user_scope(user, *, read: bool) -> Scope | None:
    roles = roles_of(user)
    profile = getattr(user, "staff_profile", None) if roles - {Role.ADMIN, Role.POLICE} else None
    grid_ids = list(profile.grids.values_list("pk", flat=True)) if profile is not None and \
        Role.GRID_WORKER in roles else []
    return scope_for(roles, landlord_id=profile.landlord_id if profile is not None else None, grid_ids=grid_ids,
                     read=read)


def grid_scope(user) -> Scope | None:
    """What the grid workers' pages (/grid/) reach: the same rules with only the grid-worker and
    administrator roles counted — a grid worker's grids and meshes, an administrator every
    building; None for everyone else (a landlord's own buildings are /my/, not /grid/)."""
    roles = roles_of(user) & {Role.GRID_WORKER, Role.ADMIN}
    profile = getattr(user, "staff_profile", None) if Role.GRID_WORKER in roles else None
    grid_ids = list(profile.grids.values_list("pk", flat=True)) if profile is not None else []
    return scope_for(roles, landlord_id=None, grid_ids=grid_ids, read=False)


def building_scope(user, *, read: bool) -> ScopedQ | None:
    scope = user_scope(user, read=read)
    return None if scope is None else scope.q()


def rooms_for_registration(user):
    """Rooms this user may let or free at a kiosk (landlords, grid workers, administrators)."""
    from buildings.models import Room

    q = building_scope(user, read=False)
    return Room.objects.none() if q is None else Room.objects.filter(q.prefix("building"), retired_at__isnull=True)


def own_buildings(user):
    """The buildings a landlord account lets — the landlord scope alone, whatever other roles the
    account holds (the /my/ pages: an administrator who is also a landlord sees their own)."""
    from buildings.models import Building

    roles = roles_of(user) & {Role.LANDLORD}
    profile = getattr(user, "staff_profile", None) if roles else None
    scope = scope_for(roles, landlord_id=profile.landlord_id if profile is not None else None, grid_ids=(), read=False)
    return Building.objects.none() if scope is None else Building.objects.filter(scope.q())


def area_scope(user) -> Q | None:
    """The same rules for rows placed in a grid and mesh (resident reports, patrol points): every
    row (administrators, police reading), those in the grids and meshes of a grid worker's staff
    profile, or nothing (None: landlords, planners, the public). A community's staff are the
    grid workers given all of its grids."""
    scope = user_scope(user, read=True)
    if scope is None:
        return None
    if scope.every:
        return Q()
    if scope.grid_ids:
        return Q(grid_id__in=scope.grid_ids) | Q(mesh_id__in=scope.grid_ids)
    return None
