"""Read-only views of the registration flow: which kiosks have a credential (never the secret) and
the readings with their outcome (masked)."""

from django.contrib import admin

from registration.models import CardReading, KioskCredential


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KioskCredential)
class KioskCredentialAdmin(ReadOnly):
    list_display = ("kiosk", "created_at")
    fields = ("kiosk", "created_at")


@admin.register(CardReading)
class CardReadingAdmin(ReadOnly):
    list_display = ("received_at", "kiosk", "operator", "room", "outcome", "http_status")
    list_filter = ("outcome",)
    fields = ("received_at", "kiosk", "reading_id", "operator", "room", "tenancy", "outcome", "http_status", "response")
    list_select_related = ("kiosk", "operator", "room__building")
