import pytest

from tests.factories import make_building, make_community, make_grid


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


from tests.browser import browser, open_page, page  # noqa: E402,F401  (fixtures for page tests)


@pytest.fixture(autouse=True)
def _fresh_tile_store():
    """Tests share one process-wide (locmem) tile store: start each with no tiles and no extent."""
    from django.core.cache import caches

    from tiles import extent

    caches["tiles"].clear()
    caches["tiles_extent"].clear()
    extent._memo = None  # (kept only with a file store: tiles/extent.py)
    yield
