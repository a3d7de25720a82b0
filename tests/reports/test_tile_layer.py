"""The staff-only `reports` tile layer: open reports by category and age; a sensitive category's
reports drawn only at their mesh's label point; tiles follow changes at once."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model

from reports.models import Category, Report
from reports.services import create_report
from tests.factories import point
from tests.tiles_helpers import decode, tile_of

Z = 18
WORLD = 20037508.342789244


def url_for(p3857, layer="reports"):
    lonlat = p3857.transform(4326, clone=True)
    x, y = tile_of(lonlat.x, lonlat.y, Z)
    return f"/tiles/{layer}/{Z}/{x}/{y}.mvt" if layer else f"/tiles/{Z}/{x}/{y}.mvt", (x, y)


def positions(response, xy) -> dict:
    """Feature id → EPSG:3857 position of a point layer's features."""
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    size = 2 * WORLD / 2**Z
    x0, y0 = -WORLD + xy[0] * size, WORLD - (xy[1] + 1) * size
    out = {}
    for f in mapbox_vector_tile.decode(body).get("reports", {}).get("features", []):
        px, py = f["geometry"]["coordinates"]
        out[f["id"]] = (x0 + px / 4096 * size, y0 + py / 4096 * size)
    return out


@pytest.fixture
def staff(client, db):
    client.force_login(get_user_model().objects.create_user("s", password="pw-for-tests-only", is_staff=True))
    return client


def test_open_reports_by_category_and_age_for_staff_only(client, mesh_scene, django_capture_on_commit_callbacks):
    r = create_report(category_code="sanitation", location=point(60, 40), description="垃圾")
    r.refresh_from_db()
    url, xy = url_for(r.location_3857)
    assert client.get(url).status_code == 403  # anonymous
    assert "reports" not in decode(client.get(url_for(r.location_3857, layer=None)[0]))  # nor in the public tile
    client.force_login(get_user_model().objects.create_user("s", password="pw-for-tests-only", is_staff=True))
    props = decode(client.get(url))["reports"][r.pk]
    assert props == {"category": "sanitation", "category_name": "环境卫生", "status": "new", "level": "grid",
                     "age_days": 0, "precision": "point"}
    (x, y), = positions(client.get(url), xy).values()
    assert abs(x - r.location_3857.x) < 0.1 and abs(y - r.location_3857.y) < 0.1
    # Closed (here: merged) reports leave the layer, and the cached tile goes with them.
    with django_capture_on_commit_callbacks(execute=True):
        r.status = Report.Status.CLOSED
        r.save(update_fields=["status"])
    assert r.pk not in decode(client.get(url)).get("reports", {})


def test_sensitive_category_only_at_mesh_level(staff, mesh_scene, django_capture_on_commit_callbacks):
    mesh = mesh_scene["mesh"]
    mesh.refresh_from_db()
    r = create_report(category_code="dispute", location=point(20, 90), description="邻里吵架")
    r.refresh_from_db()
    assert r.mesh == mesh and Category.objects.get(code="dispute").sensitive
    own_url, own_xy = url_for(r.location_3857)
    mesh_url, mesh_xy = url_for(mesh.label_3857)
    assert own_xy != mesh_xy  # the report's own tile is not the mesh point's tile
    assert r.pk not in decode(staff.get(own_url)).get("reports", {})
    props = decode(staff.get(mesh_url))["reports"][r.pk]
    assert props["precision"] == "mesh" and props["category"] == "dispute"
    x, y = positions(staff.get(mesh_url), mesh_xy)[r.pk]
    assert abs(x - mesh.label_3857.x) < 0.1 and abs(y - mesh.label_3857.y) < 0.1
    # The category made ordinary: the report moves to its own point at once (cached tiles go).
    with django_capture_on_commit_callbacks(execute=True):
        c = Category.objects.get(code="dispute")
        c.sensitive = False
        c.save()
    assert r.pk not in decode(staff.get(mesh_url)).get("reports", {})
    assert decode(staff.get(own_url))["reports"][r.pk]["precision"] == "point"


def test_a_status_change_of_a_sensitive_report_refreshes_the_mesh_tile(staff, mesh_scene,
                                                                        django_capture_on_commit_callbacks):
    mesh = mesh_scene["mesh"]
    mesh.refresh_from_db()
    r = create_report(category_code="dispute", location=point(20, 90), description="邻里吵架")
    mesh_url, _xy = url_for(mesh.label_3857)
    assert decode(staff.get(mesh_url))["reports"][r.pk]["status"] == "new"
    with django_capture_on_commit_callbacks(execute=True):
        r.status = Report.Status.RESOLVED
        r.save(update_fields=["status"])
    assert r.pk not in decode(staff.get(mesh_url)).get("reports", {})
