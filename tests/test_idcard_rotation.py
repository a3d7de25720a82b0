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
