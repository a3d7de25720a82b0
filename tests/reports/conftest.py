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


@pytest.fixture(autouse=True)
def default_categories(request):
    """The categories the data migration ships. A transactional test elsewhere in the run empties
    every table when it ends (data migrations included), so put them back when they are gone."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        marker = request.node.get_closest_marker("django_db")
        if marker is None:
            return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    if not Category.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("reports.migrations.0002_default_categories").add(apps, None)
