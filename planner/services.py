"""Saving grid edits: one transaction per edit, or nothing.

Every edit (boundary change, new grid, restore, split, merge) runs the same way:
lock the grids involved (SELECT … FOR UPDATE, in id order) → compare the version the planner
started from (stale: Conflict, answered 409 with both shapes) → validate inside the transaction
(errors: Rejected, answered 422 with the report, and the transaction rolls back) → write the
geometry (the change pipeline, gis_core/changes.py, re-places the buildings, cameras and kiosks
in the swept area and, on commit, invalidates exactly the tiles touched) → record the version in
the history → recompute the statistics of every grid that gained or lost a building. A dry run
does all of it and rolls back, so the answer shows the real outcome (buildings moved, counts)
without keeping it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import MultiPolygon
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gis_core.errors import DomainError
from gis_core.models import Grid
from planner import checks
from planner.models import GridStats, GridVersion


class PlannerError(DomainError):
    """A planner edit refused; the API answers it through the one error contract (fields = payload)."""

    status, code = 400, "planner_invalid"


class Conflict(PlannerError):
    status, code = 409, "stale_version"


class Rejected(PlannerError):
    status, code = 422, "failed_validation"


class _DryRun(Exception):
    def __init__(self, result):
        self.result = result


@dataclass
class Outcome:
    grids: list[Grid]
    report: dict
    moved: list[dict]
    dry_run: bool = False


def _lock(ids) -> dict[int, Grid]:
    grids = {g.pk: g for g in Grid.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")}
    missing = set(ids) - set(grids)
    if missing:
        raise PlannerError(_("网格不存在：%(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))})
    return grids


def _check_version(grid: Grid, expected: int | None, mine: MultiPolygon | None) -> None:
    if expected is None:
        raise PlannerError(_("缺少版本号 version（编辑开始时的版本）"))
    if grid.version != expected:
        raise Conflict(
            _("网格 %(code)s 已被他人修改：您编辑的是第 %(mine)s 版，当前为第 %(theirs)s 版")
            % {"code": grid.code, "mine": expected, "theirs": grid.version},
            grid=grid.pk, code=grid.code, your_version=expected, current_version=grid.version,
            theirs=_geojson(grid.boundary), mine=_geojson(mine) if mine is not None else None,
            last_change=_last_change(grid),
        )


def _geojson(geom):
    import json

    return json.loads(geom.geojson) if geom is not None else None


def _last_change(grid: Grid) -> dict | None:
    v = GridVersion.objects.filter(grid=grid).select_related("author").order_by("-version").first()
    if v is None:
        return None
    return {"version": v.version, "author": v.author.get_username() if v.author else None,
            "at": v.created_at.isoformat(), "note": v.note}


def _record(grid: Grid, action: str, user, note: str, restored_from: int | None = None) -> GridVersion:
    return GridVersion.objects.create(
        grid=grid, grid_code=grid.code, version=grid.version, name=grid.name, boundary=grid.boundary,
        action=action, note=note or "", author=user if getattr(user, "is_authenticated", False) else None,
        restored_from=restored_from,
    )


def ensure_initial_history(grid: Grid) -> None:
    """Grids that existed before the planner: their current shape becomes the first history row."""
    if not GridVersion.objects.filter(grid=grid, version=grid.version).exists():
        _record(grid, GridVersion.Action.CREATE, None, _("规划工具启用前的边界"))


# --- placements: which buildings changed grid ---------------------------------------------------

_PLACEMENTS_SQL = """
WITH parts AS (SELECT d.geom FROM ST_Dump(ST_GeomFromEWKB(%(area)s)) d)
SELECT DISTINCT b.id, b.code, b.grid_id, b.mesh_id
FROM buildings_building b JOIN parts p ON b.footprint_3857 && ST_Transform(ST_Envelope(p.geom), 3857)
WHERE b.community_id = %(community)s AND ST_Intersects(b.anchor, p.geom)
"""


def _placements(area, community_id: int) -> dict[int, tuple]:
    if area is None or area.empty:
        return {}
    with connection.cursor() as cur:
        cur.execute(_PLACEMENTS_SQL, {"community": community_id, "area": bytes(area.ewkb)})
        return {r[0]: r[1:] for r in cur.fetchall()}


def _moved(before: dict[int, tuple], after: dict[int, tuple], known: dict[int, str] | None = None) -> list[dict]:
    codes = dict(known or {})
    codes.update(Grid.objects.filter(pk__in={g for row in (*before.values(), *after.values())
                                              for g in row[1:] if g}).values_list("pk", "code"))
    moved = []
    for bid, (code, grid, mesh) in sorted(after.items()):
        old = before.get(bid, (code, None, None))
        if old[1:] != (grid, mesh):
            moved.append({"id": bid, "code": code, "from_grid": codes.get(old[1]), "to_grid": codes.get(grid),
                          "from_mesh": codes.get(old[2]), "to_mesh": codes.get(mesh),
                          "from_grid_id": old[1], "to_grid_id": grid, "from_mesh_id": old[2], "to_mesh_id": mesh})
    return moved


# --- statistics ----------------------------------------------------------------------------------

def stats_for(grids) -> dict[int, GridStats]:
    """Statistics of these grids, counting those never counted or counted too long ago."""
    from planner import stats

    ids = [g.pk for g in grids]
    stats.recompute(set(ids) - stats._fresh_ids(ids))
    return {s.grid_id: s for s in GridStats.objects.filter(grid_id__in=ids)}


# --- the edits -----------------------------------------------------------------------------------

def _proposal(grid: Grid, geom: MultiPolygon, **kw) -> checks.Proposal:
    return checks.Proposal(community_id=grid.community_id, level=grid.level, parent_id=grid.parent_id,
                           geometry=geom, grid_id=grid.pk, **kw)


def _run(fn, dry_run: bool) -> Outcome:
    """Run an edit in one transaction; a dry run computes the outcome and rolls it back."""
    from planner import stats

    try:
        with stats.memo(), transaction.atomic():
            outcome = fn()
            if dry_run:
                raise _DryRun(outcome)
    except _DryRun as done:
        done.result.dry_run = True
        return done.result
    return outcome


def _union(geoms):
    area = None
    for g in geoms:
        area = g if area is None else area.union(g)
    return area


def _store(grid: Grid, geom: MultiPolygon) -> None:
    """Write a grid's new boundary and version (one UPDATE: the version is the planner's), and
    report it (gis_core/changes.py): what lies in the area the edit swept (old XOR new) is re-placed
    and the grid tiles of the old and new shape are invalidated on commit."""
    from gis_core.changes import geometry_changed

    old = grid.boundary
    Grid.objects.filter(pk=grid.pk).update(boundary=geom, version=grid.version + 1)
    grid.boundary, grid.version = geom, grid.version + 1
    geometry_changed(Grid, [grid.pk], {grid.pk: old})


def _write(grid: Grid, geom: MultiPolygon, *, action, user, note, restored_from=None):
    """Write one grid's new boundary with its history row; return the moved buildings."""
    area = grid.boundary.sym_difference(geom)
    before = _placements(area, grid.community_id)
    _store(grid, geom)
    _record(grid, action, user, note, restored_from)
    after = _placements(area, grid.community_id)
    moved = _moved(before, after)
    return moved


