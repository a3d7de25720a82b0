"""Roles are groups; superusers hold them all; views and API endpoints check them."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.roles import HasRole, Role, grant, has_role, role_required, roles_of


@pytest.fixture
def planner(db):
    user = User.objects.create_user("planner1", password="x")
    grant(user, Role.PLANNER)
    return user


def test_groups_exist_for_every_role(db):
    """The migration makes a group for every role. (Run again here: a transactional test that ran
    before in the same process may have emptied the table.)"""
    from importlib import import_module

    from django.apps import apps

    Group.objects.all().delete()
    import_module("accounts.migrations.0002_role_groups").create_groups(apps, None)
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_roles_of_users(planner, db):
    assert roles_of(planner) == {Role.PLANNER}
    assert has_role(planner, Role.PLANNER, Role.POLICE)
    assert not has_role(planner, Role.POLICE)
    assert roles_of(AnonymousUser()) == frozenset()
    root = User.objects.create_superuser("root", password="x")
    assert roles_of(root) == set(Role.values)
    planner.is_active = False
    planner.__dict__.pop("_gis_roles", None)
    assert not has_role(planner, Role.PLANNER)


def test_grant_rejects_unknown_roles(planner):
    with pytest.raises(ValueError, match="unknown role"):
        grant(planner, "mayor")


def test_role_required_view(planner, db):
    view = role_required(Role.PLANNER)(lambda request: HttpResponse("ok"))
    rf = RequestFactory()
    anon = rf.get("/planner/")
    anon.user = AnonymousUser()
    assert view(anon).status_code == 302
    ok = rf.get("/planner/")
    ok.user = planner
    assert view(ok).content == b"ok"
    other = rf.get("/planner/")
    other.user = User.objects.create_user("police1")
    grant(other.user, Role.POLICE)
    with pytest.raises(PermissionDenied):
        view(other)


def test_drf_permission(planner):
    perm = HasRole.of(Role.PLANNER)()
    request = RequestFactory().get("/")
    request.user = planner
    assert perm.has_permission(request, None)
    request.user = AnonymousUser()
    assert not perm.has_permission(request, None)


def test_staff_pages_send_anonymous_visitors_to_a_real_login(client, planner):
    response = client.get("/police/feed/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "工作人员登录" in page.content.decode()
    signed_in = client.post("/login/?next=/police/feed/", {"username": "planner1", "password": "x",
                                                         "next": "/police/feed/"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/police/feed/"
