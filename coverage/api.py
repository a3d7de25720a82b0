"""Coverage API for planners (and staff): quality levels, coverage of grids and meshes, views,
blind spots, moving/turning a camera, placement suggestions, camera exchange. Thin views: the
work is in fov.py, gridcover.py, placement.py and exchange.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role, has_role
from buildings.models import Building
from coverage import fov, gridcover
from coverage.fov import default_levels
from coverage.geojson import collection, feature
from coverage.models import AreaCoverage, BlindSpot, QualityTable, ViewBand
from gis_core.api.schema import ErrorOut, answers
from gis_core.models import Camera, Community, Grid


class PlannerOrStaff(BasePermission):
    message = gettext_lazy("需要规划员角色或工作人员账号")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated
                    and (request.user.is_staff or has_role(request.user, Role.PLANNER, Role.ADMIN)))


class CoverageView(APIView):
    permission_classes = [PlannerOrStaff]


def level_of(request):
    levels = default_levels()
    code = request.query_params.get("level", "observe")
    for lv in levels:
        if lv.code == code:
            return lv, levels
    raise ValidationError({"level": f"unknown level {code!r}; one of {', '.join(lv.code for lv in levels)}"})


def grid_of(code: str) -> Grid:
    grid = Grid.objects.grids().current().filter(code=code).first()
    if grid is None:
        raise NotFound(f"no current grid with code {code!r}")
    return grid


def coverage_rows(areas, level, levels):
    """Stored coverage of these grids/meshes at a level, computing a grid once if it never was."""
    rows = {c.area_id: c for c in AreaCoverage.objects.filter(area__in=areas, level=level)}
    for grid in {a if a.parent_id is None else a.parent for a in areas if a.pk not in rows}:
        gridcover.compute(grid, levels)
        rows.update({c.area_id: c for c in AreaCoverage.objects.filter(area__in=areas, level=level)})
    return rows


def summary(area, row) -> dict:
    return {"code": area.code, "name": area.name, "level": area.level, "open_m2": round(row.open_m2, 1),
            "covered_m2": round(row.covered_m2, 1), "percent": round(row.percent, 2)} if row else \
        {"code": area.code, "name": area.name, "level": area.level}


class Levels(CoverageView):
    """Quality-level tables (pixels per metre); `default` marks the one views are banded with."""

    @extend_schema(operation_id="coverage_levels_list", responses=answers({"type": "array", "items": {"type": "object"}}, 403))
    def get(self, request):
        default = default_levels()[0].table_id
        return Response([{"code": t.code, "name": t.name, "default": t.pk == default,
                          "levels": [{"code": lv.code, "name": lv.name, "name_en": lv.name_en, "ppm": lv.ppm}
                                     for lv in t.levels.all()]}
                         for t in QualityTable.objects.prefetch_related("levels").order_by("pk")])


class GridCoverageList(CoverageView):
    """Coverage of every current grid at a level: ?community=<code>&level=observe."""

    @extend_schema(operation_id="coverage_grids_list", parameters=[OpenApiParameter("community", str), OpenApiParameter("level", str)], responses=answers())
    def get(self, request):
        level, levels = level_of(request)
        grids = Grid.objects.grids().current().order_by("code")
        if code := request.query_params.get("community"):
            grids = grids.filter(community=get_object_or_404(Community, code=code))
        grids = list(grids)
        rows = coverage_rows(grids, level, levels)
        return Response({"level": level.code, "grids": [summary(g, rows.get(g.pk)) for g in grids]})


class GridCoverageDetail(CoverageView):
    """One grid at a level: coverage of the grid and its meshes, and as GeoJSON its boundary,
    meshes, buildings, cameras, counted views (quality bands), PTZ sweeps and blind spots."""

    @extend_schema(parameters=[OpenApiParameter("level", str)], responses=answers())
    def get(self, request, code):
        level, levels = level_of(request)
        grid = grid_of(code)
        meshes = list(Grid.objects.meshes().current().filter(parent=grid).order_by("code"))
        rows = coverage_rows([grid, *meshes], level, levels)
        gridcover.ensure_blind_spots(grid, level, levels)
        cams = Camera.objects.filter(Q(grid=grid) | Q(view_bands__geom__intersects=grid.boundary)).distinct()
        bands = ViewBand.objects.filter(geom__intersects=grid.boundary, level__table=level.table_id).select_related(
            "level", "camera")
        return Response({
            "grid": summary(grid, rows.get(grid.pk)), "level": level.code, "ppm": level.ppm,
            "meshes": [summary(m, rows.get(m.pk)) for m in meshes],
            "boundary": feature(grid.boundary, grid.pk, code=grid.code),
            "mesh_features": collection(feature(m.boundary, m.pk, code=m.code, name=m.name) for m in meshes),
            "buildings": collection(feature(fp, pk, code=bc) for pk, fp, bc in Building.objects.filter(
                footprint__intersects=grid.boundary).values_list("pk", "footprint", "code")),
            "cameras": collection(feature(c.location, c.pk, code=c.code, name=c.name, heading=c.heading_deg,
                                          hfov=c.effective_hfov_deg, tilt=c.tilt_deg, ptz=c.is_ptz, active=c.active)
                                  for c in cams),
            "views": collection(feature(b.geom, b.pk, camera=b.camera.code, kind=b.kind, level=b.level.code,
                                        ppm=b.level.ppm, counted=b.kind != ViewBand.Kind.SWEEP,
                                        at_least=b.level.ppm >= level.ppm)
                                for b in bands),
            "blind_spots": collection(feature(s.geom, s.pk, mesh=s.mesh.code if s.mesh else None,
                                              area_m2=round(s.area_m2, 1))
                                      for s in BlindSpot.objects.filter(grid=grid, level=level).select_related("mesh")
                                      .order_by("-area_m2")),
        })


EDITABLE = {"heading_deg", "tilt_deg", "hfov_deg", "mount_height_m", "range_m", "active"}


class CameraEdit(CoverageView):
    """PATCH a camera's position (`lon`, `lat`) or aim (heading_deg, tilt_deg, hfov_deg,
    mount_height_m, range_m, active): validated, saved, its view and its grids' coverage
    recomputed in the same transaction. Answers the new coverage of the grids it touches."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=answers())
    def patch(self, request, pk):
        data = _body_object(request)
        unknown = set(data) - EDITABLE - {"lon", "lat", "level"}
        if unknown:
            raise ValidationError({"detail": f"unknown fields: {', '.join(sorted(unknown))}; "
                                   f"editable: lon, lat, {', '.join(sorted(EDITABLE))}"})
        level, levels = level_of(request)
        with transaction.atomic():
            camera = Camera.objects.select_for_update().filter(pk=pk).first()
            if camera is None:
                raise NotFound(f"no camera {pk}")
            before = [camera.location, fov.view_envelope([pk])]
            for name in EDITABLE & set(data):
                setattr(camera, name, data[name])
            if "lon" in data or "lat" in data:
                try:
                    lon, lat = float(data.get("lon", camera.location.x)), float(data.get("lat", camera.location.y))
                except (TypeError, ValueError):
                    raise ValidationError({"lon": "lon and lat must be numbers"}) from None
                if not Community.objects.filter(pk=camera.community_id, boundary__covers=_pt(lon, lat)).exists():
                    raise ValidationError({"lon": "the new position lies outside the camera's community"})
                camera.location = _pt(lon, lat)
            try:
                camera.full_clean(exclude=["community"])
            except DjangoValidationError as e:
                raise ValidationError(e.message_dict) from None
            camera.save()
        grids = gridcover.grids_touched([*before, camera.location, fov.view_envelope([pk])])
        rows = coverage_rows(grids, level, levels)
        return Response({"camera": camera.pk, "level": level.code,
                         "grids": [summary(g, rows.get(g.pk)) for g in grids]})


