"""Defaults for commands run by hand inside a checkout that `make run`/`make test` has set up.

`make` exports DATABASE_URL (the project-local cluster), DJANGO_SECRET_KEY_FILE and
GIS_RESIDENT_DATA_KEYS_FILE. Someone who types `.venv/bin/python manage.py import_buildings …`
in the same checkout expects the same database and keys. So `manage.py` (and only it: the WSGI
entry point and the Docker image never call this) fills in what the environment leaves unset,
from what `make` created under var/:

- DATABASE_URL: the local cluster's URL, only if the cluster exists (var/pg/PG_VERSION);
- DJANGO_SECRET_KEY_FILE / GIS_RESIDENT_DATA_KEYS_FILE: var/secret_key and var/data_keys, only
  if those files exist.

Nothing insecure becomes a default: no key is invented here, explicit settings always win, and
outside a set-up checkout (no var/ files) the settings stay as strict as in production.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def local_cluster_url(env=os.environ) -> str:
    """The URL `scripts/pg.sh url` prints, from the same variables and defaults (a test holds them together)."""
    user = env.get("PGLOCAL_USER", "gis")
    port = env.get("PGLOCAL_PORT", "5544")
    db = env.get("PGLOCAL_DB", "gis")
    return f"postgis://{user}@127.0.0.1:{port}/{db}"


def apply_defaults(environ=os.environ, root: Path = ROOT) -> dict[str, str]:
    """Fill unset variables from the checkout's var/; returns what was filled in."""
    var = Path(environ.get("PGLOCAL_DIR") or environ.get("GIS_VAR_DIR") or root / "var")
    filled: dict[str, str] = {}
    candidates = {
        "DATABASE_URL": local_cluster_url(environ) if (var / "pg" / "PG_VERSION").exists() else None,
        "DJANGO_SECRET_KEY_FILE": str(var / "secret_key") if (var / "secret_key").is_file() else None,
        "GIS_RESIDENT_DATA_KEYS_FILE": str(var / "data_keys") if (var / "data_keys").is_file() else None,
    }
    given = {"DJANGO_SECRET_KEY_FILE": "DJANGO_SECRET_KEY", "GIS_RESIDENT_DATA_KEYS_FILE": "GIS_RESIDENT_DATA_KEYS"}
    for name, value in candidates.items():
        if value is None or environ.get(name) or environ.get(given.get(name, name)):
            continue
        environ[name] = filled[name] = value
    return filled
