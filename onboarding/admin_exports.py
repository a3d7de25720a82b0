"""Admin actions that export the selected rows (or, from the community list, whole communities).

Each action answers a file download; nothing in it identifies a tenant (onboarding.exports).
They need only the model's view permission: what they export is what the change list shows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from onboarding.exports import write as exports

CONTENT_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _download(name: str, fmt: str, write) -> HttpResponse:
    with tempfile.TemporaryDirectory(prefix="admin-export-") as tmp:
        target = Path(tmp) / f"{name}.{fmt}"
        write(target)
        response = HttpResponse(target.read_bytes(), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def layer_export(layer: str, fmt: str, label):
    """An action exporting the selected rows as one layer (GeoPackage or GeoJSON)."""

    @admin.action(description=label, permissions=["view"])
    def action(modeladmin, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        if fmt == "gpkg":
            return _download(layer, fmt, lambda t: exports.write_geopackage(t, [layer], ids=ids))
        return _download(layer, fmt, lambda t: exports.write_geojson(layer, t, ids=ids))

    action.__name__ = f"export_{layer}_{fmt}"
    return action


def register_export(fmt: str, label):
    """An action exporting the selected rooms as the register (XLSX or CSV)."""

    @admin.action(description=label, permissions=["view"])
    def action(modeladmin, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        return _download("rooms", fmt, lambda t: exports.write_register(t, fmt, ids=ids))

    action.__name__ = f"export_register_{fmt}"
    return action


@admin.action(description=_("导出整个社区（GeoPackage，全部图层）"), permissions=["view"])
def export_communities(modeladmin, request, queryset):
    ids = list(queryset.values_list("pk", flat=True))
    return _download("community", "gpkg", lambda t: exports.write_geopackage(t, communities=ids))


def geo_actions(layer: str) -> list:
    return [layer_export(layer, "gpkg", _("导出所选为 GeoPackage")),
            layer_export(layer, "geojson", _("导出所选为 GeoJSON"))]
