"""Every documented `manage.py` command works as written, in a bare shell inside the checkout.

`make` exports the local cluster's URL and the key files; `manage.py` finds the same defaults
itself (project/checkout.py), and only those that `make` created: explicit settings win, and
nothing is invented outside a set-up checkout.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from project.checkout import apply_defaults, local_cluster_url

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"(?:^|[\s`(])(?:\.venv/bin/python\s+)?manage\.py\s+([a-z_0-9]+)")


def documented_commands() -> list[tuple[str, str]]:
    found = {}
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            for name in COMMAND.findall(line):
                found.setdefault(name, f"{doc.name}: {line.strip()}")
    return sorted(found.items())


def bare_env() -> dict[str, str]:
    """What a new shell has: no DATABASE_URL, no key files, no DJANGO_* (only a PATH and a HOME)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}


def test_the_docs_name_commands():
    names = [name for name, _ in documented_commands()]
    assert {"seed_demo", "import_buildings"} <= set(names), names


@pytest.mark.parametrize("name,where", documented_commands())
def test_every_documented_command_runs_from_a_bare_shell(name, where):
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", name, "--help"], cwd=ROOT,
                          env=bare_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{where}\n{proc.stderr[-2000:]}"
    assert "usage:" in proc.stdout


def test_the_local_cluster_url_is_the_one_pg_sh_prints():
    for env in ({}, {"PGLOCAL_PORT": "5999", "PGLOCAL_DB": "x", "PGLOCAL_USER": "u"}):
        printed = subprocess.run(["bash", str(ROOT / "scripts/pg.sh"), "url"], env={**bare_env(), **env},
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert local_cluster_url(env) == printed


def test_defaults_come_only_from_what_make_created(tmp_path):
    env = {"PGLOCAL_DIR": str(tmp_path)}
    assert apply_defaults(env, root=tmp_path) == {}  # nothing set up: nothing filled in, settings stay strict
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "PG_VERSION").write_text("15\n")
    (tmp_path / "secret_key").write_text("k")
    (tmp_path / "data_keys").write_text("1:abc")
    filled = apply_defaults(env, root=tmp_path)
    assert filled == {"DATABASE_URL": local_cluster_url({}),
                      "DJANGO_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
                      "GIS_RESIDENT_DATA_KEYS_FILE": str(tmp_path / "data_keys")}


def test_explicit_settings_win(tmp_path):
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "PG_VERSION").write_text("15\n")
    (tmp_path / "secret_key").write_text("k")
    env = {"PGLOCAL_DIR": str(tmp_path), "DATABASE_URL": "postgis://elsewhere/db", "DJANGO_SECRET_KEY": "given"}
    assert apply_defaults(env, root=tmp_path) == {}
    assert env["DATABASE_URL"] == "postgis://elsewhere/db" and "DJANGO_SECRET_KEY_FILE" not in env


def test_a_command_without_any_setup_says_what_is_missing(tmp_path):
    """Outside a set-up checkout the settings stay strict and name the fix."""
    env = {**bare_env(), "PGLOCAL_DIR": str(tmp_path)}
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY" in proc.stderr or "DATABASE_URL" in proc.stderr, shlex.quote(proc.stderr[-500:])
