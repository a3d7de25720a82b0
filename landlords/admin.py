"""Service-hall staff issue one-time sign-in codes here: pick the landlord's account, save, and print
the code shown once on the next page (only its digest is kept)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from gis_core.errors import DomainError
from landlords import codes
from landlords.models import ConsentEvent, SignInCode


class IssueForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(groups__name=Role.LANDLORD, staff_profile__landlord__isnull=False,
                                                 is_active=True).order_by("username"),
        label=_("房东账户"))

    class Meta:
        model = SignInCode
        fields = ["user"]


@admin.register(SignInCode)
class SignInCodeAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "used_at", "issued_by")
    readonly_fields = ("user", "created_at", "expires_at", "used_at", "issued_by")
    search_fields = ("user__username",)
    form = IssueForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            row, code = codes.issue(form.cleaned_data["user"], by=request.user)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return
        for f in row._meta.concrete_fields:  # the admin's own object becomes the row just issued
            setattr(obj, f.attname, getattr(row, f.attname))
        self.message_user(request, format_html(
            gettext("登录码（只显示这一次，请打印交给房东）：<strong style=\"font-size:1.6em\">{}</strong>，有效期至 {}"),
            code, row.expires_at.strftime("%Y-%m-%d %H:%M")), messages.SUCCESS)

    def log_addition(self, request, obj, message):
        if obj.pk:
            super().log_addition(request, obj, message)


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    list_display = ("landlord", "given", "method", "at", "actor")
    list_filter = ("given", "method")
    readonly_fields = ("landlord", "given", "method", "at", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
