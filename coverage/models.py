"""Computed camera views (quality bands), coverage per grid and mesh, blind spots, quality tables.

Everything here is derived from cameras and building footprints (coverage/compute.py) and kept
current by the change pipeline's receivers (coverage/signals.py). Quality tables are data (EN 62676-4:2015 DORI and the
newer seven-level table), loaded by migration.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, mercator

class QualityTableQuerySet(models.QuerySet):
    def default(self):
        code = settings.COVERAGE_QUALITY_TABLE
        return self.get(code=code)


class QualityTable(models.Model):
    """A set of image-quality levels defined by pixel density at the target."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    objects = QualityTableQuerySet.as_manager()

    class Meta:
        verbose_name = _("画质等级表")
        verbose_name_plural = _("画质等级表")

    def __str__(self):
        return self.name


class QualityLevel(models.Model):
    table = models.ForeignKey(QualityTable, on_delete=models.CASCADE, related_name="levels")
    code = models.SlugField(_("代码"), max_length=20)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=40)
    ppm = models.FloatField(_("像素/米"), help_text=_("目标处每米像素数下限"))

    class Meta:
        verbose_name = _("画质等级")
        verbose_name_plural = _("画质等级")
        ordering = ["table", "ppm"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="quality_level_unique_code"),
            models.CheckConstraint(condition=Q(ppm__gt=0), name="quality_level_ppm_positive"),
        ]

    def __str__(self):
        return f"{self.name} / {self.name_en} ({self.ppm:g} px/m)"


class ViewBandQuerySet(models.QuerySet):
    def counted(self):
        """Views that count as covered: fixed cameras and PTZ presets, never a PTZ's potential sweep."""
        return self.filter(kind__in=(ViewBand.Kind.FIXED, ViewBand.Kind.PRESET))

    def at_least(self, level: QualityLevel):
        return self.filter(level__table=level.table, level__ppm__gte=level.ppm)


class ViewBand(models.Model):
    """One quality band of one camera's view: ground it sees (cut by buildings, minus the near
    blind zone) at pixel densities between this level and the next better one."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("固定")
        PRESET = "preset", _("云台当前预置位")
        SWEEP = "sweep", _("云台潜在范围")

    camera = models.ForeignKey("gis_core.Camera", on_delete=models.CASCADE, related_name="view_bands")
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    level = models.ForeignKey(QualityLevel, on_delete=models.CASCADE, related_name="+")
    near_m = models.FloatField(_("起始距离 (m)"))
    far_m = models.FloatField(_("终止距离 (m)"))
    geom = models.MultiPolygonField(srid=STORAGE_SRID)
    geom_3857 = mercator("geom", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))
    area_m2 = models.FloatField(_("面积 (m²)"))
    computed_at = models.DateTimeField(auto_now=True)

    objects = ViewBandQuerySet.as_manager()

    class Meta:
        verbose_name = _("视场质量带")
        verbose_name_plural = _("视场质量带")
        constraints = [models.UniqueConstraint(fields=["camera", "kind", "level"], name="viewband_unique")]
        indexes = [GistIndex(fields=["geom"], name="viewband_geom_gist"),
                   GistIndex(fields=["geom_3857"], name="viewband_g3857_gist")]


class AreaCoverage(models.Model):
    """Open space of a grid or mesh (boundary minus footprints) and how much of it the counted
    views cover at a minimum quality level."""

    area = models.ForeignKey("gis_core.Grid", on_delete=models.CASCADE, related_name="coverage")
    level = models.ForeignKey(QualityLevel, on_delete=models.CASCADE, related_name="+")
    open_m2 = models.FloatField(_("开放空间面积 (m²)"))
    covered_m2 = models.FloatField(_("已覆盖面积 (m²)"))
    # blind spots of a grid at this level are stored (they are computed when first asked for)
    blind_spots_ready = models.BooleanField(default=False)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格覆盖率")
        verbose_name_plural = _("网格覆盖率")
        constraints = [models.UniqueConstraint(fields=["area", "level"], name="coverage_unique")]

    @property
    def percent(self) -> float:
        return 100.0 * self.covered_m2 / self.open_m2 if self.open_m2 > 0 else 100.0


class BlindSpot(models.Model):
    """One connected piece of uncovered open space, within one mesh (or the grid where it has no mesh)."""

    grid = models.ForeignKey("gis_core.Grid", on_delete=models.CASCADE, related_name="blind_spots")
    mesh = models.ForeignKey("gis_core.Grid", on_delete=models.CASCADE, null=True, related_name="+")
    level = models.ForeignKey(QualityLevel, on_delete=models.CASCADE, related_name="+")
    geom = models.PolygonField(srid=STORAGE_SRID)
    area_m2 = models.FloatField(_("面积 (m²)"))

    class Meta:
        verbose_name = _("盲区")
        verbose_name_plural = _("盲区")
        indexes = [GistIndex(fields=["geom"], name="blindspot_geom_gist")]
