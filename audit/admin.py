from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody adds, changes or deletes audit entries by hand."""

    list_display = ("at", "action", "actor", "kiosk", "person_id", "room_id", "reason")
    list_filter = ("action",)
    search_fields = ("actor", "kiosk", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
