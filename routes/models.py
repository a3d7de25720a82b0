"""The walking network: the basemap's ways cut at every crossing (pgRouting's edge table).

Derived data, rebuilt per extract whenever the extract is (re)loaded (routes/network.py): never
edited. A wall is a barrier: a way segment that passes through a wall other than at a gate is
left out; a segment through a gate carries the gate, and is left out of a route while the gate is
closed (its opening hours)."""

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.utils.translation import gettext_lazy as _

from basemap.models import Extract, Gate
from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, mercator


class Node(models.Model):
    extract = models.ForeignKey(Extract, on_delete=models.CASCADE)
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("路网节点")
        indexes = [models.Index(fields=["extract"])]


class Edge(models.Model):
    extract = models.ForeignKey(Extract, on_delete=models.CASCADE)
    source = models.BigIntegerField()
    target = models.BigIntegerField()
    length_m = models.FloatField()
    gate = models.ForeignKey(Gate, on_delete=models.SET_NULL, null=True, blank=True)
    geom = models.LineStringField(srid=STORAGE_SRID)
    geom_3857 = mercator("geom", models.LineStringField(srid=WEB_MERCATOR_SRID))

    class Meta:
        verbose_name = _("路网边")
        indexes = [models.Index(fields=["extract"]), GistIndex(fields=["geom_3857"], name="routes_edge_g_gist")]
