"""Key rotation: re-seal every sealed value under the newest resident-data key.

Put the new key first in GIS_RESIDENT_DATA_KEYS (`2:new…,1:old…`), restart, run this command;
it reports how many values were re-sealed and how many were already current. It is safe to run
again (and to interrupt: each batch commits on its own). A person's blind index is recomputed
under the new key with their data (look-ups try every configured key meanwhile), so once it has
run the old key can be removed from the list.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from registration.models import KioskCredential
from residents import crypto
from residents.models import Person, PersonPhoto

# (model, {column: field name bound as associated data})
SEALED = [
    (Person, {"name_sealed": "name", "id_number_sealed": "id_number", "address_sealed": "address",
              "phone_sealed": "phone"}),
    (PersonPhoto, {"image_sealed": "photo"}),
    (KioskCredential, {"secret_sealed": "kiosk_secret"}),
]


class Command(BaseCommand):
    help = "Re-seal tenants' personal data and kiosk secrets under the newest key; reports counts."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, batch, **options):
        current = crypto.keyring().current
        for model, columns in SEALED:
            resealed = current_already = 0
            last = 0
            while True:
                with transaction.atomic():
                    fields = [*columns, *(["id_number_index"] if model is Person else [])]
                    rows = list(model.objects.select_for_update().filter(pk__gt=last).order_by("pk")
                                .only("pk", *fields)[:batch])
                    if not rows:
                        break
                    changed = []
                    for row in rows:
                        stale = False
                        for column, field in columns.items():
                            value = getattr(row, column)
                            if value is None:
                                continue
                            if bytes(value)[0] == current:
                                continue
                            setattr(row, column, crypto.seal(field, crypto.open_bytes(field, value)))
                            stale = True
                        if model is Person:
                            index = crypto.blind_index("id_number", crypto.open_text("id_number",
                                                                                      row.id_number_sealed))
                            if bytes(row.id_number_index) != index:
                                row.id_number_index, stale = index, True
                        if stale:
                            changed.append(row)
                        else:
                            current_already += 1
                    if changed:
                        model.objects.bulk_update(changed, fields)
                    resealed += len(changed)
                    last = rows[-1].pk
            self.stdout.write(f"{model._meta.label}: {resealed} re-sealed under key {current}, "
                              f"{current_already} already current")