def _finish(grids: list[Grid], moved: list[dict], report: dict) -> Outcome:
    from planner import stats

    stats.after_moves({g.pk for g in grids} | {g.parent_id for g in grids if g.parent_id}, moved)
    for g in grids:
        g.refresh_from_db()
    return Outcome(grids=grids, report=report, moved=moved)


def save_boundaries(edits: list[tuple[int, MultiPolygon, int | None]], *, user=None, note: str = "",
                    dry_run: bool = False, action: str = GridVersion.Action.EDIT,
                    restored_from: int | None = None) -> Outcome:
    """Save new boundaries of one or more sibling grids together — e.g. both sides of a shared
    boundary whose vertex was dragged — validated as one proposal: each against the others' new
    shapes, never their old ones. All or nothing."""

    def edit():
        ids = [e[0] for e in edits]
        if len(set(ids)) != len(ids):
            raise PlannerError(_("同一网格出现了两次"))
        grids = _lock(ids)
        for grid_id, geom, version in edits:
            _check_version(grids[grid_id], version, geom)
        if len({(g.community_id, g.level, g.parent_id) for g in grids.values()}) > 1:
            raise PlannerError(_("一起保存的须是同一上级下的同级网格"))
        reports, ok = {}, True
        for grid_id, geom, _v in edits:
            others = [(i, g) for i, g, _ in edits if i != grid_id]
            report = checks.check(_proposal(grids[grid_id], geom, replaces=[i for i, _ in others],
                                            together=[g for _, g in others],
                                            together_codes=[grids[i].code for i, _ in others]))
            reports[grids[grid_id].code] = report
            ok = ok and report["ok"]
        if not ok:
            raise Rejected(_("边界未通过检查，未保存"),
                           report=reports if len(edits) > 1 else next(iter(reports.values())))
        area = _union([grids[grid_id].boundary.sym_difference(geom) for grid_id, geom, _v in edits])
        community = grids[ids[0]].community_id
        before = _placements(area, community)
        for grid_id, geom, _v in edits:
            grid = grids[grid_id]
            ensure_initial_history(grid)
            _store(grid, geom)
            _record(grid, action, user, note, restored_from)
        moved = _moved(before, _placements(area, community))
        report = reports if len(edits) > 1 else next(iter(reports.values()))
        return _finish([grids[i] for i in ids], moved, report)

    return _run(edit, dry_run)


