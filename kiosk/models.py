"""Touchscreen kiosks, one per resident group."""

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from gis_core.models import Community, Grid, Tracked
from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, mercator


class Kiosk(Tracked):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="kiosks", verbose_name=_("社区"))
    resident_group = models.CharField(_("居民小组"), max_length=50)
    location = models.PointField(_("位置"), srid=STORAGE_SRID)
    location_3857 = mercator("location", models.PointField(srid=WEB_MERCATOR_SRID))
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="kiosks",
        verbose_name=_("所在网格"),
    )
    idle_seconds = models.PositiveIntegerField(
        _("无人操作返回时间（秒）"), default=90, validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text=_("无人触摸这么久后，关闭详情、回到首页并开始轮播空置房间"),
    )

    class MapMode(models.TextChoices):
        FLAT = "flat", _("轻量地图（矢量瓦片拔高）")
        THREE_D = "3d", _("三维模型（3D Tiles）")

    map_mode = models.CharField(
        _("地图模式"), max_length=4, choices=MapMode.choices, default=MapMode.FLAT,
        help_text=_("低配终端用轻量地图；性能足够时可用三维模型"),
    )

    class Meta:
        verbose_name = _("终端机")
        verbose_name_plural = _("终端机")
        ordering = ["code"]
        indexes = [GistIndex(fields=["location_3857"], name="kiosk_l3857_gist")]

    def __str__(self):
        return f"{self.name} ({self.code})"
