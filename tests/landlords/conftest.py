"""Two landlords, each with a building and rooms, and their accounts (tests of /my/)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from buildings.models import Landlord
from tests.factories import make_building, make_room

PASSWORD = "landlord-pw-4711"


@dataclass
class Estate:
    mine: object
    theirs: object
    building: object
    other_building: object
    vacant: object
    let: object
    other_room: object
    tenancy: object
    user: object
    other_user: object


def landlord_user(username: str, landlord: Landlord):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    grant(user, Role.LANDLORD)
    StaffProfile.objects.create(user=user, landlord=landlord)
    return user


@pytest.fixture
def estate(two_grids):
    from residents.models import Person, Tenancy

    mine = Landlord.objects.create(name="王房东", phone="13800001111")
    theirs = Landlord.objects.create(name="李房东", phone="13900002222")
    building = make_building("A-1", (50, 50, 70, 65), floors=3, landlord=mine)
    other = make_building("B-1", (120, 50, 140, 65), floors=3, landlord=theirs)
    vacant = make_room(building, 1, "101")
    let = make_room(building, 1, "102", status="let")
    other_room = make_room(other, 1, "101")
    person = Person.build(name="张小花", id_number="11010519491231002X", sex="2", phone="13700000000")
    person.save()
    tenancy = Tenancy.objects.create(person=person, room=let, start_date="2026-01-01", registered_via="staff")
    return Estate(mine, theirs, building, other, vacant, let, other_room, tenancy,
                  landlord_user("landlord-a", mine), landlord_user("landlord-b", theirs))


def jpeg(size=(2400, 1800), *, exif=True, colour=(180, 120, 60)) -> bytes:
    """A JPEG with EXIF (GPS position, camera make) like a phone's photo."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    if exif:
        e = Image.Exif()
        e[0x010F] = "PhoneMaker"      # Make
        e[0x0110] = "Model X"         # Model
        e[0x8825] = {1: "N", 2: (25.0, 1.0, 48.0), 3: "E", 4: (102.0, 39.0, 36.0)}  # GPS IFD
        image.save(out, "JPEG", exif=e.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()
