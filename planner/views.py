"""The planner map page (planner role). All editing goes through planner.api."""

from django.contrib.auth.views import LoginView, redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.urls import reverse

from accounts.roles import Role, role_required
from gis_core.models import Community


# Strings the page's script shows, translated on the server (Chinese first, English in locale/en).
STRINGS = {
    "code": _("编码"), "level": _("层级"), "grid": _("网格"), "mesh": _("网眼"), "version": _("版本"),
    "area": _("面积"), "buildings": _("楼栋"), "rooms": _("房间"), "households": _("户数"), "residents": _("居住人数"),
    "before": _("修改前"), "after": _("修改后"), "no_grid": _("无网格"),
    "check_ok": _("检查通过，可以保存"), "check_failed": _("未通过检查"), "saved": _("已保存"),
    "all_rules_pass": _("有效、在上级内、无重叠、无空隙、无楼栋被切分"),
    "would_move": _("保存后将改变所属网格的楼栋"), "moved": _("已改变所属网格的楼栋"),
    "ask_name": _("新网格名称"), "ask_new_name": _("拆分出的新网格名称"),
    "conflict": _("他人已修改此网格"), "mine": _("我的"), "theirs": _("他人的（当前）"),
    "keep_mine": _("保留我的"), "keep_theirs": _("采用他人的"),
    "draw_split_line": _("画一条穿过网格的分割线，双击结束"), "confirm_split": _("确认拆分？"),
    "click_neighbour": _("点击要并入的相邻网格"), "confirm_merge": _("确认把 %s 并入所选网格？"),
    "history": _("历史版本"), "view": _("查看"), "restore": _("恢复为新版本"),
    "actions": {"create": _("新建"), "edit": _("修改边界"), "restore": _("恢复旧版本"), "split": _("拆分"),
                "merge": _("合并"), "retire": _("并入他格后撤销"), "renumber": _("重新编码")},
    "camera": _("摄像机"), "heading": _("朝向 (°)"), "fov": _("水平视场角 (°)"), "save_camera": _("保存摄像机"),
    "camera_moved": _("位置已移动，保存后生效"), "camera_saved": _("摄像机已保存"),
    "renumber": _("编码预览"), "renumber_rule": _("按标准自西向东、自北向南编号"), "name": _("名称"),
    "now": _("现编码"), "standard": _("标准编码"), "apply_renumber": _("应用新编码"),
    "renumber_none": _("编码已符合标准"), "confirm_renumber": _("确认重新编码？"),
    "no_community": _("还没有社区"),
}


class PlannerLogin(LoginView):
    """A login page for planners (who are not necessarily admin-site staff)."""

    template_name = "planner/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("planner-map")


def _planner_page(view):
    """Anonymous visitors go to the planner login; users without the planner role get 403."""
    guarded = role_required(Role.PLANNER)(view)

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("planner-login"))
        return guarded(request, *args, **kwargs)

    return wrapped


@_planner_page
def planner_map(request):
    communities = list(Community.objects.order_by("code").values("pk", "code", "name"))
    chosen = request.GET.get("community")
    current = next((c for c in communities if c["code"] == chosen), communities[0] if communities else None)
    return render(request, "planner/map.html", {
        "communities": communities, "current": current, "strings": _resolve(STRINGS),
        "api": reverse("planner-api-grids").rsplit("grids/", 1)[0],
    })


def _resolve(value):
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return str(value)
