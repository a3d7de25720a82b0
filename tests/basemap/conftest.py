import pytest

from tests.basemap.osm import village


@pytest.fixture
def village_pbf(tmp_path):
    return village().write(tmp_path / "village.osm.pbf")


@pytest.fixture
def imported(transactional_db, village_pbf):
    """The village extract imported (osm2pgsql writes through its own connection: committed data)."""
    from basemap.importer import import_extract

    return import_extract(village_pbf, name="village", progress=lambda line: None)


@pytest.fixture
def village_community(imported):
    """A community over the imported village (pages fit their view to the communities)."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from gis_core.models import Community
    from tests.basemap.osm import ll

    ring = [ll(x, y) for x, y in ((-280, -200), (280, -200), (280, 250), (-280, 250), (-280, -200))]
    return Community.objects.create(code="530112001001", name="川坊社区",
                                    boundary=MultiPolygon(Polygon(ring, srid=4326), srid=4326))


@pytest.fixture
def village_over_two_grids(transactional_db, two_grids, tmp_path):
    """The village laid over the factories' two grids (0–400 × 0–200 m): its main road at y = 100 m,
    the alley at x = 200 m, the river at x ≈ 400–430 m."""
    from basemap.importer import import_extract
    from tests.basemap.osm import village
    from tests.factories import lonlat

    pbf = village(to_lonlat=lonlat, shift=(200, 100)).write(tmp_path / "over-grids.osm.pbf")
    import_extract(pbf, name="village", progress=lambda line: None)
    return two_grids
