from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from reports.models import Category, CategoryDeadline, PatrolPoint, Report, ReportEvent, Shift, WorkerPosition


@admin.register(PatrolPoint)
class PatrolPointAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "kind", "community", "grid", "mesh", "active")
    list_filter = ("kind", "active", "community")
    search_fields = ("code", "name")
    readonly_fields = ("community", "grid", "mesh")


class DeadlineInline(admin.TabularInline):
    model = CategoryDeadline
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sensitive", "active", "sort")
    list_editable = ("sensitive", "active", "sort")
    inlines = [DeadlineInline]


class EventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "status", "level", "reason")
    readonly_fields = fields


@admin.register(Report)
class ReportAdmin(LeafletGeoAdmin):
    # The callback phone is sealed and not listed here: it is shown only through an audited view.
    list_display = ("id", "category", "status", "level", "grid", "assignee", "created_at")
    list_filter = ("status", "level", "category", "community")
    readonly_fields = ("community", "grid", "mesh", "created_at", "acknowledged_at", "on_site_at", "resolved_at")
    exclude = ("phone_sealed",)
    raw_id_fields = ("duplicate_of", "building", "point")
    inlines = [EventInline]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("worker", "starts_at", "ends_at")
    filter_horizontal = ("grids",)


@admin.register(WorkerPosition)
class WorkerPositionAdmin(LeafletGeoAdmin):
    list_display = ("worker", "at")
