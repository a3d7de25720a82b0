"""Admin upload pages: thin wrappers over the same import core as the management commands.

Put a mixin in front of the ModelAdmin base class:

    class BuildingAdmin(BuildingImportAdminMixin, LeafletGeoAdmin): ...    # footprints
    class GridAdmin(BoundaryImportAdminMixin, LeafletGeoAdmin): ...        # boundaries
    class RoomAdmin(RoomImportAdminMixin, LeafletGeoAdmin): ...            # room registers

Each adds <admin>/<app>/<model>/import/ (URL name ``admin:<app>_<model>_import``), for staff
with the model's ``add`` permission. The upload is saved to a temporary directory, imported with
the same options as the command and deleted; the page then shows the summary and the report.
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


def checked_upload(upload):
    """A zip upload must be one shapefile and nothing else (anything else could point elsewhere, e.g. VRT)."""
    if upload.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(upload) as archive:
                suffixes = {Path(name).suffix.lower() for name in archive.namelist() if not name.endswith("/")}
        except zipfile.BadZipFile as exc:
            raise ValidationError(_("不是有效的 zip 文件")) from exc
        if ".shp" not in suffixes or not suffixes <= SHAPEFILE_PARTS:
            raise ValidationError(_("zip 中只能是一个 Shapefile（.shp/.shx/.dbf/.prj…）"))
        upload.seek(0)
    return upload


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
    code_field = forms.CharField(label=_("楼栋编码字段"), required=False,
                                 help_text=_("按楼栋编码原地更新（重新导入导出的文件）"))
    floors_field = forms.CharField(label=_("层数字段"), required=False)
    height_field = forms.CharField(label=_("高度字段"), required=False)
    address_field = forms.CharField(label=_("地址字段"), required=False)
    name_field = forms.CharField(label=_("名称字段"), required=False)
    default_floors = forms.IntegerField(label=_("默认层数"), initial=1, min_value=1, max_value=MAX_FLOORS)
    floor_height = forms.FloatField(label=_("层高 (m)"), initial=3.0, min_value=2, max_value=10)
    repair = forms.BooleanField(label=_("修复无效几何"), required=False, initial=True)
    dry_run = forms.BooleanField(label=_("试运行（不写入）"), required=False)

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"])

    def run(self, path):
        return import_buildings(path, self.import_options())

    def import_options(self) -> ImportOptions:
        data = self.cleaned_data
        text = {name: data[name].strip() or None for name in (
            "layer", "source", "id_field", "code_field", "floors_field", "height_field", "address_field", "name_field")}
        return ImportOptions(srid=data["srid"], default_floors=data["default_floors"],
                             floor_height=data["floor_height"], repair=data["repair"], dry_run=data["dry_run"],
                             **text)


class ImportPageMixin:
    """Adds the import/ page to a ModelAdmin; subclasses name the form (with ``run(path)``) and title."""

    import_form: type[forms.Form]
    import_title = _("导入")
    import_link = _("导入")  # the change list's button
    import_template = "admin/onboarding/import.html"
    change_list_template = "admin/onboarding/change_list.html"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"import_link": self.import_link, **(extra_context or {})})

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
            form = self.import_form(request.POST, request.FILES)
            if form.is_valid():
                report, error = self._run_import(form)
        else:
            answer = self.import_get(request)
            if answer is not None:
                return answer
            form = self.import_form()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.import_title,
            "form": form,
            "report": report,
            "error": error,
            "rows": report.rows[:SHOWN_ROWS] if report else [],
            "hidden_rows": max(0, len(report.rows) - SHOWN_ROWS) if report else 0,
            **self.import_context(),
        }
        return TemplateResponse(request, self.import_template, context)

    def import_get(self, request):
        """A GET the page answers itself (e.g. a template download); None shows the form."""
        return None

    def import_context(self) -> dict:
        return {}

    def _run_import(self, form):
        """Import the upload from a temporary copy; returns (report or None, error message or None)."""
        upload = form.cleaned_data["file"]
        name = Path(upload.name).name
        with tempfile.TemporaryDirectory(prefix="import-") as directory:
            # The file keeps its (sanitised) name: the default source is its stem, so a re-upload updates.
            target = Path(directory) / get_valid_filename(name)
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                report, error = form.run(target), None
            except ImportFailed as exc:
                report, error = exc.report, str(exc)
        if report is not None:
            report.path = name  # the temporary path means nothing to the planner
        return report, error


class BuildingImportAdminMixin(ImportPageMixin):
    """Adds the import/ page to a Building ModelAdmin."""

    import_form = BuildingImportForm
    import_title = _("导入楼栋")
    import_link = _("导入楼栋轮廓")


BOUNDARY_EXTENSIONS = ["geojson", "json", "gpkg", "kml", "dxf", "pbf", "osm", "zip"]


class BoundaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"), validators=[FileExtensionValidator(BOUNDARY_EXTENSIONS)],
        help_text=_("GeoJSON、GeoPackage、KML、DXF、OSM（.osm/.pbf）或压缩的 Shapefile（.zip）"),
    )
    level = forms.ChoiceField(label=_("层级"), required=False, choices=[
        ("", _("按编码长度或层级字段")), ("community", _("社区")), ("grid", _("网格")), ("mesh", _("网眼"))])
    srid = forms.IntegerField(label=_("坐标系 EPSG"), required=False, min_value=1,
                              help_text=_("仅当文件没有坐标系时填写，例如 4490、4543 或 4522"))
    layer = forms.CharField(label=_("图层"), required=False, help_text=_("缺省：全部图层；OSM 为 multipolygons"))
    code_field = forms.CharField(label=_("编码字段"), required=False)
    name_field = forms.CharField(label=_("名称字段"), required=False)
    parent_field = forms.CharField(label=_("上级编码字段"), required=False,
                                   help_text=_("缺省时按位置查找所在的社区或网格"))
    kind_field = forms.CharField(label=_("类型字段"), required=False)
    person_field = forms.CharField(label=_("责任人字段"), required=False)
    phone_field = forms.CharField(label=_("电话字段"), required=False)
    valid_from_field = forms.CharField(label=_("生效日期字段"), required=False)
    code_prefix = forms.RegexField(label=_("区县街道代码"), regex=r"^\d{9}$", required=False,
                                   help_text=_("9 位数字，用于给没有代码的社区编号"))
    repair = forms.BooleanField(label=_("修复无效边界"), required=False)
    dry_run = forms.BooleanField(label=_("试运行（不写入）"), required=False)

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"])

    def run(self, path):
        from onboarding.boundaries import BoundaryOptions, import_boundaries

        data = self.cleaned_data
        text = {name: data[name].strip() or None for name in (
            "code_field", "name_field", "parent_field", "kind_field", "person_field", "phone_field",
            "valid_from_field", "code_prefix")}
        layer = data["layer"].strip()
        return import_boundaries(path, BoundaryOptions(
            layers=(layer,) if layer else (), srid=data["srid"], level=data["level"] or None,
            repair=data["repair"], dry_run=data["dry_run"], **text))


class BoundaryImportAdminMixin(ImportPageMixin):
    """Adds the import/ page to the Community and Grid ModelAdmins."""

    import_form = BoundaryImportForm
    import_title = _("导入社区、网格、网眼边界")
    import_link = _("导入边界")


class RoomImportForm(forms.Form):
    file = forms.FileField(label=_("登记表"), validators=[FileExtensionValidator(["xlsx", "xlsm", "csv"])],
                           help_text=_("Excel（.xlsx）或 CSV（UTF-8 或 GB18030）"))
    sheet = forms.CharField(label=_("工作表"), required=False, help_text=_("缺省：第一个工作表"))
    community = forms.CharField(label=_("社区代码"), required=False, max_length=12,
                                help_text=_("只匹配该社区的楼栋"))
    column_map = forms.CharField(label=_("列名对应"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("每行一个 列名=字段，例如 门牌=address"))
    all_or_nothing = forms.BooleanField(label=_("有错误时全部不导入"), required=False)
    dry_run = forms.BooleanField(label=_("试运行（不写入）"), required=False)

    def run(self, path):
        from onboarding.rooms import RoomOptions, import_rooms

        data = self.cleaned_data
        return import_rooms(path, RoomOptions(
            sheet=data["sheet"].strip() or None, community=data["community"].strip() or None,
            column_map=tuple(line.strip() for line in data["column_map"].splitlines() if line.strip()),
            all_or_nothing=data["all_or_nothing"], dry_run=data["dry_run"]))


class RoomImportAdminMixin(ImportPageMixin):
    """Adds the import/ page (and ?template=1, the register template) to the Room ModelAdmin."""

    import_form = RoomImportForm
    import_title = _("导入出租房屋登记表")
    import_link = _("导入登记表")

    def import_get(self, request):
        if "template" not in request.GET:
            return None
        import io

        from django.http import HttpResponse

        from onboarding.rooms.template import write_template

        buffer = io.BytesIO()
        write_template(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = 'attachment; filename="rooms.xlsx"'
        return response

    def import_context(self) -> dict:
        return {"template_url": "?template=1"}


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
