"""Grid history (every saved version of a grid or mesh) and per-grid statistics.

The grid itself (gis_core.Grid) carries the current boundary and its `version`; each save on
the planner map writes one GridVersion row with the boundary *as saved*, who saved it, when and
why, so any past version can be shown and restored (as a new version). GridStats keeps the
counts a planner needs (buildings, rooms, households, residents), recomputed inside the same
transaction as the boundary edit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from gis_core.spatial import STORAGE_SRID


class GridVersion(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        EDIT = "edit", _("修改边界")
        RESTORE = "restore", _("恢复旧版本")
        SPLIT = "split", _("拆分")
        MERGE = "merge", _("合并")
        RETIRE = "retire", _("并入他格后撤销")
        RENUMBER = "renumber", _("重新编码")

    # SET_NULL: the history of a grid merged away (and deleted) is kept, with its code.
    grid = models.ForeignKey("gis_core.Grid", on_delete=models.SET_NULL, null=True, related_name="history",
                             verbose_name=_("网格"))
    grid_code = models.CharField(_("编码"), max_length=18)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    boundary = models.MultiPolygonField(_("边界"), srid=STORAGE_SRID)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("修改人"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    restored_from = models.PositiveIntegerField(_("恢复自版本"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格历史版本")
        verbose_name_plural = _("网格历史版本")
        ordering = ["grid_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["grid", "version"], name="planner_grid_version_unique")]

    def __str__(self):
        return f"{self.grid_code} v{self.version}"


class GridStats(models.Model):
    grid = models.OneToOneField("gis_core.Grid", on_delete=models.CASCADE, primary_key=True, related_name="stats",
                                verbose_name=_("网格"))
    area_m2 = models.FloatField(_("面积 (m²)"), default=0)
    buildings = models.PositiveIntegerField(_("楼栋数"), default=0)
    rooms = models.PositiveIntegerField(_("房间数"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    residents = models.PositiveIntegerField(_("居住人数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # When everything was last counted from the rooms and tenancies. Boundary edits adjust the
    # counts by the buildings that moved (exact); check-ins elsewhere are picked up by a full
    # count once this is older than planner.stats.MAX_AGE.
    counted_at = models.DateTimeField(_("完整统计时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格统计")
        verbose_name_plural = _("网格统计")
