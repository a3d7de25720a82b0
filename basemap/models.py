"""Basemap features. One table per kind of thing drawn, each with a stored EPSG:3857 copy and
generalised copies for overview zooms (generated columns + GiST indexes, like every tile table).

Every feature belongs to an Extract: an imported OSM file (basemap/importer.py) or a demo
community's generated streets (fixtures/). Re-importing an extract replaces all its features in
one transaction. Rows are written in bulk by SQL, never one by one through the ORM, so no
signal fires: the writers invalidate tiles themselves (basemap/services.py).
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.utils.translation import gettext_lazy as _

from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, mercator, mercator_generalised

# Tolerances (EPSG:3857 metres ≈ 0.9 ground metres here) of the overview copies: about half a
# pixel at the zoom bands that read them (z ≤ 12 and z 13–14; see tiles/layers.py).
COARSE_M, FINE_M = 20.0, 3.0


class Extract(models.Model):
    """One import unit: an OSM extract (by name), a demo community's streets, or a survey's layers
    (named "survey:<source>", see basemap/survey/)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    source = models.CharField(_("来源文件"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)
    # Bounding box of what was loaded (lon/lat): what a re-import's tiles must be refreshed over.
    area = models.PolygonField(_("范围"), srid=STORAGE_SRID, null=True, blank=True)
    counts = models.JSONField(_("要素数"), default=dict, blank=True)
    # A survey's layers (basemap/survey/) are an extract of their own — so re-importing the survey
    # replaces exactly its features and never the OSM extract's — joined to the extract they lie
    # on: the walking network of `base` is built from both (routes/network.py).
    base = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="surveys",
                             verbose_name=_("所属底图"))

    class Meta:
        verbose_name = _("底图数据")
        verbose_name_plural = _("底图数据")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Feature(models.Model):
    extract = models.ForeignKey(Extract, on_delete=models.CASCADE, verbose_name=_("底图数据"))
    osm_id = models.BigIntegerField(_("OSM 编号"), null=True, blank=True)
    kind = models.CharField(_("类别"), max_length=40)

    class Meta:
        abstract = True


class LineFeature(Feature):
    geom = models.LineStringField(_("几何"), srid=STORAGE_SRID)
    geom_3857 = mercator("geom", models.LineStringField(srid=WEB_MERCATOR_SRID))
    geom_3857_fine = mercator_generalised("geom", models.MultiLineStringField(srid=WEB_MERCATOR_SRID), FINE_M)
    geom_3857_coarse = mercator_generalised("geom", models.MultiLineStringField(srid=WEB_MERCATOR_SRID), COARSE_M)

    class Meta:
        abstract = True


class AreaFeature(Feature):
    geom = models.MultiPolygonField(_("几何"), srid=STORAGE_SRID)
    geom_3857 = mercator("geom", models.MultiPolygonField(srid=WEB_MERCATOR_SRID))
    geom_3857_fine = mercator_generalised("geom", models.MultiPolygonField(srid=WEB_MERCATOR_SRID), FINE_M)
    geom_3857_coarse = mercator_generalised("geom", models.MultiPolygonField(srid=WEB_MERCATOR_SRID), COARSE_M)

    class Meta:
        abstract = True


class PointFeature(Feature):
    geom = models.PointField(_("位置"), srid=STORAGE_SRID)
    geom_3857 = mercator("geom", models.PointField(srid=WEB_MERCATOR_SRID))

    class Meta:
        abstract = True


def _gist(prefix: str, *columns: str):
    return [GistIndex(fields=[c], name=f"{prefix}_{c.removeprefix('geom_3857').strip('_') or 'g'}_gist")
            for c in columns]


GENERALISED_INDEXES = ("geom_3857", "geom_3857_fine", "geom_3857_coarse")


class Road(LineFeature):
    """Roads, lanes, alleys, footways, steps (OSM highway=*; alleys: service=alley)."""

    class Rank(models.IntegerChoices):
        MAJOR = 1, _("主干道")
        STREET = 2, _("街道")
        LANE = 3, _("巷道")
        ALLEY = 4, _("小巷")
        PATH = 5, _("步道")

    name = models.CharField(_("名称"), max_length=200, blank=True)
    rank = models.PositiveSmallIntegerField(_("等级"), choices=Rank.choices)
    width_m = models.FloatField(_("宽度 (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("道路")
        verbose_name_plural = _("道路")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_road", *GENERALISED_INDEXES)]


class Waterway(LineFeature):
    name = models.CharField(_("名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("河流水渠")
        verbose_name_plural = _("河流水渠")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_waterway", *GENERALISED_INDEXES)]


class Water(AreaFeature):
    name = models.CharField(_("名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("水面")
        verbose_name_plural = _("水面")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_water", *GENERALISED_INDEXES)]


class Landuse(AreaFeature):
    name = models.CharField(_("名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("用地")
        verbose_name_plural = _("用地")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_landuse", *GENERALISED_INDEXES)]


class Barrier(LineFeature):
    """Walls and fences: a walking route crosses one only through a gate."""


    class Meta:
        verbose_name = _("围墙")
        verbose_name_plural = _("围墙")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_barrier", *GENERALISED_INDEXES)]


class Gate(PointFeature):
    """A gate or entrance in a wall. `opens`/`closes` empty: always open; closes < opens: open
    over midnight. `hours` keeps the OSM opening_hours text as mapped."""

    name = models.CharField(_("名称"), max_length=200, blank=True)
    hours = models.CharField(_("开放时间"), max_length=200, blank=True)
    opens = models.TimeField(_("开门"), null=True, blank=True)
    closes = models.TimeField(_("关门"), null=True, blank=True)
    main = models.BooleanField(_("主出入口"), default=False)

    class Meta:
        verbose_name = _("出入口")
        verbose_name_plural = _("出入口")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_gate", "geom_3857")]


class Poi(PointFeature):
    """Schools, clinics, police stations, markets, bus stops."""

    name = models.CharField(_("名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("兴趣点")
        verbose_name_plural = _("兴趣点")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_poi", "geom_3857")]


class Place(PointFeature):
    name = models.CharField(_("名称"), max_length=200)

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名")
        indexes = [models.Index(fields=["extract"]), *_gist("bm_place", "geom_3857")]


FEATURE_MODELS = (Road, Waterway, Water, Landuse, Barrier, Gate, Poi, Place)
