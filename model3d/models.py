"""Build state of the 3D Tiles: one tileset per community, its content tiles with their hashes.

A content tile is rebuilt only when the hash of what it shows changes (its buildings' footprints,
heights and rooms, and the community's local frame); everything else is reused as stored.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gis_core.models import Community


class TilesetState(models.Model):
    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="tileset3d",
                                     verbose_name=_("社区"))
    # Origin of the community's local east-north-up frame (tile coordinates are metres from it).
    origin_lon = models.FloatField(null=True, blank=True)
    origin_lat = models.FloatField(null=True, blank=True)
    tileset_json = models.TextField(blank=True, help_text="tileset.json of the community (3D Tiles 1.1)")
    etag = models.CharField(max_length=80, blank=True)
    # Lon/lat extent and top height of the content (the root tileset's bounding region).
    west = models.FloatField(null=True, blank=True)
    south = models.FloatField(null=True, blank=True)
    east = models.FloatField(null=True, blank=True)
    north = models.FloatField(null=True, blank=True)
    max_height = models.FloatField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    # Set when buildings or rooms of the community change; cleared by a build that started after it.
    dirty_since = models.DateTimeField(null=True, blank=True)
    last_seconds = models.FloatField(null=True, blank=True)
    last_tiles_built = models.PositiveIntegerField(default=0)
    last_tiles_reused = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("三维瓦片集")
        verbose_name_plural = _("三维瓦片集")

    def __str__(self):
        return f"3D tileset {self.community_id}"


class TileContent(models.Model):
    state = models.ForeignKey(TilesetState, on_delete=models.CASCADE, related_name="contents")
    key = models.CharField(max_length=40)  # e.g. "b-2-1-3" (buildings) or "r-2-1-3" (rooms)
    content_hash = models.CharField(max_length=64)
    glb = models.BinaryField()
    feature_count = models.PositiveIntegerField()
    # Axis-aligned bounds of the content in the community frame (east, north, up; metres).
    bounds = models.JSONField()
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["state", "key"], name="model3d_tile_unique_key")]

    def __str__(self):
        return self.key
