"""Placing boundary candidates in the tree, numbering them, checking them with the planner's
rules and writing them — one level at a time, inside the caller's transaction.

* Parent: the parent code from the file, else the code's own prefix, else the community (for a
  grid) or current grid (for a mesh) covering a point on the boundary's surface.
* Codes (../shared/notes/grids.md): a valid code in the file is kept; a boundary without one that
  matches a current sibling's shape (≥ MATCH_RATIO of both areas) takes that sibling's code, so a
  file without codes re-imports in place; the rest are numbered after the highest used sequence,
  west→east then north→south (gis_core.numbering). A clash is a per-feature error.
* Checks: planner.checks — validity, inside the parent, no overlap with siblings, gaps (reported
  once per parent with their area), buildings cut by a boundary (listed, not refused: the
  boundary is the office's; the planner map fixes either side later).
"""

from __future__ import annotations

from collections import defaultdict

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gis_core.models import Community, Grid
from gis_core.numbering import reading_order, shapely_key
from onboarding.boundaries.read import Boundary
from onboarding.rederive import Written
from onboarding.report import Action
from planner import checks

MATCH_RATIO = 0.95
# Boundaries closer than this (degrees, ≈1 mm) are the same on re-import: an export keeps 9 decimals.
SAME_BOUNDARY_TOLERANCE = 1e-8


def place(candidates: list[Boundary], options) -> None:
    """Set parent, community and existing row of each candidate of one level; reject those that cannot be placed."""
    for b in candidates:
        if b.level == "community":
            if b.parent_code:
                b.notes.append(_("社区没有上级，已忽略上级编码 %(code)s") % {"code": b.parent_code})
        else:
            parent_model = Community if b.level == "grid" else Grid
            prefix = CODE_PREFIX[b.level]
            wanted = b.parent_code or (b.code[:prefix] if b.code else "")
            if wanted:
                b.parent = parent_model.objects.filter(code=wanted).first()
                if b.parent is None:
                    b.reject(_("上级 %(code)s 不存在（请先导入上一层）") % {"code": wanted})
                    continue
            else:
                b.parent = _covering(parent_model, b)
                if b.parent is None:
                    b.reject(_("找不到包含它的上级（社区或网格）") if b.level == "mesh"
                             else _("不在任何社区内"))
                    continue
            if b.level == "mesh" and b.parent.level != Grid.Level.GRID:
                b.reject(_("网眼的上级须是网格：%(code)s") % {"code": b.parent.code})
                continue
            if b.code and not b.code.startswith(b.parent.code):
                b.reject(_("编码 %(code)s 与上级 %(parent)s 不符") % {"code": b.code, "parent": b.parent.code})
                continue
            b.community_id = b.parent.pk if b.level == "grid" else b.parent.community_id
        if b.code:
            b.existing = (Community if b.level == "community" else Grid).objects.filter(code=b.code).first()
            if b.existing is not None and b.level != "community" and b.existing.level != _GRID_LEVEL[b.level]:
                b.reject(_("编码 %(code)s 已被另一层级使用") % {"code": b.code})


CODE_PREFIX = {"grid": 12, "mesh": 15}
_GRID_LEVEL = {"grid": Grid.Level.GRID, "mesh": Grid.Level.MESH}


def _covering(model, b: Boundary):
    point = b.geometry.point_on_surface
    if model is Community:
        return Community.objects.containing(point).first()
    return Grid.objects.current().grids().containing(point).order_by("code").first()


