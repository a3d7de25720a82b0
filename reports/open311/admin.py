"""API clients: issuing a key shows it once (stored as a digest only)."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gis_core.admin_base import OneTimeKeyAdmin
from reports.open311.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(OneTimeKeyAdmin):
    list_display = ("name", "contact", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    fields = ("name", "contact", "active")
    new_key_label = _("签发新 api_key（旧密钥立即失效）")

    def announce(self, request, client, key):
        self.message_user(request, format_html(
            "{} {}<br><code>{}</code>", client.name, _("的 api_key（只显示这一次）："), key), messages.WARNING)
