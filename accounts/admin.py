from django.contrib import admin

from accounts.models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "landlord"]
    autocomplete_fields = ["landlord"]
    filter_horizontal = ["grids"]
