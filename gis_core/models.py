"""The community, its grid tree (community → grid → mesh) and its cameras."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.db.models.functions import ATan, Coalesce, Degrees
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django.contrib.gis.db.models.functions import Transform

from gis_core.spatial import (
    STORAGE_SRID, WEB_MERCATOR_SRID, GeographyArea, PointOnSurface, mercator, mercator_generalised,
)

community_code_validator = RegexValidator(
    r"^\d{12}$", _("社区代码为 12 位数字（6 位区县 + 3 位街道 + 3 位社区）")
)
grid_code_validator = RegexValidator(r"^\d{15}(\d{3})?$", _("网格代码为 15 位，网眼代码为 18 位数字"))


class Tracked(models.Model):
    """Abstract base of every located model: each save goes through the change pipeline
    (gis_core/changes.py), which re-derives what follows from the geometry — grid and mesh, and for
    a grid's boundary whatever lies in the area it swept — and tells tiles, coverage and 3D."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from gis_core.changes import saving

        with saving(self, kwargs.get("update_fields")):
            super().save(*args, **kwargs)


class CommunityQuerySet(models.QuerySet):
    def containing(self, geom):
        return self.filter(boundary__covers=geom)


class Community(Tracked):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("社区代码"), max_length=12, unique=True, validators=[community_code_validator])
    boundary = models.MultiPolygonField(_("边界"), srid=STORAGE_SRID)
    boundary_3857 = mercator("boundary", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))
    boundary_3857_generalised = mercator_generalised("boundary", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^\d{12}$"), name="community_code_12_digits")]
        indexes = [
            GistIndex(fields=["boundary_3857"], name="community_b3857_gist"),
            GistIndex(fields=["boundary_3857_generalised"], name="community_b3857g_gist"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class GridQuerySet(models.QuerySet):
    def grids(self):
        return self.filter(level=Grid.Level.GRID)

    def meshes(self):
        return self.filter(level=Grid.Level.MESH)

    def current(self, on=None):
        from gis_core.rules import current_grid_q

        return self.filter(current_grid_q(on))

    def containing(self, geom):
        return self.filter(boundary__covers=geom)

    def with_area(self):
        return self.annotate(area_m2=GeographyArea("boundary"))


class Grid(Tracked):
    """A management grid (网格) or, one level down, a mesh (网眼). One tree per community."""

    class Level(models.TextChoices):
        GRID = "grid", _("网格")
        MESH = "mesh", _("网眼")

    class Kind(models.TextChoices):
        COURTYARD = "courtyard", _("围院式网格")
        BUILDING = "building", _("楼栋网格")
        BASIC = "basic", _("基础网格")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("社区"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级网格")
    )
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices, default=Level.GRID)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.BASIC)
    code = models.CharField(_("编码"), max_length=18, unique=True, validators=[grid_code_validator])
    name = models.CharField(_("名称"), max_length=100)
    boundary = models.MultiPolygonField(_("边界"), srid=STORAGE_SRID)
    boundary_3857 = mercator("boundary", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))
    boundary_3857_generalised = mercator_generalised("boundary", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))
    # One label point per grid (a polygon label would repeat in every tile the grid crosses).
    label_3857 = models.GeneratedField(
        expression=PointOnSurface(Transform("boundary", WEB_MERCATOR_SRID),
                                  output_field=models.PointField(srid=WEB_MERCATOR_SRID)),
        output_field=models.PointField(srid=WEB_MERCATOR_SRID), db_persist=True, editable=False,
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    responsible_phone = models.CharField(_("责任人电话"), max_length=20, blank=True)
    valid_from = models.DateField(_("生效日期"), default=timezone.localdate)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    # Optimistic-locking version for the planner map (a stale save answers 409).
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="grid", parent__isnull=True) | Q(level="mesh", parent__isnull=False),
                name="grid_tree_levels",
                violation_error_message=_("网格没有上级；网眼必须属于一个网格"),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="grid_valid_range",
                violation_error_message=_("失效日期须晚于生效日期"),
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="grid_not_own_parent"),
        ]
        indexes = [
            models.Index(fields=["community", "level"]),
            GistIndex(fields=["boundary_3857"], name="grid_b3857_gist"),
            GistIndex(fields=["boundary_3857_generalised"], name="grid_b3857g_gist"),
            GistIndex(fields=["label_3857"], name="grid_l3857_gist"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class CameraQuerySet(models.QuerySet):
    def fixed(self):
        return self.exclude(ptz_type__in=Camera.PTZ_TYPES)

    def ptz(self):
        return self.filter(ptz_type__in=Camera.PTZ_TYPES)

    def in_grid(self, grid):
        return self.filter(grid=grid)


class Camera(Tracked):
    """A surveillance camera, with what is needed to compute its field of view (see shared notes)."""

    class PTZType(models.IntegerChoices):
        # GB/T 28181 catalogue PTZType
        DOME = 1, _("球机")
        HALF_DOME = 2, _("半球")
        FIXED_BULLET = 3, _("固定枪机")
        REMOTE_BULLET = 4, _("遥控枪机")

    PTZ_TYPES = (PTZType.DOME, PTZType.REMOTE_BULLET)

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="cameras", verbose_name=_("社区"))
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="cameras",
        verbose_name=_("所在网格"),
    )
    code = models.CharField(_("编码"), max_length=20, unique=True, help_text=_("GB/T 28181 设备编码"))
    name = models.CharField(_("名称"), max_length=100)
    location = models.PointField(_("位置"), srid=STORAGE_SRID)
    location_3857 = mercator("location", models.PointField(srid=WEB_MERCATOR_SRID))
    mount_height_m = models.FloatField(_("安装高度 (m)"), validators=[MinValueValidator(0.5), MaxValueValidator(100)])
    heading_deg = models.FloatField(_("朝向 (°)"), help_text=_("方位角，正北为 0，顺时针"),
                                    validators=[MinValueValidator(0), MaxValueValidator(360)])
    tilt_deg = models.FloatField(_("俯角 (°)"), default=15, validators=[MinValueValidator(0), MaxValueValidator(90)])
    hfov_deg = models.FloatField(_("水平视场角 (°)"), null=True, blank=True,
                                 validators=[MinValueValidator(1), MaxValueValidator(360)])
    focal_length_mm = models.FloatField(_("焦距 (mm)"), null=True, blank=True, validators=[MinValueValidator(0.5)])
    sensor_width_mm = models.FloatField(_("靶面宽度 (mm)"), null=True, blank=True, validators=[MinValueValidator(0.5)])
    # HFOV as given, else from the lens: 2·atan(s_w / 2f). Kept by PostgreSQL: views, tiles and the
    # API read the one definition (an instance changed in memory reads it again after save()).
    effective_hfov_deg = models.GeneratedField(
        expression=Coalesce("hfov_deg", Degrees(2 * ATan(F("sensor_width_mm") / (2 * F("focal_length_mm")))),
                            output_field=models.FloatField()),
        output_field=models.FloatField(), db_persist=True, editable=False)
    resolution_h = models.PositiveIntegerField(_("水平像素"), default=1920)
    resolution_v = models.PositiveIntegerField(_("垂直像素"), default=1080)
    range_m = models.FloatField(_("最大距离 (m)"), null=True, blank=True, validators=[MinValueValidator(1)])
    ptz_type = models.PositiveSmallIntegerField(_("类型"), choices=PTZType.choices, default=PTZType.FIXED_BULLET)
    vfov_deg = models.FloatField(_("垂直视场角 (°)"), null=True, blank=True,
                                 help_text=_("留空则由水平视场角和画面宽高比推算"),
                                 validators=[MinValueValidator(1), MaxValueValidator(180)])
    ptz_zoom_max = models.FloatField(_("最大光学变倍"), null=True, blank=True,
                                     help_text=_("云台摄像机的光学变倍（如 20 表示 20×），用于潜在覆盖范围"),
                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    objects = CameraQuerySet.as_manager()

    class Meta:
        verbose_name = _("摄像机")
        verbose_name_plural = _("摄像机")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hfov_deg__isnull=False) | Q(focal_length_mm__isnull=False, sensor_width_mm__isnull=False),
                name="camera_fov_known",
                violation_error_message=_("须给出水平视场角，或焦距和靶面宽度"),
            ),
            models.CheckConstraint(condition=Q(heading_deg__gte=0, heading_deg__lte=360), name="camera_heading_range"),
            models.CheckConstraint(condition=Q(tilt_deg__gte=0, tilt_deg__lte=90), name="camera_tilt_range"),
            models.CheckConstraint(condition=Q(mount_height_m__gt=0), name="camera_height_positive"),
        ]
        indexes = [GistIndex(fields=["location_3857"], name="camera_l3857_gist")]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_ptz(self) -> bool:
        return self.ptz_type in self.PTZ_TYPES

