"""Root pytest configuration: tests always run on the real PostGIS of DATABASE_URL.

`make test` starts the project-local cluster and exports DATABASE_URL; running pytest by hand
works the same way once the cluster is up (scripts/pg.sh ensure).
"""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    os.environ.setdefault("GIS_TESTING", "true")
    # Playwright's sync API keeps an event loop running in the test thread; the ORM calls that
    # tests make around page actions are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Tests (and the live server thread of page tests) share one process: an in-memory tile cache.
    os.environ.setdefault("TILE_CACHE", "locmem")
    if not os.environ.get("DATABASE_URL"):
        url = subprocess.run([str(ROOT / "scripts" / "pg.sh"), "url"], capture_output=True, text=True, check=True)
        os.environ["DATABASE_URL"] = url.stdout.strip()