def save_boundary(grid_id: int, geom: MultiPolygon, *, version: int | None, **kw) -> Outcome:
    return save_boundaries([(grid_id, geom, version)], **kw)


def restore(grid_id: int, old_version: int, *, version: int | None, user=None, note: str = "",
            dry_run: bool = False) -> Outcome:
    past = GridVersion.objects.filter(grid_id=grid_id, version=old_version).first()
    if past is None:
        raise PlannerError(_("没有这个历史版本：%(version)s") % {"version": old_version})
    note = note or _("恢复第 %(v)s 版") % {"v": old_version}
    return save_boundary(grid_id, past.boundary, version=version, user=user, note=note, dry_run=dry_run,
                         action=GridVersion.Action.RESTORE, restored_from=old_version)


def next_code(community_id: int, parent: Grid | None) -> str:
    """The next free sequence number under the community (grids) or grid (meshes)."""
    from gis_core.models import Community

    prefix = parent.code if parent else Community.objects.get(pk=community_id).code
    used = {int(c[len(prefix):]) for c in Grid.objects.filter(
        code__startswith=prefix, code__regex=r"^\d+$").values_list("code", flat=True) if len(c) == len(prefix) + 3}
    seq = next(i for i in range(1, 1000) if i not in used)
    return f"{prefix}{seq:03d}"


def create(*, community_id: int, parent_id: int | None, name: str, geom: MultiPolygon, kind: str = Grid.Kind.BASIC,
           user=None, note: str = "", dry_run: bool = False, code: str | None = None) -> Outcome:
    def make():
        parent = _lock([parent_id])[parent_id] if parent_id else None
        level = Grid.Level.MESH if parent else Grid.Level.GRID
        if parent and parent.level != Grid.Level.GRID:
            raise PlannerError(_("网眼只能建在网格之下"))
        if parent and parent.community_id != community_id:
            raise PlannerError(_("上级网格不在该社区"))
        report = checks.check(checks.Proposal(community_id=community_id, level=level, parent_id=parent_id,
                                              geometry=geom))
        if not report["ok"]:
            raise Rejected(_("边界未通过检查，未保存"), report=report)
        new_code = code or next_code(community_id, parent)
        if Grid.objects.filter(code=new_code).exists():
            raise Conflict(_("编码 %(code)s 已被使用") % {"code": new_code})
        before = _placements(geom, community_id)
        grid = Grid(community_id=community_id, parent=parent, level=level, code=new_code, name=name,
                    kind=kind, boundary=geom)
        grid.full_clean(exclude=["boundary"])
        grid.save()
        _record(grid, GridVersion.Action.CREATE, user, note)
        moved = _moved(before, _placements(geom, community_id))
        return _finish([grid], moved, report)

    return _run(make, dry_run)


