"""Publishing until a day: manage.py expire_listings takes vacant rooms whose day has passed off the
market (set-based, reported to the change pipeline so the tiles follow), and leaves the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from buildings.models import Room
from tests.tiles_helpers import decode, url_at

pytestmark = pytest.mark.django_db


def test_expired_listings_leave_the_market_and_the_tiles(estate, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    Room.objects.filter(pk=estate.vacant.pk).update(publish_until=today - timedelta(days=1))
    Room.objects.filter(pk=estate.other_room.pk).update(publish_until=today)  # still published today
    Room.objects.filter(pk=estate.let.pk).update(publish_until=today - timedelta(days=9))  # let: untouched
    tile = url_at(60, 57, layer="rooms")
    assert decode(Client().get(tile))["rooms"][estate.vacant.pk]["status"] == "vacant"

    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_listings")
    statuses = dict(Room.objects.values_list("pk", "status"))
    assert (statuses[estate.vacant.pk], statuses[estate.other_room.pk], statuses[estate.let.pk]) == (
        "unavailable", "vacant", "let")
    assert decode(Client().get(tile))["rooms"][estate.vacant.pk]["status"] == "unavailable"
    assert AuditEntry.objects.filter(action="landlord", reason="listings_expired").count() == 1
    assert [r["id"] for r in Client().get("/api/vacant-rooms/", {"building": estate.building.code}).json()[
        "results"]] == []


def test_retired_rooms_leave_the_map(estate, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(estate.user)
    tile = url_at(60, 57, layer="rooms")
    assert estate.vacant.pk in decode(Client().get(tile))["rooms"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/my/r/{estate.vacant.pk}/retire/")
    assert estate.vacant.pk not in decode(Client().get(tile)).get("rooms", {})
    assert Room.objects.filter(pk=estate.vacant.pk).exists()  # history kept
