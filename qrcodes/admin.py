"""Admin: the record of revoked door codes, and two actions for the building list.

Wire the actions into BuildingAdmin with ``actions = [reissue_qr_codes, print_qr_sheet]``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, ngettext

from gis_core.admin_base import ReadOnlyAdmin
from qrcodes.models import RevokedQrToken
from qrcodes.services import reissue


@admin.register(RevokedQrToken)
class RevokedQrTokenAdmin(ReadOnlyAdmin):
    """A log: rows are written by `reissue` only, never by hand."""

    list_display = ("building", "revoked_at", "reason", "revoked_by")
    list_select_related = ("building", "revoked_by")
    search_fields = ("building__code", "token")
    date_hierarchy = "revoked_at"


class ReissueForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, help_text=_("例如：门牌被涂改、二维码被覆盖"))


@admin.action(description=_("重新生成门牌二维码（旧码停用）"), permissions=["change"])
def reissue_qr_codes(modeladmin, request, queryset):
    """Ask for a reason on a confirmation page, then give each selected building a new code."""
    form = ReissueForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for building in queryset:
            reissue(building, form.cleaned_data["reason"], by=request.user)
        count = len(queryset)
        message = ngettext("已为 %(n)d 栋楼重新生成二维码，请打印新门牌。",
                           "已为 %(n)d 栋楼重新生成二维码，请打印新门牌。", count)
        modeladmin.message_user(request, message % {"n": count})
        return None  # back to the list
    return TemplateResponse(request, "qrcodes/admin/reissue_confirm.html", {
        **modeladmin.admin_site.each_context(request),
        "title": _("重新生成门牌二维码"), "opts": modeladmin.model._meta, "buildings": queryset, "form": form,
        "action_name": "reissue_qr_codes", "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    })


@admin.action(description=_("打印门牌二维码"), permissions=["view"])
def print_qr_sheet(modeladmin, request, queryset):
    codes = ",".join(queryset.order_by("code").values_list("code", flat=True))
    return HttpResponseRedirect(reverse("qrcodes:sheet") + "?" + urlencode({"buildings": codes}))
