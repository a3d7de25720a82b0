"""The ID-card reader agent that runs on a kiosk PC next to the reader.

Pure Python (standard library only, no Django): `python -m kiosk.agent --help`.

* `record`  — parse the reader's 256-byte UCS-2LE text record and serial frames;
* `signing` — the request signature shared with the server (per-kiosk secret, timestamp, nonce);
* `spool`   — a durable local queue (SQLite) so a reading survives a dropped network or a crash;
* `client`  — send queued readings, retry safely (each reading carries its own idempotency key).
"""
