"""API clients: issuing a key shows it once (stored as a digest only)."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reports.open311.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    fields = ("name", "contact", "active")
    actions = ["new_key"]

    def _announce(self, request, client, key):
        self.message_user(request, format_html(
            "{} {}<br><code>{}</code>", client.name, _("的 api_key（只显示这一次）："), key), messages.WARNING)

    def save_model(self, request, obj, form, change):
        key = obj.issue_key() if not change else None
        super().save_model(request, obj, form, change)
        if key:
            self._announce(request, obj, key)

    @admin.action(description=_("签发新 api_key（旧密钥立即失效）"))
    def new_key(self, request, queryset):
        for client in queryset:
            key = client.issue_key()
            client.save(update_fields=["key_digest"])
            self._announce(request, client, key)
