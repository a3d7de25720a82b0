"""Quality-level tables are data: administrators can read and adjust them (views are banded with
the table named by COVERAGE_QUALITY_TABLE, EN 62676-4:2015 by default)."""

from django.contrib import admin

from coverage.models import QualityLevel, QualityTable


class QualityLevelInline(admin.TabularInline):
    model = QualityLevel
    extra = 0


@admin.register(QualityTable)
class QualityTableAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    inlines = [QualityLevelInline]
