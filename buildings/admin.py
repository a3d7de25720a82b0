from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from buildings.models import Building, Landlord, Room, RoomPhoto
from onboarding.admin_exports import geo_actions, register_export
from onboarding.admin_uploads import BuildingImportAdminMixin, RoomImportAdminMixin
from qrcodes.admin import print_qr_sheet, reissue_qr_codes


class RoomInline(admin.TabularInline):
    model = Room
    fields = ("floor", "number", "area_m2", "rent_monthly", "capacity", "status")
    extra = 0
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(BuildingImportAdminMixin, LeafletGeoAdmin):
    list_display = ("code", "address", "floors", "grid", "mesh", "landlord")
    list_filter = ("community", "grid")
    search_fields = ("code", "address", "source_id")
    readonly_fields = ("grid", "mesh", "qr_token", "updated_at")
    raw_id_fields = ("landlord",)
    list_select_related = ("grid", "mesh", "landlord")
    inlines = [RoomInline]
    actions = [reissue_qr_codes, print_qr_sheet, *geo_actions("buildings")]


@admin.register(Room)
class RoomAdmin(RoomImportAdminMixin, LeafletGeoAdmin):
    list_display = ("__str__", "floor", "number", "area_m2", "rent_monthly", "capacity", "status")
    list_filter = ("status", "building__grid")
    search_fields = ("building__code", "number")
    raw_id_fields = ("building",)
    list_select_related = ("building",)
    actions = [*geo_actions("rooms"), register_export("xlsx", _("导出所选为登记表（XLSX）")),
               register_export("csv", _("导出所选为登记表（CSV）"))]


@admin.register(Landlord)
class LandlordAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "phone_consent", "consent_at", "consent_method")
    list_filter = ("phone_consent", "consent_method")
    search_fields = ("name", "phone")


@admin.register(RoomPhoto)
class RoomPhotoAdmin(admin.ModelAdmin):
    """Landlords upload photos on /my/ (landlords/); staff only look and remove what must not be shown."""

    list_display = ("room", "position", "width", "height", "uploaded_at", "preview")
    list_select_related = ("room__building",)
    raw_id_fields = ("room",)
    readonly_fields = ("room", "position", "width", "height", "uploaded_at", "preview")
    fields = readonly_fields

    @admin.display(description=_("预览"))
    def preview(self, obj):
        return format_html('<img src="{}" style="max-height:120px">', reverse("landlords:photo", args=[obj.pk]))

    def has_add_permission(self, request):
        return False
