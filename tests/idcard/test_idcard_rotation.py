"""Key rotation: the command re-seals everything under the newest key and reports counts; the old
key is then no longer needed to open anything, and blind-index look-ups keep working."""

import base64
import os
from io import StringIO

import pytest
from django.core.management import call_command

from registration.models import KioskCredential
from residents import crypto
from residents.models import Person, PersonPhoto
from tests.idcard_helpers import BMP, make_kiosk

OLD = "1:" + base64.b64encode(os.urandom(32)).decode()
NEW = "2:" + base64.b64encode(os.urandom(32)).decode()


@pytest.mark.django_db
def test_rotation_reseals_and_reports(settings, community):
    settings.RESIDENT_DATA_KEYS = OLD
    people = []
    for n, number in enumerate(["11010519491231002X", "530112199001010011"]):
        p = Person.build(name=f"李{n}", id_number=number, sex="2" if n == 0 else "1", phone="13800000000")
        p.save()
        people.append(p)
    PersonPhoto.objects.create(person=people[0], image_sealed=crypto.seal("photo", BMP))
    kiosk, secret = make_kiosk(community)

    settings.RESIDENT_DATA_KEYS = f"{NEW},{OLD}"  # the new key first: it seals, both open
    out = StringIO()
    call_command("reseal_resident_data", stdout=out)
    report = out.getvalue()
    assert "residents.Person: 2 re-sealed under key 2, 0 already current" in report
    assert "residents.PersonPhoto: 1 re-sealed" in report and "registration.KioskCredential: 1 re-sealed" in report
    again = StringIO()
    call_command("reseal_resident_data", stdout=again)
    assert "residents.Person: 0 re-sealed under key 2, 2 already current" in again.getvalue()

    p = Person.objects.get(pk=people[0].pk)
    assert bytes(p.name_sealed)[0] == 2 and bytes(p.phone_sealed)[0] == 2 and p.address_sealed is None
    assert p.unseal_name() == "李0" and p.unseal_id_number() == "11010519491231002X"
    assert crypto.open_bytes("photo", PersonPhoto.objects.get().image_sealed) == BMP
    assert KioskCredential.objects.get().secret() == secret
    assert Person.find_by_id_number("530112199001010011").pk == people[1].pk  # blind index still works
    # The new key alone opens everything now (the old key can no longer be needed to decrypt).
    ring = crypto._parse(NEW)
    assert all(bytes(v)[0] in ring.keys for v in Person.objects.values_list("id_number_sealed", flat=True))


@pytest.mark.django_db
def test_after_rotation_the_old_key_can_go_and_nobody_is_split_in_two(settings, building):
    """Before re-sealing, look-ups find people indexed under the old key; re-sealing re-indexes
    them under the new one, so with the old key removed a returning tenant is still one person."""
    from residents import services
    from residents.models import Tenancy
    from tests.factories import make_room

    rooms = [make_room(building, 1, f"10{i}", capacity=2) for i in range(3)]
    data = services.PersonData(name="王五", id_number="11010519491231002X", sex="2")
    settings.RESIDENT_DATA_KEYS = OLD
    first, _ = services.check_in(rooms[0].pk, data, via="staff")
    services.check_out(rooms[0].pk, tenancy_id=first.pk)

    settings.RESIDENT_DATA_KEYS = f"{NEW},{OLD}"  # rotated, not yet re-sealed
    assert Person.find_by_id_number(data.id_number).pk == first.person.pk
    second, _ = services.check_in(rooms[1].pk, data, via="staff")
    assert second.person.pk == first.person.pk
    services.check_out(rooms[1].pk, data.id_number)  # by ID number, found under the old index

    call_command("reseal_resident_data", stdout=StringIO())
    person = Person.objects.get()
    assert bytes(person.id_number_index) == crypto.blind_index("id_number", data.id_number)
    settings.RESIDENT_DATA_KEYS = NEW  # the old key removed
    third, created = services.check_in(rooms[2].pk, data, via="staff")
    assert created and third.person.pk == person.pk and Person.objects.count() == 1
    assert Tenancy.objects.filter(person=person).count() == 3
    assert Person.objects.get().unseal_id_number() == data.id_number
