"""A durable local queue of readings (SQLite, synchronous=FULL): a reading is written here before
anything is sent, so neither a dropped network nor a crash loses it. Each reading has a random
idempotency key (`reading_id`) that the server uses to apply it at most once, however often the
agent resends it. Once the server has answered for good, the card data is erased from the spool
and only the outcome is kept."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    reading_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    payload TEXT,                       -- the request body; NULL once answered (no card data kept)
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    status INTEGER,
    result TEXT
)"""


class Spool:
    def __init__(self, path: str):
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # Erased card data is overwritten on disk, not just unlinked from the b-tree (the platform's
        # SQLite may be built without SQLITE_SECURE_DELETE).
        self.db.execute("PRAGMA secure_delete=ON")
        self.db.execute(SCHEMA)

    def close(self):
        self.db.close()

    def add(self, payload: dict) -> str:
        reading_id = payload.get("reading_id") or uuid.uuid4().hex
        payload = {**payload, "reading_id": reading_id}
        self.db.execute("INSERT INTO readings (reading_id, created_at, payload) VALUES (?, ?, ?)",
                        (reading_id, time.time(), json.dumps(payload, ensure_ascii=False)))
        return reading_id

    def pending(self) -> list[tuple[str, bytes]]:
        rows = self.db.execute(
            "SELECT reading_id, payload FROM readings WHERE state = 'pending' ORDER BY created_at").fetchall()
        return [(rid, payload.encode()) for rid, payload in rows]

    def attempted(self, reading_id: str, error: str) -> None:
        self.db.execute("UPDATE readings SET attempts = attempts + 1, last_error = ? WHERE reading_id = ?",
                        (error, reading_id))

    def answered(self, reading_id: str, status: int, result: str) -> None:
        state = "done" if 200 <= status < 300 else "rejected"
        self.db.execute(
            "UPDATE readings SET state = ?, status = ?, result = ?, payload = NULL, attempts = attempts + 1, "
            "last_error = NULL WHERE reading_id = ?", (state, status, result, reading_id))
        # The page images in the write-ahead log still hold the card data: fold them into the
        # (securely overwritten) database file and empty the log.
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def get(self, reading_id: str) -> dict | None:
        cur = self.db.execute("SELECT * FROM readings WHERE reading_id = ?", (reading_id,))
        row = cur.fetchone()
        return None if row is None else dict(zip([c[0] for c in cur.description], row))

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, count(*) FROM readings GROUP BY state").fetchall())
