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


# --- the pages (reportsui) -----------------------------------------------------------------------

def jpeg_bytes(size=(64, 48), exif_gps=False) -> bytes:
    import io

    from PIL import Image

    img = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (25.0, 1.0, 48.0), 3: "E", 4: (102.0, 39.0, 36.0)}
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, name="a.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def on_duty(mesh_scene):
    """A grid worker of the west grid on shift, sharing a position near the gate."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import StaffProfile
    from accounts.roles import grant
    from reports.models import Shift, WorkerPosition

    w = get_user_model().objects.create_user("wang", password="pw-for-tests-only")
    grant(w, "grid_worker")
    StaffProfile.objects.create(user=w).grids.add(mesh_scene["west"])
    s = Shift.objects.create(worker=w, starts_at=timezone.now() - timedelta(hours=1),
                             ends_at=timezone.now() + timedelta(hours=7))
    s.grids.add(mesh_scene["west"])
    WorkerPosition.objects.create(worker=w, location=point(70, 40))
    return w


@pytest.fixture
def east_worker(mesh_scene):
    from django.contrib.auth import get_user_model

    from accounts.models import StaffProfile
    from accounts.roles import grant

    u = get_user_model().objects.create_user("li", password="pw-for-tests-only")
    grant(u, "grid_worker")
    StaffProfile.objects.create(user=u).grids.add(mesh_scene["east"])
    return u


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request made with Accept-Language: en leaves
    English active in the test's thread, and code called outside a request would answer in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _notify_log(settings, tmp_path):
    """The log-file notifier writes into the test's own directory, never var/log."""
    settings.REPORTS_NOTIFY_LOG = tmp_path / "notifications.log"
