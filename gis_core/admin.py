from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from gis_core.models import Camera, Community, Grid
from onboarding.admin_exports import export_communities, geo_actions
from onboarding.admin_uploads import BoundaryImportAdminMixin

admin.site.site_header = _("城中村社区治理 GIS")
admin.site.site_title = _("社区治理 GIS")
admin.site.index_title = _("管理")


@admin.register(Community)
class CommunityAdmin(BoundaryImportAdminMixin, LeafletGeoAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    actions = [export_communities, *geo_actions("communities")]


@admin.register(Grid)
class GridAdmin(BoundaryImportAdminMixin, LeafletGeoAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "responsible_person", "valid_from", "valid_to")
    list_filter = ("community", "level", "kind")
    search_fields = ("code", "name", "responsible_person")
    readonly_fields = ("version",)
    list_select_related = ("parent",)
    actions = [*geo_actions("grids"), *geo_actions("meshes")]


@admin.register(Camera)
class CameraAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "ptz_type", "heading_deg", "mount_height_m", "grid", "active")
    list_filter = ("community", "ptz_type", "active")
    search_fields = ("code", "name")
    readonly_fields = ("grid",)
    list_select_related = ("grid",)
    actions = [*geo_actions("cameras"), *geo_actions("views")]
