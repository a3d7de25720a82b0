"""Cesium ion, only when an operator sets CESIUM_ION_TOKEN (deployments with internet).

Offline is the default and stays so: without the token no page names ion and no command calls
it (the browser tests prove zero outside requests). With it:
- the 3D viewer and the kiosk's 3D mode draw ion's world terrain and imagery under our own
  tileset (client_config(), read by model3d/static/model3d/village3d.js);
- `manage.py publish_3dtiles --ion` uploads our tileset as an ion asset through ion's documented
  REST flow (publish.py).
"""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    return bool(settings.CESIUM_ION_TOKEN)


def client_config() -> dict | None:
    """What the browser needs to draw ion terrain and imagery; None offline."""
    if not enabled():
        return None
    return {"token": settings.CESIUM_ION_CLIENT_TOKEN or settings.CESIUM_ION_TOKEN,
            "server": settings.CESIUM_ION_API, "terrain": settings.CESIUM_ION_TERRAIN,
            "imagery": settings.CESIUM_ION_IMAGERY_ASSET}
