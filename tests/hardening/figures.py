"""Counts of what the hardening tests actually did (bad inputs sent, generated requests), written at
the end of the run to test-artifacts/hardening-figures.json; docs/administrator.md quotes them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "hardening-figures.json"
COUNTS: Counter = Counter()


def count(kind: str, n: int = 1) -> None:
    COUNTS[kind] += n


def write() -> None:
    if not COUNTS:
        return
    ARTIFACT.parent.mkdir(exist_ok=True)
    previous = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    ARTIFACT.write_text(json.dumps({**previous, **COUNTS}, indent=1, sort_keys=True))
