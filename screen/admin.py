"""Screens: issuing a key shows the screen's address once (the key is stored as a digest only)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gis_core.admin_base import OneTimeKeyAdmin
from gis_core.public import public_url
from screen.models import Screen


@admin.register(Screen)
class ScreenAdmin(OneTimeKeyAdmin):
    list_display = ("name", "community", "active", "created_at", "last_seen_at", "open_link")
    list_filter = ("active", "community")
    fields = ("community", "name", "active")

    @admin.display(description=_("查看"))
    def open_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("screen:page", args=[obj.community.code]), _("工作人员查看"))

    def announce(self, request, screen, key):
        url = public_url(reverse("screen:page", args=[screen.community.code]) + f"?key={key}", request)
        self.message_user(request, format_html(
            "{}<br><code>{}</code>", _("请在大屏上打开此地址（只显示这一次）："), url), messages.WARNING)
