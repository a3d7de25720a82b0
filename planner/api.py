"""The planner's JSON API (planner role): the same operations as the map, for scripted bulk edits.

Every edit takes the `version` the client started from and `dry_run`: a dry run validates and
computes the outcome (buildings moved, counts) inside a transaction that is rolled back.
Answers: 200 saved (or dry run), 400 bad input, 404 unknown grid, 409 stale version (with both
shapes) or a code in use, 422 failed validation (with the full report).
"""

from __future__ import annotations

import json

from django.contrib.gis.geos import GEOSException, LineString, Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import HasRole, Role
from buildings.models import Building
from gis_core.models import Camera, Community, Grid
from gis_core.api.schema import ErrorOut
from gis_core.geometry import parse_geojson
from planner import checks, renumber, services
from planner.models import GridVersion

# --- request and answer shapes (for validation and the OpenAPI schema) ----------------------------


class EditIn(serializers.Serializer):
    geometry = serializers.JSONField(help_text="GeoJSON Polygon or MultiPolygon, lon/lat (EPSG:4326)")
    version = serializers.IntegerField(min_value=1, help_text="the grid version the edit started from")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class BatchEditItem(serializers.Serializer):
    grid = serializers.IntegerField()
    geometry = serializers.JSONField(help_text="GeoJSON Polygon or MultiPolygon, lon/lat (EPSG:4326)")
    version = serializers.IntegerField(min_value=1)


class BatchEditIn(serializers.Serializer):
    edits = BatchEditItem(many=True, help_text="sibling grids saved together, e.g. both sides of a shared boundary")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate_edits(self, value):
        if not 1 <= len(value) <= 50:
            raise serializers.ValidationError(_("须有 1 到 50 个网格"))
        return value


class CheckIn(serializers.Serializer):
    geometry = serializers.JSONField(help_text="GeoJSON Polygon or MultiPolygon, lon/lat (EPSG:4326)")
    grid = serializers.IntegerField(required=False, help_text="id of the grid being edited (omit for a new one)")
    community = serializers.IntegerField(required=False, help_text="for a new grid: its community id")
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="for a new mesh: its grid id")


class CreateIn(serializers.Serializer):
    community = serializers.IntegerField()
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="grid id: creates a mesh")
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Grid.Kind.choices, required=False, default=Grid.Kind.BASIC)
    code = serializers.RegexField(r"^\d{15}(\d{3})?$", required=False,
                                  help_text="omit to take the next free sequence number")
    geometry = serializers.JSONField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class SplitIn(serializers.Serializer):
    line = serializers.JSONField(help_text="GeoJSON LineString crossing the grid, lon/lat")
    version = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=100, help_text="name of the new grid")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class MergeIn(serializers.Serializer):
    other = serializers.IntegerField(help_text="id of the neighbouring sibling merged into this grid")
    version = serializers.IntegerField(min_value=1)
    other_version = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class RestoreIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="the grid's current version")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class CameraIn(serializers.Serializer):
    location = serializers.JSONField(required=False, help_text="GeoJSON Point, lon/lat")
    heading_deg = serializers.FloatField(required=False, min_value=0, max_value=360)
    hfov_deg = serializers.FloatField(required=False, min_value=1, max_value=360)
    tilt_deg = serializers.FloatField(required=False, min_value=0, max_value=90)
    range_m = serializers.FloatField(required=False, min_value=1)


class RenumberIn(serializers.Serializer):
    apply = serializers.BooleanField(default=False, help_text="false: preview only")


class ReportOut(serializers.Serializer):
    ok = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())
    validity = serializers.DictField()
    inside_parent = serializers.DictField(required=False)
    overlaps = serializers.ListField(child=serializers.DictField(), required=False)
    gaps = serializers.DictField(required=False)
    cut_buildings = serializers.ListField(child=serializers.DictField(), required=False)
    before = serializers.DictField(required=False, help_text="buildings, rooms, households, residents now")
    after = serializers.DictField(required=False, help_text="the same inside the proposed boundary")


class OutcomeOut(serializers.Serializer):
    saved = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    grids = serializers.ListField(child=serializers.DictField(), help_text="GeoJSON features of the grids written")
    report = serializers.DictField()
    moved = serializers.ListField(child=serializers.DictField(), help_text="buildings whose grid or mesh changed")


class ConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    your_version = serializers.IntegerField()
    current_version = serializers.IntegerField()
    mine = serializers.DictField(allow_null=True, required=False, help_text="the geometry you sent")
    theirs = serializers.DictField(help_text="the current geometry")
    last_change = serializers.DictField(allow_null=True, required=False)


EDIT_RESPONSES = {
    200: OutcomeOut, 400: ErrorOut, 404: ErrorOut,
    409: OpenApiResponse(ConflictOut, description="stale version: both shapes, or a code already in use"),
    422: OpenApiResponse(ErrorOut, description="failed validation: `report` holds every rule's result"),
}

# --- helpers ---------------------------------------------------------------------------------------


def feature(grid: Grid, stats=None) -> dict:
    props = {"code": grid.code, "name": grid.name, "level": grid.level, "kind": grid.kind,
             "parent": grid.parent_id, "community": grid.community_id, "version": grid.version}
    if stats is not None:
        props.update({"area_m2": round(stats.area_m2, 1), "buildings": stats.buildings, "rooms": stats.rooms,
                      "households": stats.households, "residents": stats.residents})
    return {"type": "Feature", "id": grid.pk, "geometry": json.loads(grid.boundary.geojson), "properties": props}


def _polygon(value):
    return checks.parse_polygon(value)


def _line(value) -> LineString:
    return parse_geojson(value, (LineString,), field="line")


def _valid(serializer_class, request):
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _answer(fn):
    outcome = fn()  # a PlannerError is a DomainError: the API's exception handler answers it
    stats = services.stats_for(outcome.grids) if not outcome.dry_run else {}
    return Response({
        "saved": not outcome.dry_run, "dry_run": outcome.dry_run,
        "grids": [feature(g, stats.get(g.pk)) for g in outcome.grids],
        "report": outcome.report, "moved": outcome.moved,
    })


class PlannerView(APIView):
    permission_classes = [HasRole.of(Role.PLANNER)]


def _grid(pk) -> Grid:
    return get_object_or_404(Grid, pk=pk)


# --- views -----------------------------------------------------------------------------------------


class GridCollection(PlannerView):
    @extend_schema(operation_id="planner_grids_list", summary="Current grids and meshes of a community with version and statistics",
                   parameters=[OpenApiParameter("community", int, required=True)],
                   responses={200: OpenApiResponse(description="GeoJSON FeatureCollection")})
    def get(self, request):
        try:
            community = get_object_or_404(Community, pk=int(request.query_params.get("community", "")))
        except ValueError:
            raise ValidationError({"community": [_("须为社区 id")]}) from None
        grids = list(Grid.objects.current().filter(community=community).order_by("level", "code"))
        stats = services.stats_for(grids)
        return Response({"type": "FeatureCollection", "features": [feature(g, stats.get(g.pk)) for g in grids]})

    @extend_schema(summary="Create a grid or mesh (drawn on the map); dry_run to validate only",
                   request=CreateIn, responses=EDIT_RESPONSES)
    def post(self, request):
        d = _valid(CreateIn, request)
        geom = _polygon(d["geometry"])
        get_object_or_404(Community, pk=d["community"])
        return _answer(lambda: services.create(
            community_id=d["community"], parent_id=d.get("parent"), name=d["name"], geom=geom, kind=d["kind"],
            user=request.user, note=d["note"], dry_run=d["dry_run"], code=d.get("code")))


class GridCheck(PlannerView):
    @extend_schema(summary="Validate a proposed boundary (live feedback while editing); changes nothing",
                   request=CheckIn, responses={200: ReportOut, 400: ErrorOut, 404: ErrorOut})
    def post(self, request):
        d = _valid(CheckIn, request)
        geom = _polygon(d["geometry"])
        if d.get("grid"):
            grid = _grid(d["grid"])
            proposal = checks.Proposal(community_id=grid.community_id, level=grid.level, parent_id=grid.parent_id,
                                       geometry=geom, grid_id=grid.pk)
        elif d.get("community"):
            community = get_object_or_404(Community, pk=d["community"])
            parent = _grid(d["parent"]) if d.get("parent") else None
            proposal = checks.Proposal(community_id=community.pk, level="mesh" if parent else "grid",
                                       parent_id=parent.pk if parent else None, geometry=geom)
        else:
            raise ValidationError({"grid": [_("须给出 grid，或新网格的 community")]})
        return Response(checks.check(proposal))


