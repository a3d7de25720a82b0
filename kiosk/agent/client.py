"""Send queued readings to the server, signed, and retry safely.

Transient failures (no network, timeout, HTTP 5xx, 429, and 401 — a clock or secret problem the
operator can fix) leave the reading pending for the next attempt; any other answer is final and
is recorded. Resending is safe because the server applies each `reading_id` at most once.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from kiosk.agent import signing
from kiosk.agent.record import parse_record
from kiosk.agent.spool import Spool

READINGS_PATH = "/api/kiosk/readings/"
RETRYABLE = {401, 408, 425, 429, 500, 502, 503, 504}
MAX_PHOTO_BYTES = 64 * 1024


@dataclass
class Outcome:
    reading_id: str
    status: int | None  # None: not delivered (kept pending)
    body: dict | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and self.status not in RETRYABLE


class Agent:
    def __init__(self, server: str, kiosk: str, secret: str, spool: Spool, *, timeout: float = 10.0):
        self.server = server.rstrip("/")
        self.kiosk = kiosk
        self.secret = secret
        self.spool = spool
        self.timeout = timeout

    # -- queueing -------------------------------------------------------------------------
    def submit(self, record: bytes, photo: bytes | None = None) -> str:
        """Check the record locally, queue it durably and return its reading id."""
        parse_record(record)  # raises RecordError for anything that is not a record
        if photo is not None and len(photo) > MAX_PHOTO_BYTES:
            raise ValueError(f"the photo is larger than {MAX_PHOTO_BYTES} bytes: send the decoded BMP/JPEG")
        payload = {
            "record": base64.b64encode(record).decode(),
            "photo": base64.b64encode(photo).decode() if photo else None,
            "read_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        return self.spool.add(payload)

    # -- sending --------------------------------------------------------------------------
    def send_one(self, reading_id: str, body: bytes) -> Outcome:
        path = urlsplit(self.server).path.rstrip("/") + READINGS_PATH
        headers = {"Content-Type": "application/json",
                   **signing.sign(self.kiosk, self.secret, "POST", path, body)}
        request = urllib.request.Request(self.server + READINGS_PATH, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            self.spool.attempted(reading_id, f"network: {exc}")
            return Outcome(reading_id, None, None, f"network: {exc}")
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {"detail": raw[:200].decode(errors="replace")}
        if status in RETRYABLE:
            self.spool.attempted(reading_id, f"HTTP {status}: {answer.get('detail', '')}")
            return Outcome(reading_id, status, answer, f"HTTP {status}")
        self.spool.answered(reading_id, status, json.dumps(answer, ensure_ascii=False))
        return Outcome(reading_id, status, answer)

    def flush(self) -> list[Outcome]:
        """Try every pending reading once, oldest first; stop at the first network failure."""
        outcomes = []
        for reading_id, body in self.spool.pending():
            outcome = self.send_one(reading_id, body)
            outcomes.append(outcome)
            if outcome.status is None:
                break
        return outcomes

    def flush_until_empty(self, deadline_s: float = 60.0, backoff=(0.5, 1, 2, 5, 10)) -> list[Outcome]:
        """Retry with back-off until nothing is pending or the deadline passes."""
        outcomes: list[Outcome] = []
        end = time.monotonic() + deadline_s
        attempt = 0
        while True:
            outcomes += self.flush()
            if not self.spool.pending() or time.monotonic() >= end:
                return outcomes
            time.sleep(min(backoff[min(attempt, len(backoff) - 1)], max(end - time.monotonic(), 0)))
            attempt += 1
