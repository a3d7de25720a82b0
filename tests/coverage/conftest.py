"""Fixtures of the camera-coverage tests: a hand-computed layout and a signed-in planner."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.roles import Role, grant
from tests.factories import make_building, make_camera, make_grid


@pytest.fixture
def layout(community):
    grid = make_grid(community, 9, (100, 100, 140, 120), name="手算网格")
    a = make_grid(community, 1, (100, 100, 120, 120), parent=grid, name="A")
    b = make_grid(community, 2, (120, 100, 140, 120), parent=grid, name="B")
    make_building("wall", (120, 100, 125, 120))
    camera = make_camera(community, at=(90, 110), heading=90, hfov_deg=100, resolution_h=5000, resolution_v=2000,
                         vfov_deg=60, tilt_deg=60, mount_height_m=30, range_m=None)
    return {"grid": grid, "a": a, "b": b, "camera": camera}


@pytest.fixture
def planner():
    user = get_user_model().objects.create_user("planner", password="pw-for-tests")
    grant(user, Role.PLANNER)
    api = APIClient()
    api.force_login(user)
    return api
