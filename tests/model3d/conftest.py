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
