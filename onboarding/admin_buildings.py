"""Admin upload page for building footprints: a thin wrapper over onboarding.footprints.

Put the mixin in front of the ModelAdmin base class:

    class BuildingAdmin(BuildingImportAdminMixin, LeafletGeoAdmin): ...

The page is <admin>/buildings/building/import/ (URL name ``admin:buildings_building_import``), for
staff with the ``buildings.add_building`` permission. The upload is saved to a temporary directory,
imported with the same options as ``manage.py import_buildings`` and deleted; the page then shows
the summary and the per-feature report.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from django import forms
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import FileExtensionValidator
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from onboarding.footprints import MAX_FLOORS, SOURCE_MAX, ImportFailed, ImportOptions, import_buildings

UPLOAD_EXTENSIONS = ["geojson", "json", "gpkg", "pbf", "osm", "zip"]
# What a zipped shapefile may hold. Anything else could be a format that points elsewhere (e.g. VRT).
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml"}
# Rows shown on the page; a large import is summarised by the counts above the table.
SHOWN_ROWS = 1000


class BuildingImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"), validators=[FileExtensionValidator(UPLOAD_EXTENSIONS)],
        help_text=_("GeoJSON、GeoPackage、OSM（.osm/.pbf）或压缩的 Shapefile（.zip）"),
    )
    srid = forms.IntegerField(label=_("坐标系 EPSG"), required=False, min_value=1,
                              help_text=_("仅当文件没有坐标系时填写，例如 4490 或 4543"))
    layer = forms.CharField(label=_("图层"), required=False, help_text=_("缺省：唯一的图层；OSM 为 multipolygons"))
    source = forms.CharField(label=_("数据来源"), required=False, max_length=SOURCE_MAX,
                             help_text=_("缺省：文件名（OSM 为 osm）；同一来源再次导入会原地更新"))
    id_field = forms.CharField(label=_("编号字段"), required=False)
    floors_field = forms.CharField(label=_("层数字段"), required=False)
    height_field = forms.CharField(label=_("高度字段"), required=False)
    address_field = forms.CharField(label=_("地址字段"), required=False)
    name_field = forms.CharField(label=_("名称字段"), required=False)
    default_floors = forms.IntegerField(label=_("默认层数"), initial=1, min_value=1, max_value=MAX_FLOORS)
    floor_height = forms.FloatField(label=_("层高 (m)"), initial=3.0, min_value=2, max_value=10)
    repair = forms.BooleanField(label=_("修复无效几何"), required=False, initial=True)
    dry_run = forms.BooleanField(label=_("试运行（不写入）"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(upload) as archive:
                    suffixes = {Path(name).suffix.lower() for name in archive.namelist() if not name.endswith("/")}
            except zipfile.BadZipFile as exc:
                raise ValidationError(_("不是有效的 zip 文件 / not a valid zip file")) from exc
            if ".shp" not in suffixes or not suffixes <= SHAPEFILE_PARTS:
                raise ValidationError(_("zip 中只能是一个 Shapefile（.shp/.shx/.dbf/.prj…）/ "
                                        "the zip must hold a shapefile and nothing else"))
            upload.seek(0)
        return upload

    def import_options(self) -> ImportOptions:
        data = self.cleaned_data
        text = {name: data[name].strip() or None for name in (
            "layer", "source", "id_field", "floors_field", "height_field", "address_field", "name_field")}
        return ImportOptions(srid=data["srid"], default_floors=data["default_floors"],
                             floor_height=data["floor_height"], repair=data["repair"], dry_run=data["dry_run"],
                             **text)


class BuildingImportAdminMixin:
    """Adds the import/ page to a Building ModelAdmin."""

    import_template = "admin/buildings/building/import.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the default URLs: their catch-all "<path:object_id>/" would swallow "import/".
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="%s_%s_import" % info),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('add', self.opts)}")

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        report = error = None
        if request.method == "POST":
            form = BuildingImportForm(request.POST, request.FILES)
            if form.is_valid():
                report, error = self._run_import(form)
        else:
            form = BuildingImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("导入楼栋"),
            "form": form,
            "report": report,
            "error": error,
            "rows": report.rows[:SHOWN_ROWS] if report else [],
            "hidden_rows": max(0, len(report.rows) - SHOWN_ROWS) if report else 0,
        }
        return TemplateResponse(request, self.import_template, context)

    def _run_import(self, form: BuildingImportForm):
        """Import the upload from a temporary copy; returns (report or None, error message or None)."""
        upload = form.cleaned_data["file"]
        name = Path(upload.name).name
        with tempfile.TemporaryDirectory(prefix="building-import-") as directory:
            # The file keeps its (sanitised) name: the default source is its stem, so a re-upload updates.
            target = Path(directory) / get_valid_filename(name)
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                report, error = import_buildings(target, form.import_options()), None
            except ImportFailed as exc:
                report, error = exc.report, str(exc)
        if report is not None:
            report.path = name  # the temporary path means nothing to the planner
        return report, error