def number(candidates: list[Boundary], options) -> None:
    """Give every candidate without a code one: a matching sibling's, else the next in reading order."""
    live = [b for b in candidates if not b.rejected]
    seen: dict[str, Boundary] = {}
    for b in live:  # a code twice in the file: the later feature is the error
        if b.code and b.code in seen:
            b.reject(_("编码 %(code)s 重复（同第 %(n)d 个要素）") % {"code": b.code, "n": seen[b.code].row.feature})
        elif b.code:
            seen[b.code] = b
    by_parent: dict[object, list[Boundary]] = defaultdict(list)
    for b in live:
        if not b.rejected and not b.code:
            by_parent[(b.level, getattr(b.parent, "pk", None))].append(b)
    for (level, _parent), group in by_parent.items():
        _match_siblings(group, level, set(seen))
        missing = [b for b in group if not b.code]
        if not missing:
            continue
        prefix = _prefix(missing[0], options)
        if prefix is None:
            for b in missing:
                b.reject(_("社区缺少 12 位代码：请在文件中给出，或用 --code-prefix 指定 9 位区县街道代码"))
            continue
        used = _used_sequences(level, prefix) | {int(c[len(prefix):]) for c in seen if c.startswith(prefix)
                                                 and len(c) == len(prefix) + 3}
        ordered = reading_order(missing, lambda b: shapely_key(shapely.from_wkb(bytes(b.geometry.wkb))))
        start = max(used, default=0) + 1
        for seq, b in enumerate(ordered, start=start):
            if seq > 999:
                b.reject(_("编号已用完（最多 999）"))
                continue
            b.code = f"{prefix}{seq:03d}"
            b.notes.append(_("按标准顺序生成编码"))
            seen[b.code] = b
    for b in live:
        if b.code and not b.name and not b.rejected:
            b.name = _default_name(b)


def _default_name(b: Boundary) -> str:
    seq = int(b.code[-3:])
    if b.level == "grid":
        return _("%(parent)s第%(n)d网格") % {"parent": b.parent.name, "n": seq}
    if b.level == "mesh":
        return _("%(parent)s第%(n)d网眼") % {"parent": b.parent.name, "n": seq}
    return b.code


def _prefix(b: Boundary, options) -> str | None:
    if b.level == "community":
        return options.code_prefix
    return b.parent.code


def _used_sequences(level: str, prefix: str) -> set[int]:
    model = Community if level == "community" else Grid
    codes = model.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    return {int(c[len(prefix):]) for c in codes if len(c) == len(prefix) + 3 and c[len(prefix):].isdigit()}


def _match_siblings(group: list[Boundary], level: str, taken: set[str]) -> None:
    """A boundary without a code that is (nearly) the shape of a current sibling is that sibling."""
    first = group[0]
    if level == "community":
        siblings = Community.objects.all()
    else:
        siblings = Grid.objects.current().filter(level=_GRID_LEVEL[level], community_id=first.community_id)
        if level == "mesh":
            siblings = siblings.filter(parent=first.parent)
    for b in group:
        for sibling in siblings.filter(boundary__intersects=b.geometry):
            if sibling.code in taken:
                continue
            common = sibling.boundary.intersection(b.geometry).area
            if common >= MATCH_RATIO * max(sibling.boundary.area, b.geometry.area):
                b.code, b.existing = sibling.code, sibling
                b.notes.append(_("形状与现有 %(code)s 相同，沿用其编码") % {"code": sibling.code})
                taken.add(sibling.code)
                break


def check(candidates: list[Boundary], report) -> None:
    """The planner's checks; errors reject the feature, cut buildings are listed, gaps noted once per parent."""
    live = [b for b in candidates if not b.rejected]
    communities = [b for b in live if b.level == "community"]
    for b in communities:
        validity = checks.validity(b.geometry)
        if not validity["ok"]:
            b.reject(_("边界不是有效的面：%(reason)s") % {"reason": validity["reason"]})
            continue
        exclude = [b.existing.pk] if b.existing else []
        for overlap in checks.community_overlaps(b.geometry, exclude):
            b.reject(_("与社区 %(code)s 重叠 %(area)s m²") % overlap)
            break
    grids = [b for b in live if b.level != "community"]
    proposals = [checks.Proposal(community_id=b.community_id, level=_GRID_LEVEL[b.level],
                                 parent_id=b.parent.pk if b.level == "mesh" else None, geometry=b.geometry,
                                 grid_id=b.existing.pk if b.existing else None, code=b.code) for b in grids]
    gaps: dict[tuple, dict] = {}
    for b, p, result in zip(grids, proposals, checks.check_many(proposals)):
        errors = [e for e in result["errors"] if e["rule"] != "cut_building"]
        cut = [e["building"] for e in result["errors"] if e["rule"] == "cut_building"]
        if cut:
            b.notes.append(_("边界穿过楼栋：%(codes)s") % {"codes": ", ".join(cut)})
        if errors:
            b.reject("; ".join(e["message"] for e in errors))
        if result.get("gaps"):
            gaps[(b.parent.code, b.level)] = result["gaps"]
    for (parent, level), gap in sorted(gaps.items()):
        if gap["area_m2"] > checks.GAP_M2:
            report.notes.append(_("%(parent)s 内有 %(area)s m² 未被%(what)s覆盖")
                                % {"parent": parent, "area": gap["area_m2"],
                                   "what": _("网格") if level == "grid" else _("网眼")})


