"""One pipeline for "a located thing changed".

Whoever writes a located row — a model's save(), the importer, the planner, the demo seed, a
set-based update — reports it here once per batch (set-based, never per row), inside its
transaction:

    geometry_changed(model, ids, old_geometries=None) -> Change
        Rows of `model` whose geometry was inserted or rewritten. `old_geometries` maps the id of
        each row that existed before to its previous geometry (lon/lat); an id without one is new.
        Rooms, drawn within their building, report here when they are drawn anew: added,
        renumbered, moved to another floor or building (no old geometry: they have none).
    attributes_changed(model, ids, fields=None) -> Change
        Rows updated in place, geometry untouched (an address, a room's status); `fields` names the
        fields written (None: any).
    removed(model, instances) -> Change
        Rows deleted. The post_delete signal reports every tracked model (connect() below), so
        callers never need to.
    old_geometries(model, ids) -> {id: geometry}
        The geometries about to be overwritten (one query), to pass to geometry_changed.
    saving(instance, update_fields=None)
        The context manager a model's save() runs in: reads the old geometry once, then reports
        geometry_changed or attributes_changed.

geometry_changed first re-derives what follows from where things are, set-based, writing only
rows whose placement changes: the community (for models that derive it), grid and mesh of the rows
(gis_core/assign.py); for a grid, everything of its community located in the area its boundary
swept (old XOR new); for a community, everything there, community included. Rows re-placed so are
reported with attributes_changed(..., fields=MEMBERSHIP). Every change is delivered as one
`Change` in two steps:

    located_written  (Signal, sent now, inside the transaction) — derived rows that must commit or
        roll back with the edit (a planner dry run rolls them back too): rooms laid out again in a
        moved footprint (buildings), camera views a building cut or uncut (coverage).
    located_changed  (Signal, sent by transaction.on_commit) — caches and background work, which
        must never see an uncommitted state: tile tombstones (tiles), the 3D rebuild mark (model3d).

Receivers get `change=` and never read the changed rows again: the Change carries the EPSG:3857
boxes of the old and new places, the communities before and after, the old and new geometries of
moved rows, and for rooms the buildings they are drawn within. Each app connects its receivers in its AppConfig.ready(); this module
imports none of them (dependencies run one way: up the stack, receivers; down, this module).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal
from psycopg import sql

from gis_core import assign
from gis_core.spatial import WEB_MERCATOR_SRID

Box = tuple[float, float, float, float]  # minx, miny, maxx, maxy in EPSG:3857

located_written = Signal()  # sender: the model class; change: Change — inside the transaction
located_changed = Signal()  # sender: the model class; change: Change — after the commit

# Every model whose rows have a place → the lon/lat geometry field that places a row, or (a room)
# the foreign key of the row it is drawn within.
TRACKED: dict[str, str] = {
    "gis_core.Community": "boundary",
    "gis_core.Grid": "boundary",
    "gis_core.Camera": "location",
    "kiosk.Kiosk": "location",
    "reports.PatrolPoint": "location",
    "reports.Report": "location",
    "buildings.Building": "footprint",
    "buildings.Room": "building",
}
# Models with a boundary: moving one re-places what lies in the area it swept (a grid: within its
# community; a community: wherever, with the community of what derives it).
BOUNDARIES = frozenset({"gis_core.Grid", "gis_core.Community"})
# The derived links a re-placement writes (Change.fields of the rows a boundary edit re-placed).
MEMBERSHIP = frozenset({"community", "grid", "mesh"})


@dataclass(frozen=True)
class Change:
    """What changed, as every receiver needs it."""

    model: str                              # app_label.Model of the rows
    ids: frozenset[int]
    moved: bool                             # geometry added, moved or removed: where data lies changed
    removed: bool = False
    fields: frozenset[str] | None = None    # attributes written in place (None: any, or moved)
    boxes: tuple[Box, ...] = ()             # EPSG:3857 boxes of the old and new places (a room: its building's)
    communities: frozenset[int] = frozenset()  # the communities the rows lay in before and lie in now
    within: frozenset[int] = frozenset()    # the rows they are drawn within (rooms: their buildings)
    old: Mapping[int, GEOSGeometry] = field(default_factory=dict)  # previous geometry of moved/removed rows
    new: Mapping[int, GEOSGeometry] = field(default_factory=dict)  # current geometry of moved rows

    def only(self, fields: Iterable[str]) -> bool:
        """Whether nothing but (some of) these attributes changed."""
        return not self.moved and self.fields is not None and self.fields <= frozenset(fields)


# --- the entry points ----------------------------------------------------------------------------

def geometry_changed(model, ids: Iterable[int], old_geometries: Mapping[int, GEOSGeometry] | None = None) -> Change:
    """Rows whose geometry was inserted or rewritten: re-derive their memberships, then deliver."""
    label = model._meta.label
    ids = frozenset(i for i in ids if i is not None)
    old = {k: v for k, v in (old_geometries or {}).items() if v is not None}
    if _has(model, "grid"):
        assign.assign_points(model, ids, set_community=label in assign.COMMUNITY_FROM_LOCATION)
    boxes, communities, new, within = _state(model, ids, geometry=True)
    boxes += [b for b in map(box_of, old.values()) if b]
    if old and label in assign.COMMUNITY_FROM_LOCATION:
        communities |= set(assign.communities_at([bytes(g.ewkb) for g in old.values()])) - {None}
    change = Change(label, ids, moved=True, boxes=tuple(boxes), communities=frozenset(communities),
                    within=frozenset(within), old=old, new=new)
    _deliver(model, change)
    if label in BOUNDARIES:
        _replace_swept(model, new, old)
    return change


def attributes_changed(model, ids: Iterable[int], fields: Iterable[str] | None = None) -> Change:
    """Rows updated in place, their geometry untouched: deliver."""
    ids = frozenset(i for i in ids if i is not None)
    boxes, communities, _, within = _state(model, ids, geometry=False)
    change = Change(model._meta.label, ids, moved=False, fields=None if fields is None else frozenset(fields),
                    boxes=tuple(boxes), communities=frozenset(communities), within=frozenset(within))
    _deliver(model, change)
    return change


def removed(model, instances: Iterable) -> Change:
    """Rows deleted (as they were in memory before the delete): deliver; a grid's area is re-placed."""
    label = model._meta.label
    instances = list(instances)
    via = model._meta.get_field(TRACKED[label])
    ids = frozenset(i.pk for i in instances)
    if via.is_relation:  # drawn within another row: that row's place (gone too when deleted with it)
        parents = {getattr(i, via.attname) for i in instances}
        boxes, communities, _, _ = _state(via.related_model, parents, geometry=False)
        change = Change(label, ids, moved=False, removed=True, boxes=tuple(boxes), communities=frozenset(communities),
                        within=frozenset(parents))
    else:
        old = {i.pk: getattr(i, via.name) for i in instances if getattr(i, via.name) is not None}
        communities = {i.pk for i in instances} if label == "gis_core.Community" else {
            i.community_id for i in instances if getattr(i, "community_id", None)}
        change = Change(label, ids, moved=True, removed=True, boxes=tuple(b for b in map(box_of, old.values()) if b),
                        communities=frozenset(communities), old=old)
    _deliver(model, change)
    if label in BOUNDARIES:
        _replace_swept(model, {}, change.old, {i.pk: getattr(i, "community_id", None) for i in instances})
    return change


