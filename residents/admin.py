"""Admin for tenants: masked values only. Sealed columns are never shown or editable here;
unmasking is a police-role action with an audit trail, not an admin screen."""

from django.contrib import admin

from residents.models import Person, Tenancy


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name_masked", "id_number_masked", "sex", "region_code", "created_at")
    fields = ("name_masked", "id_number_masked", "sex", "nation_code", "region_code", "created_at")
    readonly_fields = fields
    search_fields = ("region_code",)

    def has_add_permission(self, request):
        return False  # persons are created from ID-card readings, not typed in


@admin.register(Tenancy)
class TenancyAdmin(admin.ModelAdmin):
    list_display = ("person", "room", "start_date", "end_date", "registered_via", "registered_at")
    list_filter = ("registered_via",)
    raw_id_fields = ("person", "room", "registered_by", "kiosk")
    list_select_related = ("person", "room__building")
