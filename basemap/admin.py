"""The basemap's extracts in the admin, and the survey upload (the onboarding import page pattern:
the same core as `manage.py import_survey`, the same page template, the same report)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from basemap.models import Extract
from basemap.services import remove_extract
from basemap.survey import SurveyOptions, import_survey
from basemap.survey.options import NAME_MAX
from onboarding.admin_uploads import ImportPageMixin, checked_upload
from onboarding.errors import ImportFailed

SURVEY_EXTENSIONS = ["geojson", "json", "gpkg", "kml", "dxf", "zip"]
KIND_CHOICES = [("", _("按 CAD 图层对应")), ("roads", _("道路 roads")), ("paths", _("步道 paths")),
                ("water", _("水系 water")), ("walls", _("围墙 walls")), ("gates", _("院门 gates")),
                ("landuse", _("用地 landuse"))]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class SurveyImportForm(forms.Form):
    file = forms.FileField(label=_("文件"), validators=[FileExtensionValidator(SURVEY_EXTENSIONS)],
                           help_text=_("DXF、GeoJSON、GeoPackage、KML 或压缩的 Shapefile（.zip）"))
    layer = forms.ChoiceField(label=_("图层类别"), choices=KIND_CHOICES, required=False,
                              help_text=_("全部要素的类别；与 CAD 图层对应同用时，为未对应图层的类别"))
    dxf_layers = forms.CharField(label=_("CAD 图层对应"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("每行一个 CAD图层=类别，例如 道路=roads、围墙=walls、院门=gates"))
    srid = forms.IntegerField(label=_("坐标系 EPSG"), required=False, min_value=1,
                              help_text=_("仅当文件没有坐标系时填写，例如 4490、4543 或 4522"))
    fields = forms.CharField(label=_("字段对应"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("每行一个 属性=字段，属性为 name、class、width、hours，例如 name=NAME"))
    file_layer = forms.CharField(label=_("文件中的图层"), required=False, help_text=_("缺省：唯一的图层"))
    name = forms.CharField(label=_("测绘数据名称"), required=False, max_length=NAME_MAX,
                           help_text=_("缺省：文件名；同名再次导入会替换其全部要素（不影响 OSM 底图）"))
    dry_run = forms.BooleanField(label=_("试运行（不写入）"), required=False)

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"])

    def clean(self):
        data = super().clean()
        try:
            data["options"] = SurveyOptions(
                layer=data.get("layer") or None, srid=data.get("srid"), fields=_lines(data.get("fields", "")),
                dxf_layers=_lines(data.get("dxf_layers", "")), file_layer=(data.get("file_layer") or "").strip() or None,
                name=(data.get("name") or "").strip() or None, dry_run=bool(data.get("dry_run")))
        except ImportFailed as exc:
            raise ValidationError(str(exc)) from exc
        return data

    def run(self, path):
        return import_survey(path, self.cleaned_data["options"])


@admin.register(Extract)
class ExtractAdmin(ImportPageMixin, admin.ModelAdmin):
    """Extracts are written by importers only: the list, the survey upload, and removal."""

    import_form = SurveyImportForm
    import_title = _("导入测绘图层（道路、围墙…）")
    import_link = _("导入测绘图层")
    list_display = ("name", "source", "base", "imported_at", "counts")
    search_fields = ("name", "source")
    readonly_fields = ("name", "source", "base", "imported_at", "counts")
    exclude = ("area",)

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(reverse("admin:basemap_extract_import"))

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        remove_extract(obj.name)  # tiles refreshed, the walking network follows

    def delete_queryset(self, request, queryset):
        for name in list(queryset.values_list("name", flat=True)):
            remove_extract(name)