def old_geometries(model, ids: Iterable[int]) -> dict[int, GEOSGeometry]:
    """The current (about to be overwritten) geometry of these rows, in one query."""
    name = TRACKED[model._meta.label]
    return dict(model._base_manager.filter(pk__in=list(ids)).values_list("pk", name))


@contextmanager
def saving(instance, update_fields: Iterable[str] | None = None):
    """Around the save() of a model placed by its own geometry: the old geometry is read once
    before, the change reported after.

    A row that was added or whose geometry differs reports geometry_changed (and the instance gets
    its re-derived community/grid/mesh); any other save reports attributes_changed."""
    model = type(instance)
    name = TRACKED[model._meta.label]
    fields = None if update_fields is None else set(update_fields)
    adding = instance._state.adding or instance.pk is None
    writes_geometry = fields is None or name in fields
    old = None
    if not adding and writes_geometry:
        old = old_geometries(model, [instance.pk]).get(instance.pk)
        adding = old is None  # (every tracked geometry is NOT NULL: no row yet)
    yield
    if not adding:
        # Stored generated columns (3857 copies, the anchor, effective values) were computed by
        # PostgreSQL on UPDATE: drop the stale copies so that reading one loads it again.
        for f in model._meta.concrete_fields:
            if f.generated:
                instance.__dict__.pop(f.attname, None)
    new = getattr(instance, name)
    if adding or (writes_geometry and (old is None or not old.equals_exact(new, tolerance=0))):
        geometry_changed(model, [instance.pk], {} if old is None else {instance.pk: old})
        derived = [f for f in ("grid", "mesh") if _has(model, f)]
        if derived and model._meta.label in assign.COMMUNITY_FROM_LOCATION:
            derived.append("community")
        if derived:
            instance.refresh_from_db(fields=derived)
    else:
        attributes_changed(model, [instance.pk], fields)


# --- delivery ------------------------------------------------------------------------------------

