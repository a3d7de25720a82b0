"""The police lookup finds a person by ID number through the blind index and leaves no plaintext
number anywhere: not in any database table (the audit log included), not in any log record (SQL
with its parameters included), not in the audit entry; the number never travels in an address."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from audit.models import AuditEntry
from tests.idcard_helpers import id_number
from tests.staff_helpers import client_for

pytestmark = pytest.mark.django_db


def _tables_containing(needle: str) -> list[str]:
    """Every table of the database whose rows, as text, hold the needle (bytea shows as hex)."""
    hex_needle = needle.encode().hex()
    with connection.cursor() as cur:
        cur.execute("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables"
                    " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")
        tables = [r[0] for r in cur.fetchall()]
        found = []
        for table in tables:
            cur.execute(f"SELECT count(*) FROM {table} t WHERE t::text LIKE %s OR t::text LIKE %s",  # noqa: S608
                        [f"%{needle}%", f"%{hex_needle}%"])
            if cur.fetchone()[0]:
                found.append(table)
    return found


@pytest.fixture
def all_logs(caplog):
    """Every log record at DEBUG, SQL statements with their parameters included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own loggers stop at INFO otherwise
    old = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = old


def test_lookup_finds_the_person_and_keeps_no_plaintext_number(city, all_logs):
    number = id_number(11)
    stranger = id_number(999)  # valid, registered nowhere
    assert _tables_containing(number) == [] and _tables_containing(stranger) == []  # sealed at check-in
    all_logs.clear()  # (the scan's own statements hold the number)
    police = client_for(city["users"]["police"])
    found = police.post("/police/lookup/", {"id_number": number.lower(), "reason": "案件核查需要"})
    assert found.status_code == 200
    page = found.content.decode()
    assert city["people"]["mover_now"].person.id_number_masked in page and number not in page
    assert f"/police/rooms/{city['rooms']['w101'].pk}/" in page and f"/police/rooms/{city['rooms']['e101'].pk}/" in page
    missing = police.post("/police/lookup/", {"id_number": stranger, "reason": "协查通报比对"})
    assert missing.status_code == 404 and "没有找到" in missing.content.decode()
    bad = police.post("/police/lookup/", {"id_number": number[:17] + "0", "reason": "案件核查需要"})
    assert bad.status_code == 400 and number[:17] not in bad.content.decode() and number[6:14] not in bad.content.decode()
    assert police.post("/police/lookup/", {"id_number": number, "reason": ""}).status_code == 400
    assert police.get("/police/lookup/", {"id_number": number}).status_code == 405  # never in an address

    # the audit entries: who, why, whom — and no number
    entries = list(AuditEntry.objects.filter(action="lookup").order_by("id"))
    assert [(e.actor, e.reason, e.person_id, e.detail["found"]) for e in entries] == [
        ("police", "案件核查需要", city["people"]["mover_now"].person_id, True), ("police", "协查通报比对", None, False)]
    for e in entries:
        text = f"{e.reason} {e.detail} {e.actor} {e.kiosk}"
        assert number not in text and stranger not in text and number[6:14] not in text
    assert entries[0].detail["digest"] != entries[1].detail["digest"]
    # nothing in any log record, nothing in any table
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'params', '')!r} {getattr(r, 'sql', '')!r}"
                       for r in all_logs.records)
    assert "SELECT" in logged  # the capture did see the statements
    for n in (number, stranger, number.lower()):
        assert n not in logged and n.encode().hex() not in logged
    assert _tables_containing(number) == [] and _tables_containing(stranger) == []