def split(grid_id: int, line, *, version: int | None, name: str, user=None, note: str = "",
          dry_run: bool = False) -> Outcome:
    """Cut a grid in two along a line: the part holding its label point keeps the grid (a new version),
    the other becomes a new sibling with the next code."""

    def cut():
        grid = _lock([grid_id])[grid_id]
        _check_version(grid, version, None)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT ST_AsEWKB(d.geom) FROM ST_Dump(ST_Split(ST_GeomFromEWKB(%s), ST_GeomFromEWKB(%s))) d"
                " ORDER BY ST_Area(d.geom::geography) DESC",
                [bytes(grid.boundary.ewkb), bytes(line.ewkb)])
            parts = [bytes(r[0]) for r in cur.fetchall()]
        if len(parts) != 2:
            raise PlannerError(_("分割线须把网格恰好分成两块（现为 %(n)s 块）") % {"n": len(parts)})
        from django.contrib.gis.geos import GEOSGeometry

        keep, other = (MultiPolygon(GEOSGeometry(memoryview(p)), srid=4326) for p in parts)
        # Meshes lying in the part split off go with it (by a point on their surface; one that the
        # line cuts stays and is reported as outside the kept part).
        handed = [m.pk for m in Grid.objects.filter(parent=grid) if other.covers(m.boundary.point_on_surface)]
        report = checks.check(_proposal(grid, keep, together=[other], together_codes=[_("新网格")],
                                        children_exempt=handed))
        report_other = checks.check(checks.Proposal(community_id=grid.community_id, level=grid.level,
                                                    parent_id=grid.parent_id, geometry=other,
                                                    replaces=[grid.pk], together=[keep], together_codes=[grid.code]))
        if not (report["ok"] and report_other["ok"]):
            raise Rejected(_("拆分未通过检查，未保存"),
                           report=report, report_other=report_other)
        ensure_initial_history(grid)
        moved = _write(grid, keep, action=GridVersion.Action.SPLIT, user=user, note=note)
        new = Grid(community_id=grid.community_id, parent=grid.parent, level=grid.level, kind=grid.kind,
                   code=next_code(grid.community_id, grid.parent), name=name, boundary=other)
        before = _placements(other, grid.community_id)
        new.save()
        if handed:
            Grid.objects.filter(pk__in=handed).update(parent=new)
        _record(new, GridVersion.Action.CREATE, user, note or _("由 %(code)s 拆分") % {"code": grid.code})
        moved += _moved(before, _placements(other, grid.community_id))
        return _finish([grid, new], moved, {"kept": report, "new": report_other})

    return _run(cut, dry_run)


def merge(grid_id: int, other_id: int, *, version: int | None, other_version: int | None, user=None,
          note: str = "", dry_run: bool = False) -> Outcome:
    """Merge a neighbouring sibling into a grid: the grid takes the union (a new version), the
    other's meshes move under it, and the other is retired (deleted; its history stays)."""

    def join():
        if grid_id == other_id:
            raise PlannerError(_("不能与自身合并"))
        locked = _lock([grid_id, other_id])
        grid, other = locked[grid_id], locked[other_id]
        _check_version(grid, version, None)
        _check_version(other, other_version, None)
        if (grid.community_id, grid.level, grid.parent_id) != (other.community_id, other.level, other.parent_id):
            raise PlannerError(_("只能合并同一上级下的同级网格"))
        if not grid.boundary.intersects(other.boundary):
            raise PlannerError(_("两个网格不相邻"))
        with connection.cursor() as cur:
            cur.execute("SELECT ST_AsEWKB(ST_Multi(ST_UnaryUnion(ST_Collect(ST_GeomFromEWKB(%s), ST_GeomFromEWKB(%s)))))",
                        [bytes(grid.boundary.ewkb), bytes(other.boundary.ewkb)])
            from django.contrib.gis.geos import GEOSGeometry

            union = GEOSGeometry(memoryview(cur.fetchone()[0]))
        report = checks.check(_proposal(grid, union, replaces=[other.pk]))
        if not report["ok"]:
            raise Rejected(_("合并未通过检查，未保存"), report=report)
        ensure_initial_history(grid)
        ensure_initial_history(other)
        Grid.objects.filter(parent=other).update(parent=grid)
        # Retire the other first so that no building is left pointing at it.
        GridVersion.objects.create(grid=other, grid_code=other.code, version=other.version + 1, name=other.name,
                                   boundary=other.boundary, action=GridVersion.Action.RETIRE,
                                   note=note or pgettext("grid absorbed", "并入 %(code)s") % {"code": grid.code},
                                   author=user if getattr(user, "is_authenticated", False) else None)
        before = _placements(other.boundary, grid.community_id)
        known = {other.pk: other.code}
        known.update(Grid.objects.filter(parent=grid).values_list("pk", "code"))
        other_code, other_boundary = other.code, other.boundary
        other.delete()
        _store(grid, union)
        _record(grid, GridVersion.Action.MERGE, user, note or pgettext("grid absorbing", "并入 %(code)s") % {"code": other_code})
        moved = _moved(before, _placements(other_boundary, grid.community_id), known)
        return _finish([grid], moved, report)

    return _run(join, dry_run)
