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
