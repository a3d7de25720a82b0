"""Admin pages beyond the ModelAdmins: the incident CSV upload and the rule set preview."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gis_core.errors import DomainError
from safety import evaluate, services
from safety.incidents import MAX_BYTES, import_csv
from safety.models import Colour, Level, Rating, RuleSet

SHOWN_ROWS = 1000


class IncidentImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV 文件"),
                           help_text=gettext_lazy("列：时间、类别，地址或经度、纬度，可选编号；UTF-8 或 GB18030"))
    dry_run = forms.BooleanField(label=gettext_lazy("试运行（不写入）"), required=False)


class IncidentImportMixin:
    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="safety_incident_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not request.user.has_perm("safety.add_incident"):
            raise PermissionDenied
        form = IncidentImportForm(request.POST or None, request.FILES or None)
        report, error = None, None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                error = _("文件过大（上限 %(mb)d MB）") % {"mb": MAX_BYTES // 2**20}
            else:
                try:
                    report = import_csv(upload.read(), dry_run=form.cleaned_data["dry_run"])
                except DomainError as exc:
                    error = str(exc.message)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "report": report, "error": error, "title": _("导入公安警情"),
                   "shown": [r for r in report.rows if r.status != "ok"][:SHOWN_ROWS] if report else []}
        return TemplateResponse(request, "safety/admin/incident_import.html", context,
                                status=400 if error else 200)


class RuleSetPreviewMixin:
    """POST the change form (unsaved) to …/preview/: how many grids each colour would have."""

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.preview_view))
        return [path("preview/", view, name="safety_ruleset_preview_new"),
                path("<path:object_id>/preview/", view, name="safety_ruleset_preview"),
                *super().get_urls()]

    def preview_view(self, request, object_id=None):
        obj = self.get_object(request, object_id) if object_id else None
        if not (self.has_change_permission(request, obj) if obj else self.has_add_permission(request)):
            raise PermissionDenied
        form_class = self.get_form(request, obj, change=obj is not None)
        form = form_class(request.POST, request.FILES, instance=obj)
        inline = self.get_inline_instances(request, obj)[0]
        formset_class = inline.get_formset(request, obj)
        formset = formset_class(request.POST, request.FILES, instance=form.instance,
                                prefix=formset_class.get_default_prefix())
        if not form.is_valid() or not formset.is_valid():
            errors = {**form.errors.get_json_data(),
                      **{f"weights-{i}": f.errors.get_json_data() for i, f in enumerate(formset.forms) if f.errors}}
            return JsonResponse({"detail": _("规则有误，请先改正"), "errors": errors}, status=400)
        rule_set: RuleSet = form.save(commit=False)
        weights = [(f.instance.source, f.instance.category, f.cleaned_data["weight"]) for f in formset.forms
                   if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("pair")]
        return JsonResponse(preview(rule_set, weights))


def preview(rule_set: RuleSet, weights) -> dict:
    """Counts per colour these rules give the grids they cover, against the colours they have now,
    for the latest rated month of those communities (else the month in progress)."""
    communities = services.communities_of(rule_set)
    latest = (Rating.objects.filter(community_id__in=communities, level=Level.GRID)
              .order_by("-month").values_list("month", flat=True).first())
    month = latest or evaluate.month_start(timezone.localdate())
    spec = evaluate.Spec.of(rule_set, weights)
    rows = evaluate.preview(spec, communities, evaluate.window_for(month, spec.window_days))
    counts = {c: sum(1 for r in rows if r["colour"] == c) for c in Colour.values}
    current = {c: sum(1 for r in rows if r["current"] == c) for c in Colour.values}
    changes = [{"code": r["code"], "name": r["name"], "from": r["current"], "to": r["colour"],
                "rate": str(r["rate"])} for r in rows if r["current"] != r["colour"]]
    summary = _("按这些规则（%(month)s）：红色 %(red)d 个网格（现为 %(red_now)d），黄色 %(yellow)d 个（现为 "
                "%(yellow_now)d），绿色 %(green)d 个（现为 %(green_now)d）。") % {
        "month": month.strftime("%Y-%m"), "red": counts["red"], "yellow": counts["yellow"],
        "green": counts["green"], "red_now": current["red"], "yellow_now": current["yellow"],
        "green_now": current["green"]}
    return {"month": month.strftime("%Y-%m"), "grids": len(rows), "counts": counts, "current": current,
            "changes": changes[:50], "summary": summary}
