from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from kiosk.models import Kiosk


@admin.register(Kiosk)
class KioskAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "resident_group", "grid")
    list_filter = ("community",)
    readonly_fields = ("grid",)