# How located_changed is sent after the commit: inline (None, the default: a request's response
# leaves with its tiles already tombstoned), or handed to a runner — a background process such as
# the reports' clock (reports/clock.py) passes a one-thread executor's submit, so that writing
# tombstones does not hold up its next batch; they follow in order, moments later.
_after_commit_runner = None


def run_after_commit_with(runner) -> None:
    """Send located_changed through `runner(fn)` (None: inline). For background processes only."""
    global _after_commit_runner
    _after_commit_runner = runner


def _deliver(model, change: Change) -> None:
    if not change.ids:
        return
    located_written.send(sender=model, change=change)

    def send():
        located_changed.send(sender=model, change=change)

    transaction.on_commit(send if _after_commit_runner is None else lambda: _after_commit_runner(send))


def _deleted(sender, instance, **kwargs):
    removed(sender, [instance])


def connect() -> None:
    """Report every tracked model's deletes (GisCoreConfig.ready)."""
    for label in TRACKED:
        try:
            model = apps.get_model(label)
        except LookupError:  # an app not installed in this project
            continue
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"changes-del-{label}")


# --- reading the state once ----------------------------------------------------------------------

def _has(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def box_of(geom) -> Box | None:
    """EPSG:3857 box of a lon/lat geometry."""
    if geom is None or geom.empty:
        return None
    minx, miny, maxx, maxy = geom.transform(WEB_MERCATOR_SRID, clone=True).extent
    return (minx, miny, maxx, maxy)


def _state(model, ids, *, geometry: bool) -> tuple[list[Box], set[int], dict[int, GEOSGeometry], set[int]]:
    """Boxes (EPSG:3857), communities, (when asked) geometries of these rows as they are now, and
    for rows drawn within others (rooms) those others' ids — in one query."""
    ids = sorted(i for i in ids if i is not None)
    if not ids:
        return [], set(), {}, set()
    where = sql.SQL("t.id = ANY(%s)")
    via = model._meta.get_field(TRACKED[model._meta.label])
    within = via.is_relation
    if within:  # drawn within another row (a room: its building): that row's place
        where = sql.SQL("t.id IN (SELECT {fk} FROM {child} WHERE id = ANY(%s))").format(
            fk=sql.Identifier(via.column), child=sql.Identifier(model._meta.db_table))
        model, geometry = via.related_model, False
        via = model._meta.get_field(TRACKED[model._meta.label])
    m = sql.Identifier(f"{via.column}_3857")
    query = sql.SQL(
        "SELECT t.id, t.{community}, ST_XMin(t.{m}), ST_YMin(t.{m}), ST_XMax(t.{m}), ST_YMax(t.{m}){geom}"
        " FROM {table} t WHERE {where}"
    ).format(community=sql.Identifier("id" if model._meta.label == "gis_core.Community" else "community_id"),
             m=m, table=sql.Identifier(model._meta.db_table), where=where,
             geom=sql.SQL(", ST_AsEWKB(t.{})").format(sql.Identifier(via.column)) if geometry else sql.SQL(""))
    boxes, communities, geoms, parents = [], set(), {}, set()
    with connection.cursor() as cur:
        cur.execute(query.as_string(cur.connection), [ids])
        for row in cur.fetchall():
            if within:
                parents.add(row[0])
            if row[1] is not None:
                communities.add(row[1])
            if row[2] is not None:
                boxes.append(tuple(row[2:6]))
            if geometry and row[6] is not None:
                geoms[row[0]] = GEOSGeometry(memoryview(row[6]))
    return boxes, communities, geoms, parents


def _replace_swept(model, new: Mapping[int, GEOSGeometry], old: Mapping[int, GEOSGeometry],
                   community_of: Mapping[int, int | None] | None = None) -> None:
    """Re-place what lies where boundaries were drawn, moved or removed (old XOR new) — for a grid
    within its community, for a community anywhere — and report the re-placed rows (their
    membership changed, nothing else)."""
    grid = model._meta.label == "gis_core.Grid"
    if grid and community_of is None:
        community_of = dict(model._base_manager.filter(pk__in=list(new)).values_list("pk", "community_id"))
    swept: dict[int | None, GEOSGeometry] = {}
    for pk in set(new) | set(old):
        a, b = old.get(pk), new.get(pk)
        area = b if a is None else a if b is None else a.sym_difference(b)
        key = community_of.get(pk) if grid else None
        if area is None or area.empty or (grid and key is None):
            continue
        swept[key] = area if key not in swept else swept[key].union(area)
    replaced: dict[str, set[int]] = defaultdict(set)
    for community_id, area in swept.items():
        for label, ids in assign.reassign_area(area, community_id).items():
            replaced[label] |= ids
    for label, ids in replaced.items():
        if ids:
            attributes_changed(apps.get_model(label), ids, fields=MEMBERSHIP)
