"""Edits of buildings and rooms mark their community's 3D tiles dirty when the transaction commits."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from buildings.models import Building, Room

# Saving only these fields changes nothing the tiles show (vacancy is applied at run time).
_NOT_GEOMETRY = {"status", "updated_at", "rent_monthly", "capacity", "area_m2", "qr_token", "landlord",
                 "address", "room_count", "vacant_count"}


def _schedule(*community_ids, building_id=None):
    """On commit: mark these communities, and the one the building lies in by then (Building.save
    derives the community from the footprint after post_save), dirty and wake the builder."""

    def run():
        from model3d.background import request_rebuild

        ids = {c for c in community_ids if c}
        if building_id:
            ids |= set(Building.objects.filter(pk=building_id).values_list("community_id", flat=True))
        if ids:
            request_rebuild(ids)

    transaction.on_commit(run)


@receiver(pre_save, sender=Building, dispatch_uid="model3d_building_before")
def building_before(sender, instance, **kwargs):
    # A footprint moved into another community: that community's tiles lose the building.
    instance._model3d_old_community = (
        Building.objects.filter(pk=instance.pk).values_list("community_id", flat=True).first() if instance.pk else None)


@receiver([post_save, post_delete], sender=Building, dispatch_uid="model3d_building")
def building_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= _NOT_GEOMETRY:
        return
    _schedule(instance.community_id, getattr(instance, "_model3d_old_community", None), building_id=instance.pk)


@receiver([post_save, post_delete], sender=Room, dispatch_uid="model3d_room")
def room_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= _NOT_GEOMETRY:
        return
    _schedule(building_id=instance.building_id)
