"""The feed pages by keyset: every row once across pages even when many share one timestamp (both
orders, registrations and check-outs); filters by grid, flag and date range; dates in local time
in a human form; the CSV export is streamed and holds the whole filtered set — more than 5,000
rows — formula-escaped and masked."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.models import AuditEntry
from residents.models import Tenancy
from tests.staff_helpers import client_for

pytestmark = pytest.mark.django_db


def _bulk_tenancies(room, n: int, *, registered_at, start, end=None, first=0) -> None:
    """n people and their tenancies in one statement each (sealed columns are opaque bytes here)."""
    with connection.cursor() as cur:
        cur.execute("""
            WITH p AS (
                INSERT INTO residents_person (name_sealed, id_number_sealed, id_number_index, name_masked,
                                              id_number_masked, sex, nation_code, region_code, created_at)
                SELECT '\\x00'::bytea, '\\x00'::bytea, sha256(('bulk' || i)::bytea), '批*', '530112**********' || lpad((i %% 100)::text, 2, '0'),
                       '1', '01', '530112', now()
                FROM generate_series(%(first)s, %(first)s + %(n)s - 1) i RETURNING id)
            INSERT INTO residents_tenancy (person_id, room_id, start_date, end_date, registered_via, registered_at)
            SELECT id, %(room)s, %(start)s, %(end)s, 'import', %(at)s FROM p""",
                    {"n": n, "first": first, "room": room.pk, "start": start, "end": end, "at": registered_at})


def _walk(client, params) -> list[int]:
    url, seen = "/police/feed/", []
    params = {**params, "format": "json"}
    while url:
        answer = client.get(url, params).json()
        seen += [r["tenancy"] for r in answer["results"]]
        url, params = answer["next"], {}
    return seen


def test_pages_hold_every_row_once_with_equal_timestamps(city):
    at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    _bulk_tenancies(city["rooms"]["w202"], 23, registered_at=at, start=timezone.localdate() - timedelta(days=1))
    police = client_for(city["users"]["police"])
    expected = list(Tenancy.objects.filter(registered_at__gte=timezone.now() - timedelta(days=7))
                    .order_by("-registered_at", "-pk").values_list("pk", flat=True))
    assert len(expected) >= 28
    for size in (1, 5, 7, 23):
        got = _walk(police, {"size": size})
        assert got == expected, size
        assert _walk(police, {"size": size, "order": "old"}) == expected[::-1], size
    # check-outs, paged on their (equal) end dates
    day = timezone.localdate() - timedelta(days=2)
    _bulk_tenancies(city["rooms"]["e101"], 9, registered_at=at - timedelta(days=30), start=day - timedelta(days=20),
                    end=day, first=1000)
    ended = list(Tenancy.objects.filter(end_date__gte=timezone.localdate() - timedelta(days=7))
                 .order_by("-end_date", "-pk").values_list("pk", flat=True))
    assert len(ended) == 9
    assert _walk(police, {"flag": "checked_out", "size": 4}) == ended
    # a standing state, paged on the (equal) move-in days of open tenancies
    _bulk_tenancies(city["rooms"]["e102"], 11, registered_at=at - timedelta(days=300),
                    start=day - timedelta(days=300), first=2000)
    long_stay = list(Tenancy.objects.past_six_months().order_by("-start_date", "-pk").values_list("pk", flat=True))
    assert len(long_stay) == 11
    assert _walk(police, {"flag": "six_months", "size": 3}) == long_stay
    assert _walk(police, {"flag": "six_months", "size": 3, "order": "old"}) == long_stay[::-1]
    # a bad position is a 400, not a 500
    assert police.get("/police/feed/", {"cursor": "x.y"}).status_code == 400
    assert police.get("/police/feed/", {"cursor": "99999999999999999999999.1"}).status_code == 400
    assert police.get("/police/feed/", {"size": "0"}).status_code == 400


def test_filters_by_grid_flag_and_date_range(city):
    police = client_for(city["users"]["police"])
    people = city["people"]
    old = timezone.now() - timedelta(days=40)
    Tenancy.objects.filter(pk=people["east"].pk).update(registered_at=old)
    def ids(**params):
        return set(_walk(police, params))

    recent = {people[k].pk for k in ("mover_now", "west_ok", "late", "crowd")}
    assert ids() == recent
    assert ids(grid=city["east"].code) == set()
    assert ids(grid=city["east"].code, **{"from": (timezone.localdate() - timedelta(days=45)).isoformat()}) == {people["east"].pk}
    day = timezone.localtime(old).date()
    assert ids(**{"from": day.isoformat(), "to": day.isoformat()}) == {people["east"].pk}
    assert ids(**{"from": (day + timedelta(days=1)).isoformat(), "to": (day + timedelta(days=2)).isoformat()}) == set()
    assert ids(flag="late") == {people["late"].pk, people["mover_now"].pk}  # both registered today
    assert ids(flag="checked_out", **{"from": (timezone.localdate() - timedelta(days=200)).isoformat()}) == \
        {people["mover_before"].pk}
    assert ids(flag="six_months") == set()
    assert police.get("/police/feed/", {"from": "2026-05-02", "to": "2026-05-01"}).status_code == 400
    assert police.get("/police/feed/", {"order": "sideways"}).status_code == 400
    # the page: local time in a human form, not ISO
    page = police.get("/police/feed/").content.decode()
    local = timezone.localtime(people["late"].registered_at)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in page
    assert local.isoformat(timespec="seconds") not in page


def test_csv_export_is_streamed_whole_masked_and_formula_escaped(city):
    building = city["buildings"]["w"]
    type(building).objects.filter(pk=building.pk).update(address="=HYPERLINK(\"x\")")
    at = timezone.now() - timedelta(hours=2)
    _bulk_tenancies(city["rooms"]["w202"], 5200, registered_at=at, start=timezone.localdate() - timedelta(days=1))
    police = client_for(city["users"]["police"])
    response = police.get("/police/feed.csv", {"reason": "年度核查", "grid": city["west"].code})
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 5200 + 4  # the bulk tenants and the four registered this week in the west
    assert len({r["tenancy"] for r in rows}) == len(rows)
    assert all(r["address"].startswith("'=") for r in rows)
    assert all("*" in r["id_number"] for r in rows)
    assert rows[0]["registered_at"] >= rows[-1]["registered_at"]  # newest first, local "YYYY-MM-DD HH:MM:SS"
    datetime.strptime(rows[0]["registered_at"], "%Y-%m-%d %H:%M:%S")
    export = AuditEntry.objects.get(action="export")
    assert export.detail["rows"] == 5204 and export.reason == "年度核查" and export.detail["grid"] == city["west"].code


def test_dates_in_the_range_are_local_days(city, settings):
    """A registration at 23:30 local time on a day belongs to that day, whatever the UTC date."""
    police = client_for(city["users"]["police"])
    day = timezone.localdate() - timedelta(days=3)
    late_evening = timezone.make_aware(datetime.combine(day, time(23, 30)))
    Tenancy.objects.filter(pk=city["people"]["west_ok"].pk).update(registered_at=late_evening)
    got = set(_walk(police, {"from": day.isoformat(), "to": day.isoformat()}))
    assert got == {city["people"]["west_ok"].pk}
