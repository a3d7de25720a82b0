"""The planner map page (planner role). All editing goes through planner.api."""

from django.shortcuts import render
from django.urls import reverse

from accounts.roles import Role, role_required
from gis_core.models import Community


@role_required(Role.PLANNER)
def planner_map(request):
    communities = list(Community.objects.order_by("code").values("pk", "code", "name"))
    chosen = request.GET.get("community")
    current = next((c for c in communities if c["code"] == chosen), communities[0] if communities else None)
    return render(request, "planner/map.html", {
        "communities": communities, "current": current,
        "api": reverse("planner-api-grids").rsplit("grids/", 1)[0],
    })
