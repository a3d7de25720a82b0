"""Edits of buildings and rooms mark the 3D tiles of the communities they were and are in dirty,
once the transaction has committed (gis_core/changes.py delivers every such edit, whatever made it:
a save, a delete, the importer, the seed)."""

from gis_core.changes import located_changed

# Changing only these changes nothing the tiles show (vacancy is applied at run time; which grid a
# building is in is not drawn).
_NOT_GEOMETRY = {"status", "updated_at", "rent_monthly", "capacity", "area_m2", "qr_token", "landlord",
                 "description", "publish_until", "retired_at",
                 "address", "room_count", "vacant_count", "community", "grid", "mesh"}
_MODELS = {"buildings.Building", "buildings.Room"}


def located(sender, change, **kwargs):
    if change.model not in _MODELS or change.only(_NOT_GEOMETRY):
        return
    from model3d.background import request_rebuild

    request_rebuild(change.communities)


located_changed.connect(located, dispatch_uid="model3d-located")