def _body_object(request) -> dict:
    """A JSON object body; a list, a string or a number is a 400, not silently nothing."""
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": _("请求体须为 JSON 对象")})
    return request.data


def _pt(lon, lat):
    from django.contrib.gis.geos import Point

    return Point(lon, lat, srid=4326)


class Placement(CoverageView):
    """POST {"count": 3} or {"target_percent": 90}, optional "level", "time_limit" (s, ≤ 60),
    "ignore_existing", "camera": {hfov, resolution_h, resolution_v, mount_height, tilt, range_m}
    → suggested positions and headings with the gain of each, greedy vs integer program."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=answers())
    def post(self, request, code):
        from coverage import placement

        data = _body_object(request)
        grid = grid_of(code)
        level, _levels = level_of(_QueryLevel(data.get("level", request.query_params.get("level", "observe"))))
        count, target = data.get("count"), data.get("target_percent")
        errors = {}
        if (count is None) == (target is None):
            errors["count"] = "give either count (1–50) or target_percent (1–100)"
        # bool is an int in Python: `"count": true` must not pass as 1
        if count is not None and not (isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= 50):
            errors["count"] = "count must be an integer from 1 to 50"
        if target is not None and not (isinstance(target, int | float) and not isinstance(target, bool)
                                       and 0 < target <= 100):
            errors["target_percent"] = "target_percent must be a number in (0, 100]"
        time_limit = data.get("time_limit", 10)
        if not (isinstance(time_limit, int | float) and not isinstance(time_limit, bool) and 1 <= time_limit <= 60):
            errors["time_limit"] = "time_limit must be 1–60 seconds"
        cam = data.get("camera") or {}
        allowed = set(placement.CameraModel.__dataclass_fields__)
        if not isinstance(cam, dict) or set(cam) - allowed:
            errors["camera"] = f"camera takes {', '.join(sorted(allowed))}"
        if errors:
            raise ValidationError(errors)
        try:
            model = placement.CameraModel(**cam)
            if not (1 <= model.hfov <= 180 and model.resolution_h >= 100 and 0.5 <= model.mount_height <= 100
                    and 0 <= model.tilt <= 90):
                raise ValueError
        except (TypeError, ValueError):
            raise ValidationError({"camera": "hfov 1–180°, resolution_h ≥ 100, mount_height 0.5–100 m, "
                                             "tilt 0–90°"}) from None
        plan = placement.suggest(grid, level, count=count, target_percent=target, model=model,
                                 time_limit=float(time_limit), ignore_existing=bool(data.get("ignore_existing")))
        pct = (lambda a: round(100 * a / plan.open_m2, 2) if plan.open_m2 else 100.0)
        return Response({
            "grid": grid.code, "level": level.code, "method": plan.method, "open_m2": round(plan.open_m2, 1),
            "before_percent": pct(plan.before_m2), "after_percent": pct(plan.after_m2),
            "greedy": {"cameras": plan.greedy_count, "after_percent": pct(plan.greedy_after_m2)},
            "candidates": plan.candidates, "samples": plan.samples, "seconds": round(plan.seconds, 2),
            "suggestions": placement.as_geojson(plan, grid),
        })


class _QueryLevel:
    """Adapts a level code from a request body to level_of()."""

    def __init__(self, code):
        self.query_params = {"level": code}


class CameraExport(CoverageView):
    """All cameras (or ?community=<code>) as CSV or JSON with GB/T 28181 / ONVIF fields."""

    @extend_schema(parameters=[OpenApiParameter("community", str)], responses=answers(OpenApiTypes.BINARY, description="CSV or JSON file"))
    def get(self, request, fmt):
        from django.http import HttpResponse

        from coverage import exchange

        cams = Camera.objects.all()
        if code := request.query_params.get("community"):
            cams = cams.filter(community=get_object_or_404(Community, code=code))
        body = exchange.export(cams, fmt)
        ctype = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="cameras.{fmt}"'
        return response


class RawBody(BaseParser):
    """Any other body, as bytes (CSV or JSON files are parsed by coverage/exchange.py)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class CameraImport(CoverageView):
    """POST a CSV or JSON file (multipart field `file`, or the raw body with Content-Type text/csv
    or application/json): all rows stored, or none with 422 and the list of errors."""

    parser_classes = [MultiPartParser, RawBody]

    @extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT, "text/csv": OpenApiTypes.BINARY, "application/json": OpenApiTypes.BINARY}, responses={**answers(), 422: ErrorOut})
    def post(self, request):
        from coverage import exchange

        if isinstance(request.data, bytes):
            raw = request.data
            fmt = "json" if "json" in (request.content_type or "") else "csv"
        elif (upload := request.FILES.get("file")) is not None:
            raw, fmt = upload.read(), "json" if upload.name.lower().endswith(".json") else "csv"
        else:
            return Response({"detail": "send the file as multipart field `file`, or as the body"}, status=400)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Response({"detail": "the file must be UTF-8"}, status=400)
        result = exchange.import_rows(exchange.parse(text, fmt))  # ImportError_ → 422 with `errors`
        return Response(result)
