"""Fixtures of the 3D tests: a built model of eight buildings with lit (vacant) rooms."""

import pytest

from buildings.layout import relayout
from buildings.models import Landlord, Room
from model3d.build import build_community
from tests.factories import make_building


@pytest.fixture
def model(two_grids):
    community = two_grids[0].community
    landlord = Landlord(name="房东", phone="13800003333")
    landlord.record_consent(Landlord.ConsentMethod.KIOSK)
    landlord.save()
    buildings, rooms = [], []
    for i in range(8):
        x, y = 120 + 30 * (i % 4), 60 + 40 * (i // 4)
        b = make_building(f"M{i}", (x, y, x + 18, y + 12), floors=5, landlord=landlord)
        buildings.append(b)
        rooms += [Room(building=b, floor=f, number=f"{f}0{n}", capacity=2, rent_monthly=500 + 50 * f, area_m2=15,
                       status="vacant" if n == 1 else "let") for f in range(1, 6) for n in (1, 2, 3)]
    Room.objects.bulk_create(rooms)
    relayout([b.pk for b in buildings])
    build_community(community)
    return {"community": community, "buildings": buildings}


@pytest.fixture
def streets(model):
    """Basemap features over the model's community (0–400 × 0–200 m; buildings at x 120–228,
    y 60–112): a main road along y = 30, an alley at x = 100, a river along y = 175, a pond, the
    whole community residential, a courtyard wall with its main gate — and a road 5 km away that
    no answer about this community may carry."""
    from basemap.models import Barrier, Gate, Landuse, Place, Road, Water, Waterway
    from basemap.services import replace_extract
    from tests.factories import lonlat, mrect, point
    from django.contrib.gis.geos import LineString

    def line(*xy):
        return LineString([lonlat(x, y) for x, y in xy], srid=4326)

    def write(e):
        Road.objects.bulk_create([
            Road(extract_id=e, kind="primary", rank=1, name="滇池路", geom=line((-60, 30), (200, 30))),
            Road(extract_id=e, kind="primary", rank=1, name="滇池路", geom=line((200, 30), (460, 30))),
            Road(extract_id=e, kind="service", rank=4, name="", width_m=3.0, geom=line((100, 30), (100, 160))),
            Road(extract_id=e, kind="primary", rank=1, name="远方路", geom=line((5000, 0), (5200, 0))),
        ])
        Waterway.objects.create(extract_id=e, kind="river", name="船房河", geom=line((-60, 175), (460, 175)))
        Water.objects.create(extract_id=e, kind="pond", name="荷塘", geom=mrect(20, 120, 70, 150))
        Landuse.objects.create(extract_id=e, kind="residential", geom=mrect(0, 0, 400, 200))
        Barrier.objects.create(extract_id=e, kind="wall",
                               geom=line((110, 50), (240, 50), (240, 120), (110, 120), (110, 50)))
        Gate.objects.create(extract_id=e, kind="entrance_main", name="一院大门", main=True, geom=point(175, 50))
        Place.objects.create(extract_id=e, kind="neighbourhood", name="川坊村", geom=point(200, 140))

    replace_extract("streets", "test", write)
    return model