class GridDetail(PlannerView):
    @extend_schema(summary="One grid with its version and statistics",
                   responses={200: OpenApiResponse(description="GeoJSON Feature"), 404: ErrorOut})
    def get(self, request, pk):
        grid = _grid(pk)
        return Response(feature(grid, services.stats_for([grid]).get(grid.pk)))

    @extend_schema(summary="Save a new boundary (or dry_run): validation, reassignment, statistics, tiles",
                   request=EditIn, responses=EDIT_RESPONSES)
    def put(self, request, pk):
        _grid(pk)
        d = _valid(EditIn, request)
        geom = _polygon(d["geometry"])
        return _answer(lambda: services.save_boundary(pk, geom, version=d["version"], user=request.user,
                                                      note=d["note"], dry_run=d["dry_run"]))


class GridBatch(PlannerView):
    @extend_schema(summary="Save new boundaries of several sibling grids in one transaction (or dry_run)",
                   request=BatchEditIn, responses=EDIT_RESPONSES)
    def post(self, request):
        d = _valid(BatchEditIn, request)
        edits = []
        for e in d["edits"]:
            _grid(e["grid"])
            edits.append((e["grid"], _polygon(e["geometry"]), e["version"]))
        return _answer(lambda: services.save_boundaries(edits, user=request.user, note=d["note"],
                                                        dry_run=d["dry_run"]))


class GridSplit(PlannerView):
    @extend_schema(summary="Split a grid in two along a line (or dry_run)", request=SplitIn, responses=EDIT_RESPONSES)
    def post(self, request, pk):
        _grid(pk)
        d = _valid(SplitIn, request)
        line = _line(d["line"])
        return _answer(lambda: services.split(pk, line, version=d["version"], name=d["name"], user=request.user,
                                              note=d["note"], dry_run=d["dry_run"]))


class GridMerge(PlannerView):
    @extend_schema(summary="Merge a neighbouring sibling into this grid (or dry_run)", request=MergeIn,
                   responses=EDIT_RESPONSES)
    def post(self, request, pk):
        _grid(pk)
        d = _valid(MergeIn, request)
        _grid(d["other"])
        return _answer(lambda: services.merge(pk, d["other"], version=d["version"], other_version=d["other_version"],
                                              user=request.user, note=d["note"], dry_run=d["dry_run"]))


def _version_row(v: GridVersion, with_shape=False) -> dict:
    row = {"version": v.version, "action": v.action, "note": v.note, "name": v.name, "code": v.grid_code,
           "author": v.author.get_username() if v.author else None, "at": v.created_at.isoformat(),
           "restored_from": v.restored_from}
    if with_shape:
        row["geometry"] = json.loads(v.boundary.geojson)
    return row


class GridHistory(PlannerView):
    @extend_schema(operation_id="planner_grids_history_list", summary="Every saved version of a grid: who, when, note (newest first)",
                   responses={200: OpenApiResponse(description="list of versions"), 404: ErrorOut})
    def get(self, request, pk):
        grid = _grid(pk)
        with transaction.atomic():
            services.ensure_initial_history(grid)
        rows = GridVersion.objects.filter(grid=grid).select_related("author").order_by("-version")
        return Response({"grid": pk, "current_version": grid.version, "versions": [_version_row(v) for v in rows]})


class GridVersionDetail(PlannerView):
    @extend_schema(summary="One past version with its boundary", responses={200: OpenApiResponse(), 404: ErrorOut})
    def get(self, request, pk, version):
        v = get_object_or_404(GridVersion.objects.select_related("author"), grid_id=pk, version=version)
        return Response(_version_row(v, with_shape=True))


class GridRestore(PlannerView):
    @extend_schema(summary="Restore a past version as a new version (validated like any edit)", request=RestoreIn,
                   responses=EDIT_RESPONSES)
    def post(self, request, pk, version):
        _grid(pk)
        get_object_or_404(GridVersion, grid_id=pk, version=version)
        d = _valid(RestoreIn, request)
        return _answer(lambda: services.restore(pk, version, version=d["version"], user=request.user, note=d["note"],
                                                dry_run=d["dry_run"]))


