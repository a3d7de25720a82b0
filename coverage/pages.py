"""The planners' coverage page: views, quality bands, coverage, blind spots on the map."""

from django.core.exceptions import PermissionDenied
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from coverage.fov import default_levels


def coverage_page(request):
    """Planners (and staff): positions of cameras can be sensitive."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff or has_role(request.user, Role.PLANNER, Role.ADMIN)):
        raise PermissionDenied(_("需要规划员角色"))
    return render(request, "coverage/coverage.html", {"levels": default_levels()})
