"""Admin building blocks shared by the apps."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only by code (logs, readings, credentials): nobody adds or edits them
    by hand. `deletable = True` still lets an administrator delete one (e.g. revoke a kiosk's
    credential)."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


class OneTimeKeyAdmin(admin.ModelAdmin):
    """For models with gis_core.keys.OneTimeKeyMixin: a key is issued when the row is added and by
    the "new key" action (the old one stops at once), and shown once through `announce(request,
    obj, key)`, which the subclass writes (what to show: the key, or the address holding it)."""

    actions = ["new_key"]
    new_key_label = _("签发新密钥（旧密钥立即失效）")

    def announce(self, request, obj, key: str) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        key = obj.issue_key() if not change else None
        super().save_model(request, obj, form, change)
        if key:
            self.announce(request, obj, key)

    @admin.action(description=_("签发新密钥（旧密钥立即失效）"))
    def new_key(self, request, queryset):
        for obj in queryset:
            key = obj.issue_key()
            obj.save(update_fields=["key_digest"])
            self.announce(request, obj, key)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "new_key" in actions:  # the model's own wording ("api_key" for Open311 clients)
            func, name, _label = actions["new_key"]
            actions["new_key"] = (func, name, self.new_key_label)
        return actions
