"""Edits of buildings and rooms mark their community's 3D tiles dirty when the transaction commits."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from buildings.models import Building, Room

# Saving only these fields changes nothing the tiles show (vacancy is applied at run time).
_NOT_GEOMETRY = {"status", "updated_at", "rent_monthly", "capacity", "area_m2", "qr_token", "landlord",
                 "address", "room_count", "vacant_count"}


def _schedule(community_id):
    if community_id:
        from model3d.background import request_rebuild

        transaction.on_commit(lambda: request_rebuild([community_id]))


@receiver([post_save, post_delete], sender=Building, dispatch_uid="model3d_building")
def building_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= _NOT_GEOMETRY:
        return
    _schedule(instance.community_id)


@receiver([post_save, post_delete], sender=Room, dispatch_uid="model3d_room")
def room_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= _NOT_GEOMETRY:
        return
    community_id = Building.objects.filter(pk=instance.building_id).values_list("community_id", flat=True).first()
    _schedule(community_id)
