"""Setup: the project-local cluster is created once and reused; settings refuse bad configuration."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_cluster_is_created_once_and_reused_with_its_data():
    # Below the project (not /tmp/pytest-of-root, which the postgres user cannot enter).
    base = ROOT / "var" / f"bootstrap-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PGLOCAL_DIR": str(base), "PGLOCAL_PORT": str(free_port()), "PGLOCAL_DB": "probe"}
    pg = [str(ROOT / "scripts" / "pg.sh")]

    def run(*args):
        return subprocess.run(pg + list(args), env=env, capture_output=True, text=True, check=True)

    def psql(sql):
        url = run("url").stdout.strip().replace("postgis://", "postgresql://")
        return subprocess.run(["psql", url, "-XAtc", sql], capture_output=True, text=True, check=True).stdout.strip()

    try:
        first = run("ensure")
        assert "initialising a new cluster" in first.stdout
        assert psql("SELECT extname FROM pg_extension WHERE extname = 'postgis'") == "postgis"
        psql("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('kept')")
        run("stop")
        assert subprocess.run(pg + ["status"], env=env, capture_output=True).returncode == 3
        second = run("ensure")
        assert "initialising" not in second.stdout  # reused, not re-created
        assert psql("SELECT v FROM marker") == "kept"
        run("ensure")  # ensure on a running cluster is a no-op
        assert psql("SELECT count(*) FROM marker") == "1"
    finally:
        subprocess.run(pg + ["stop"], env=env, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def settings_error(**env) -> str:
    """Import the settings in a fresh interpreter with this environment; return stderr ('' if fine)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GIS_"))}
    clean.update({"DATABASE_URL": "postgis://u@127.0.0.1:1/db", **env})
    proc = subprocess.run([sys.executable, "-c", "import project.settings"], cwd=ROOT, env=clean,
                          capture_output=True, text=True)
    return proc.stderr


def test_settings_default_to_production_and_demand_a_secret():
    err = settings_error()
    assert "DJANGO_SECRET_KEY" in err and "required" in err


def test_settings_accept_a_complete_production_environment(tmp_path):
    key = tmp_path / "secret"
    key.write_text("s" * 50)
    from residents.crypto import new_key_spec

    assert settings_error(DJANGO_SECRET_KEY_FILE=str(key), GIS_RESIDENT_DATA_KEYS=new_key_spec()) == ""
    out = subprocess.run(
        [sys.executable, "-c", "from project import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        cwd=ROOT, capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GIS_"))},
             "DATABASE_URL": "postgis://u@h:1/d", "DJANGO_SECRET_KEY_FILE": str(key),
             "GIS_RESIDENT_DATA_KEYS": new_key_spec()},
    ).stdout
    assert out.strip() == "False ['127.0.0.1', 'localhost']"


@pytest.mark.parametrize("env, message", [
    ({"DJANGO_DEBUG": "ture"}, "is not a boolean"),
    ({"DJANGO_DEBUG": "1", "DATABASE_URL": "sqlite:///x.db"}, "postgis://"),
    ({"DJANGO_DEBUG": "1", "DATABASE_URL": ""}, "DATABASE_URL is not set"),
    ({"DJANGO_SECRET_KEY": "k" * 50}, "GIS_RESIDENT_DATA_KEYS"),
    ({"DJANGO_DEBUG": "1", "DB_CONN_MAX_AGE": "soon"}, "not a whole number"),
    ({"DJANGO_SECRET_KEY_FILE": "/nonexistent/key"}, "cannot be read"),
    ({"DJANGO_DEBUG": "1", "COVERAGE_TARGET_HEIGHT_M": "9"}, "must be between 0.0 and 5.0"),
    ({"DJANGO_DEBUG": "1", "COVERAGE_QUALITY_TABLE": "dori"}, "use one of en62676-4-2015, iec62676-4-2025"),
])
def test_settings_name_the_fix_for_bad_configuration(env, message):
    assert message in settings_error(**env)