def write(candidates: list[Boundary], note: str) -> list[Written]:
    """Create or update; returns the rows written, for the change pipeline (onboarding.rederive)."""
    from planner.models import GridVersion
    from planner.services import ensure_initial_history

    written: list[Written] = []
    for b in candidates:
        if b.rejected:
            continue
        if b.level == "community":
            written += _write_community(b)
            continue
        e = b.existing
        values = {"name": b.name or (e.name if e else ""), "kind": b.kind, "responsible_person": b.person,
                  "responsible_phone": b.phone}
        if b.valid_from:
            values["valid_from"] = b.valid_from
        if e is None:
            grid = Grid(community_id=b.community_id, parent=b.parent if b.level == "mesh" else None,
                        level=_GRID_LEVEL[b.level], code=b.code, boundary=b.geometry, **values)
            try:
                grid.full_clean(exclude=["boundary"])
            except ValidationError as exc:
                b.reject("; ".join(m for messages in exc.message_dict.values() for m in messages))
                continue
            Grid.objects.bulk_create([grid])  # no per-row save: re-deriving runs once for the import
            GridVersion.objects.create(grid=grid, grid_code=grid.code, version=grid.version, name=grid.name,
                                       boundary=grid.boundary, action=GridVersion.Action.CREATE, note=note)
            _finish(b, Action.CREATED)
            written.append(Written(Grid, grid.pk, None, True))
            continue
        moved = not e.boundary.equals_exact(b.geometry, tolerance=SAME_BOUNDARY_TOLERANCE)
        if not moved and all(getattr(e, k) == v for k, v in values.items()):
            _finish(b, Action.UNCHANGED)
            continue
        ensure_initial_history(e)
        Grid.objects.filter(pk=e.pk).update(boundary=b.geometry, version=e.version + 1, **values)
        GridVersion.objects.create(grid=e, grid_code=e.code, version=e.version + 1, name=values["name"],
                                   boundary=b.geometry, action=GridVersion.Action.EDIT, note=note)
        _finish(b, Action.UPDATED)
        written.append(Written(Grid, e.pk, e.boundary if moved else None, moved))
    return written


def _write_community(b: Boundary) -> list[Written]:
    e = b.existing
    if e is None:
        community = Community(code=b.code, name=b.name or b.code, boundary=b.geometry)
        Community.objects.bulk_create([community])
        _finish(b, Action.CREATED)
        return [Written(Community, community.pk, None, True)]
    moved = not e.boundary.equals_exact(b.geometry, tolerance=SAME_BOUNDARY_TOLERANCE)
    name = b.name or e.name
    if not moved and name == e.name:
        _finish(b, Action.UNCHANGED)
        return []
    Community.objects.filter(pk=e.pk).update(boundary=b.geometry, name=name)
    _finish(b, Action.UPDATED)
    return [Written(Community, e.pk, e.boundary if moved else None, moved)]


def _finish(b: Boundary, action: Action) -> None:
    b.row.action, b.row.code, b.row.reason = action, b.code, "; ".join(b.notes)
