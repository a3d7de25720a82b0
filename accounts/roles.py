"""Who may do what: the product's roles, as Django groups.

A user may hold several roles (a grid worker can also be a planner). Roles are groups so the
administrator manages them in the ordinary admin; the scope of a role (which landlord a landlord
account is, which grids a grid worker serves) lives on `StaffProfile`.

Public visitors (kiosk and phone pages) have no account and no role: they never see tenant data.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class Role(models.TextChoices):
    LANDLORD = "landlord", _("房东")
    GRID_WORKER = "grid_worker", _("网格员")
    POLICE = "police", _("民警")
    PLANNER = "planner", _("规划员")
    ADMIN = "admin", _("管理员")


def roles_of(user) -> frozenset[str]:
    """The roles of a user (cached on the user object for the request). Superusers hold every role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_gis_roles", None)
    if cached is None:
        cached = user._gis_roles = roles_from(user, () if user.is_superuser else
                                              user.groups.values_list("name", flat=True))
    return cached


def roles_from(user, group_names) -> frozenset[str]:
    """The roles a user with these groups holds (superusers: every role; inactive users: none)."""
    if not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Role.values)
    return frozenset(r for r in group_names if r in Role.values)


def has_role(user, *roles: str) -> bool:
    """True when the user holds at least one of `roles`."""
    return bool(roles_of(user) & set(roles))


def grant(user, *roles: str) -> None:
    """Give a user roles (creating the groups on first use)."""
    from django.contrib.auth.models import Group

    for role in roles:
        if role not in Role.values:
            raise ValueError(f"unknown role {role!r}; known roles: {', '.join(Role.values)}")
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    user.__dict__.pop("_gis_roles", None)


def role_required(*roles: str, login_url: str | None = None):
    """View decorator: anonymous users go to the login page (`login_url`, else settings.LOGIN_URL),
    users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url)
            if not has_role(request.user, *roles):
                raise PermissionDenied(_("需要角色：%(roles)s") % {"roles": ", ".join(roles)})
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: `permission_classes = [HasRole.of(Role.PLANNER)]`."""

    roles: tuple[str, ...] = ()
    message = _("没有权限")

    @classmethod
    def of(cls, *roles: str):
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view):
        return has_role(request.user, *self.roles)


def granted(user, role: str) -> bool:
    """True when `role` was given to this user explicitly (their groups) — being a superuser is not
    enough. For the one act that shows personal data in the clear (police unmasking): an
    administrator who must do it grants themselves the role first, which the audit log records."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.groups.filter(name=role).exists()
