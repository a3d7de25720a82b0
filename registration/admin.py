"""Read-only views of the registration flow: which kiosks have a credential (never the secret) and
the readings with their outcome (masked)."""

from django.contrib import admin

from gis_core.admin_base import ReadOnlyAdmin
from registration.models import CardReading, KioskCredential


@admin.register(KioskCredential)
class KioskCredentialAdmin(ReadOnlyAdmin):
    deletable = True  # deleting a credential revokes the kiosk's signing secret
    list_display = ("kiosk", "created_at")
    fields = ("kiosk", "created_at")


@admin.register(CardReading)
class CardReadingAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ("received_at", "kiosk", "operator", "room", "outcome", "http_status")
    list_filter = ("outcome",)
    fields = ("received_at", "kiosk", "reading_id", "operator", "room", "tenancy", "outcome", "http_status", "response")
    list_select_related = ("kiosk", "operator", "room__building")