class Renumber(PlannerView):
    @extend_schema(summary="Grid codes by the standard numbering (west→east, north→south): preview",
                   responses={200: OpenApiResponse(description="rows: id, level, name, old, new")})
    def get(self, request, pk):
        community = get_object_or_404(Community, pk=pk)
        rows = renumber.preview(community)
        return Response({"community": community.code, "changes": sum(r["old"] != r["new"] for r in rows),
                         "rows": rows})

    @extend_schema(summary="Apply the standard numbering (one transaction, history rows)", request=RenumberIn,
                   responses={200: OpenApiResponse(description="rows changed")})
    def post(self, request, pk):
        community = get_object_or_404(Community, pk=pk)
        if not _valid(RenumberIn, request)["apply"]:
            return self.get(request, pk)
        rows = renumber.apply(community, request.user)
        return Response({"community": community.code, "changes": len(rows), "rows": rows})


class BuildingsInView(PlannerView):
    @extend_schema(summary="Building footprints of a community in a box (for display and snapping)",
                   parameters=[OpenApiParameter("community", int, required=True),
                               OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat")],
                   responses={200: OpenApiResponse(description="GeoJSON FeatureCollection")})
    def get(self, request):
        q = request.query_params
        try:
            community = int(q.get("community", ""))
            qs = Building.objects.filter(community_id=community)
            if q.get("bbox"):
                from django.contrib.gis.geos import Polygon as P

                box = P.from_bbox([float(v) for v in q["bbox"].split(",")])
                box.srid = 4326
                qs = qs.filter(footprint_3857__intersects=box.transform(3857, clone=True))
        except (ValueError, TypeError, GEOSException):
            raise ValidationError({"detail": _("community 须为 id，bbox 须为四个数")}) from None
        rows = qs.values("pk", "code", "footprint", "grid__code", "mesh__code", "floors")[:5000]
        return Response({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": r["pk"], "geometry": json.loads(r["footprint"].geojson),
             "properties": {"code": r["code"], "grid": r["grid__code"], "mesh": r["mesh__code"], "floors": r["floors"]}}
            for r in rows]})


def camera_feature(c: Camera) -> dict:
    return {"type": "Feature", "id": c.pk, "geometry": json.loads(c.location.geojson), "properties": {
        "code": c.code, "name": c.name, "heading_deg": c.heading_deg, "hfov_deg": c.effective_hfov_deg,
        "tilt_deg": c.tilt_deg, "range_m": c.range_m, "ptz": c.is_ptz, "grid": c.grid.code if c.grid else None}}


class CameraCollection(PlannerView):
    @extend_schema(summary="Cameras of a community (position, heading, field of view)",
                   parameters=[OpenApiParameter("community", int, required=True)],
                   responses={200: OpenApiResponse(description="GeoJSON FeatureCollection")})
    def get(self, request):
        try:
            community = int(request.query_params.get("community", ""))
        except ValueError:
            raise ValidationError({"community": [_("须为社区 id")]}) from None
        cams = Camera.objects.filter(community_id=community).select_related("grid")
        return Response({"type": "FeatureCollection", "features": [camera_feature(c) for c in cams]})


class CameraDetail(PlannerView):
    @extend_schema(summary="Move or rotate a camera: position, heading, HFOV, tilt, range",
                   request=CameraIn, responses={200: OpenApiResponse(description="GeoJSON Feature"), 400: ErrorOut,
                                                404: ErrorOut})
    def patch(self, request, pk):
        d = _valid(CameraIn, request)
        with transaction.atomic():
            cam = get_object_or_404(Camera.objects.select_for_update(), pk=pk)
            if "location" in d:
                loc = parse_geojson(d["location"], (Point,), field="location")
                if not Community.objects.filter(pk=cam.community_id, boundary__covers=loc).exists():
                    raise ValidationError({"location": [_("摄像机须在其社区内")]})
                cam.location = loc
            for f in ("heading_deg", "hfov_deg", "tilt_deg", "range_m"):
                if f in d:
                    setattr(cam, f, d[f])
            try:
                cam.full_clean()
            except DjangoValidationError as exc:
                raise ValidationError(exc.message_dict) from exc
            cam.save()
        cam = Camera.objects.select_related("grid").get(pk=pk)
        return Response(camera_feature(cam))
