import pytest

from gis_core.models import Camera
from kiosk.models import Kiosk
from tests.factories import make_building, make_community, make_grid, make_room, point


@pytest.fixture
def community(db):
    return make_community()


@pytest.fixture
def two_grids(community):
    """Two side-by-side grids splitting the 400 × 200 m community at x = 200 m."""
    west = make_grid(community, 1, (0, 0, 200, 200), name="西网格")
    east = make_grid(community, 2, (200, 0, 400, 200), name="东网格")
    return west, east


@pytest.fixture
def building(two_grids):
    return make_building("B-1", (50, 50, 70, 65))


@pytest.fixture
def scene(two_grids):
    west, east = two_grids
    mesh = make_grid(west.community, 1, (0, 0, 200, 100), parent=west, name="西一网眼")
    b = make_building("B-1", (50, 50, 70, 65), floors=2)
    rooms = [make_room(b, 1, "101"), make_room(b, 1, "102", status="let"), make_room(b, 2, "201", rent=950, area=25)]
    Kiosk.objects.create(code="k1", name="一组终端", community=west.community, resident_group="第一居民小组",
                         location=point(60, 40))
    Camera.objects.create(community=west.community, code="C1", name="院门", location=point(60, 45),
                          mount_height_m=4, heading_deg=90, hfov_deg=80)
    return {"west": west, "east": east, "mesh": mesh, "building": b, "rooms": rooms}


from tests.browser import browser, open_page, page  # noqa: E402,F401  (fixtures for page tests)
from tests.servers import serve  # noqa: E402,F401  (the production server on the test database)


@pytest.fixture(autouse=True)
def _fresh_tile_store():
    """Tests share one process-wide (locmem) tile store: start each with no tiles and no extent."""
    from django.core.cache import caches

    from tiles import extent

    caches["tiles"].clear()
    caches["tiles_extent"].clear()
    extent._memo = None  # (kept only with a file store: tiles/extent.py)
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the product's default language (Chinese): a request handled in this
    process (LocaleMiddleware) or a test that switched to English leaves its language active on the
    thread, and a later test's message would then depend on which test ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
