"""The state of the 3D tiles, read-only, with an action to rebuild (only changed tiles are meshed)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from model3d.background import request_rebuild
from model3d.models import TilesetState


@admin.register(TilesetState)
class TilesetStateAdmin(admin.ModelAdmin):
    list_display = ["community", "built_at", "dirty_since", "last_seconds", "last_tiles_built", "last_tiles_reused",
                    "tile_count", "last_error"]
    readonly_fields = [f.name for f in TilesetState._meta.fields if f.name != "tileset_json"]
    exclude = ["tileset_json"]
    actions = ["rebuild"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).select_related("community").annotate(tiles=Count("contents"))

    @admin.display(description=_("瓦片数"))
    def tile_count(self, obj):
        return obj.tiles

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("重新生成三维瓦片（仅变化部分）"))
    def rebuild(self, request, queryset):
        request_rebuild(queryset.values_list("community_id", flat=True))
        self.message_user(request, _("已安排在后台重新生成；也可运行 manage.py build_3dtiles --pending"), messages.INFO)
