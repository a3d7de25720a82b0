from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from reports.models import Category, CategoryDeadline, PatrolPoint, Report, ReportEvent, Shift, WorkerPosition


@admin.action(description=_("打印巡查点二维码（PDF）"), permissions=["view"])
def print_point_sheet(modeladmin, request, queryset):
    codes = ",".join(queryset.order_by("code").values_list("code", flat=True)[:400])
    return HttpResponseRedirect(reverse("duty-points-pdf") + "?" + urlencode({"points": codes}))


@admin.register(PatrolPoint)
class PatrolPointAdmin(LeafletGeoAdmin):
    actions = [print_point_sheet]
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
