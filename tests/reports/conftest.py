import pytest

from reports.models import Category, PatrolPoint
from tests.factories import make_grid, point


@pytest.fixture
def mesh_scene(two_grids):
    west, east = two_grids
    mesh = make_grid(west.community, 1, (0, 0, 200, 100), parent=west, name="西一网眼")
    return {"west": west, "east": east, "mesh": mesh}


@pytest.fixture
def gate(mesh_scene):
    return PatrolPoint.objects.create(code="gate-1", name="一号院门", kind="gate", location=point(60, 40))


@pytest.fixture
def safety(db):
    return Category.objects.get(code="safety")
