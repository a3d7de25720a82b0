"""Admin: incident categories and imports, rule sets with their weights and a live preview,
overrides (through safety/services.py, so each is audited), ratings (read only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gis_core.admin_base import ReadOnlyAdmin
from gis_core.models import Community, Grid
from safety import services
from safety.admin_views import IncidentImportMixin, RuleSetPreviewMixin
from safety.evaluate import month_start
from safety.models import CategoryWeight, Incident, IncidentCategory, Override, Rating, RuleSet
from safety.sources import enabled_sources


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "property_crime", "sort")
    list_editable = ("property_crime", "sort")


@admin.register(Incident)
class IncidentAdmin(IncidentImportMixin, ReadOnlyAdmin):
    deletable = True
    list_display = ("occurred_at", "category", "place", "building", "grid", "community")
    list_filter = ("category", "community")
    search_fields = ("place", "source_id")
    date_hierarchy = "occurred_at"
    change_list_template = "safety/admin/incident_changelist.html"


def _category_choices():
    return [(str(s.label), [(f"{s.key}:{code}", f"{name} ({code})") for code, name in s.categories()])
            for s in enabled_sources()]


class WeightForm(forms.ModelForm):
    """One (source, category) weight; the two are picked together from the enabled sources."""

    pair = forms.ChoiceField(label=_("类别"), choices=())

    class Meta:
        model = CategoryWeight
        fields = ("pair", "weight")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pair"].choices = [("", "—")] + _category_choices()
        if self.instance.pk:
            self.initial["pair"] = f"{self.instance.source}:{self.instance.category}"

    def clean(self):
        data = super().clean()
        pair = data.get("pair") or ""
        if ":" in pair:
            self.instance.source, self.instance.category = pair.split(":", 1)
        return data


class WeightInline(admin.TabularInline):
    model = CategoryWeight
    form = WeightForm
    extra = 1


class RuleSetForm(forms.ModelForm):
    grid_kinds = forms.MultipleChoiceField(label=_("评定的网格类型"), choices=Grid.Kind.choices,
                                           widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = RuleSet
        fields = "__all__"


@admin.register(RuleSet)
class RuleSetAdmin(RuleSetPreviewMixin, admin.ModelAdmin):
    form = RuleSetForm
    inlines = [WeightInline]
    list_display = ("name", "community", "active", "published", "window_days", "yellow_at", "red_at", "updated_at")
    list_filter = ("active", "published")
    actions = ["rate_now"]
    change_form_template = "safety/admin/ruleset_change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "community", "active", "published", "note")}),
        (_("评定对象"), {"fields": ("grid_kinds", "rate_meshes", "rate_buildings")}),
        (_("案事件（每千人加权发案数）"), {"fields": ("window_days", "min_residents", "default_weight",
                                                "yellow_at", "red_at")}),
        (_("视频覆盖（可选）"), {"fields": ("coverage_level", "coverage_yellow_below", "coverage_red_below")}),
        (_("按时登记（可选）"), {"fields": ("registration_days", "registered_yellow_below", "registered_red_below")}),
        (_("超时上报（可选）"), {"fields": ("overdue_yellow_at", "overdue_red_at")}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "published" in form.changed_data:  # public tiles show or hide these colours
            services.refresh_tiles(list(Rating.objects.filter(rule_set=obj).values_list("community_id", flat=True)
                                        .distinct()))

    @admin.action(description=_("按所选规则立即评定本月"))
    def rate_now(self, request, queryset):
        ids = [i for rule_set in queryset.filter(active=True) for i in services.communities_of(rule_set)]
        codes = set(Community.objects.filter(pk__in=ids).values_list("code", flat=True))
        if not codes:
            self.message_user(request, _("所选规则都未启用"), messages.WARNING)
            return
        result = services.rate(None, sorted(codes))
        self.message_user(request, _("已评定 %(n)d 处（%(s).1f 秒）") % {"n": result.ratings, "s": result.seconds})


def _chip(colour: str):
    # A class, not a style="" attribute (the Content-Security-Policy refuses those): safety/colours.css
    return format_html('<span class="safety-chip c-{}"></span>', colour)


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ("month", "grid", "building", "colour", "reason")
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"month": _("该月任一天（记为当月）")}

    def clean_month(self):
        return month_start(self.cleaned_data["month"])


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    form = OverrideForm
    list_display = ("month", "grid", "building", "colour_chip", "reason", "created_by", "created_at")

    class Media:
        css = {"all": ["safety/colours.css"]}
    list_filter = ("colour",)
    raw_id_fields = ("grid", "building")

    @admin.display(description=_("颜色"))
    def colour_chip(self, obj):
        return format_html("{}{}", _chip(obj.colour), obj.get_colour_display())

    def save_model(self, request, obj, form, change):
        # Through the service: the rating follows at once, and the act is audited.
        saved = services.override(month=obj.month, colour=obj.colour, reason=obj.reason, actor=request.user,
                                  grid=obj.grid, building=obj.building)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.lift(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.lift(obj, request.user)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("month", "level", "place", "colour_chip", "computed_colour", "rate", "residents", "incidents",
                    "red_streak", "history")
    list_filter = ("month", "colour", "level", "community")
    search_fields = ("grid__code", "grid__name", "building__code")
    list_select_related = ("grid", "building")

    class Media:
        css = {"all": ["safety/colours.css"]}

    @admin.display(description=_("对象"))
    def place(self, obj):
        return obj.target

    @admin.display(description=_("颜色"))
    def colour_chip(self, obj):
        return format_html("{}{}", _chip(obj.colour), obj.get_colour_display())

    @admin.display(description=_("历史"))
    def history(self, obj):
        if not obj.grid_id:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("safety:grid", args=[obj.grid.code]), _("查看"))
