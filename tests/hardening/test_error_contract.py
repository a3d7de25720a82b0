"""The one error contract (gis_core/http_errors.py): one body shape, constraint messages instead
of database text, the request's language, resident data keys checked at start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from buildings.models import Room
from gis_core.api.exceptions import handler
from gis_core.errors import Conflict, NotFound
from gis_core.http_errors import as_domain_error
from tests.factories import make_building, make_room

ROOT = Path(__file__).resolve().parents[2]


def test_drf_handler_answers_a_domain_error_with_detail_and_fields():
    response = handler(Conflict("版本已过期", your_version=3), {})
    assert response.status_code == 409
    assert response.data == {"detail": "版本已过期", "your_version": 3}


@pytest.mark.parametrize("url, status", [
    ("/tiles/19/0/0.mvt", 404),            # tiles (was {"error"})
    ("/tiles/nonsense", 400),
    ("/tiles/3d/999999999999/tileset.json", 404),  # 3D (was {"error"})
    ("/api/planner/grids/", 403),           # DRF
])
def test_every_json_error_has_detail(anon, community, url, status):
    response = anon.get(url)
    assert response.status_code == status, url
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"] and "error" not in body


def test_plain_view_domain_error_is_a_page_for_browsers_and_json_for_programs(admin_client, community):
    # qrcodes' SelectionError is a DomainError raised in a plain Django view
    page = admin_client.get("/qr/sheet/?grid=999999999999999", HTTP_ACCEPT="text/html")
    assert 400 <= page.status_code < 500 and page["Content-Type"].startswith("text/html")
    assert b"<h1>" in page.content
    data = admin_client.get("/qr/sheet/?grid=999999999999999", HTTP_ACCEPT="application/json")
    assert data.status_code == page.status_code and data.json()["detail"]


def test_integrity_error_answers_the_constraints_message_never_database_text(two_grids):
    b = make_building("B-9", (10, 10, 30, 30))
    make_room(b, 1, "101")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Room.objects.bulk_create([Room(building=b, floor=1, number="101", capacity=1, area_m2=10, rent_monthly=1)])
    for lang, expected in (("zh-hans", "同一楼栋同一层不能有相同房号"), ("en", "Room number already used")):
        with translation.override(lang):
            error = as_domain_error(caught.value)
            body = error.body()
        assert error.status == 409 and expected in body["detail"], body
        assert "duplicate key" not in json.dumps(body) and "room_unique_number_per_floor" not in body["detail"]


def test_unknown_constraint_gets_a_generic_409():
    class Cause(Exception):
        class diag:  # noqa: N801  (psycopg's shape)
            constraint_name = "some_unknown_constraint"

    exc = IntegrityError("duplicate key value violates unique constraint …DETAIL: Key (x)=(secret)")
    exc.__cause__ = Cause()
    error = as_domain_error(exc)
    assert error.status == 409 and "secret" not in error.body()["detail"]


@pytest.mark.parametrize("lang, expected", [("zh-hans", "须为 0 到"), ("en", "whole number from 0")])
def test_api_errors_answer_in_the_requests_language(anon, community, lang, expected):
    response = anon.get("/api/buildings/?limit=99999999999999999999", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert expected in response.json()["detail"], response.json()


def test_not_found_is_a_domain_error_too():
    assert NotFound("x").status == 404 and NotFound("x").body() == {"detail": "x"}


def _settings_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_RESIDENT_DATA_KEYS")}
    env.update(DJANGO_SETTINGS_MODULE="project.settings", GIS_TESTING="false", DJANGO_DEBUG="false", **extra)
    return env


@pytest.mark.parametrize("keys, says", [
    ("not-a-key", "id:base64key"),
    ("1:c2hvcnQ=", "32 bytes"),
    ("300:" + "A" * 43 + "=", "1–255"),
])
def test_malformed_resident_data_keys_stop_the_start(keys, says):
    run = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True,
                         text=True, env=_settings_env(GIS_RESIDENT_DATA_KEYS=keys), timeout=60)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "GIS_RESIDENT_DATA_KEYS" in run.stderr and says in run.stderr


def test_good_resident_data_keys_start():
    run = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True,
                         text=True, env=_settings_env(GIS_RESIDENT_DATA_KEYS="1:" + "A" * 43 + "="), timeout=60)
    assert run.returncode == 0, run.stderr
