from django.contrib import admin

from audit.models import AuditEntry
from gis_core.admin_base import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: nobody adds, changes or deletes audit entries by hand."""

    list_display = ("at", "action", "actor", "kiosk", "person_id", "room_id", "reason")
    list_filter = ("action",)
    search_fields = ("actor", "kiosk", "reason")
