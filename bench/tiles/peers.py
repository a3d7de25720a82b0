"""The servers under test: ours, django-vectortiles 1.0.2 and tipg 1.6.1, and the URLs of each.

The peers live in throwaway virtualenvs under var/bench-venvs/ (ignored by git), created by the
benchmark: they are never dependencies of the product. django-vectortiles gets the same Django,
psycopg and granian versions as our virtualenv, so only the tile code differs.

Our server runs exactly as `make run` starts it in production (scripts/serve.sh, with the workers
and threads read from `make -n run`), on a benchmark port. django-vectortiles runs under the same
server command, and tipg under uvicorn with the same number of worker processes.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from common import HERE, OUR_PYTHON, ROOT, VENVS, WORK, libpq, log, psql

TIPG_SCHEMA = "bench_tipg"
SERVE = ROOT / "scripts" / "serve.sh"  # the production server command (granian)


def production_settings() -> dict[str, str]:
    """The settings `make run` gives scripts/serve.sh (WORKERS, THREADS; read with `make -n run`),
    less the port and pid file: the benchmark serves on ports of its own."""
    done = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True)
    line = next((ln for ln in done.stdout.splitlines() if "scripts/serve.sh" in ln), None)
    if done.returncode or line is None:
        raise RuntimeError(f"could not read the server command of `make run`:\n{done.stdout}{done.stderr}")
    pairs = dict(arg.split("=", 1) for arg in shlex.split(line) if re.fullmatch(r"[A-Z_]+=.*", arg))
    return {k: v for k, v in pairs.items() if k in ("WORKERS", "THREADS")}


PRODUCTION = production_settings()
WORKERS = int(PRODUCTION["WORKERS"])
SERVER_CONFIG = f"granian {WORKERS} workers × {PRODUCTION['THREADS']} threads (scripts/serve.sh)"


def session_options() -> str:
    """The PostgreSQL session settings our server's connections get (libpq `options`, e.g.
    "-c jit=off"): the floor and the peers get the same, so only the tile code differs."""
    from django.conf import settings

    return settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")


def _settings_pairs(options: str) -> list[tuple[str, str]]:
    return re.findall(r"-c\s*([\w.]+)=(\S+)", options)


# --- virtualenvs --------------------------------------------------------------------------------

def ensure_venv(name: str, requirements: list[str]) -> Path:
    """var/bench-venvs/<name> with exactly these requirements (reinstalled when they change)."""
    venv = VENVS / name
    stamp = venv / ".bench-requirements"
    wanted = "\n".join(requirements) + "\n"
    if stamp.exists() and stamp.read_text() == wanted and (venv / "bin" / "python").exists():
        return venv
    log(f"creating virtualenv {venv} ({', '.join(requirements)})")
    VENVS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["python3.11", "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *requirements],
                   check=True)
    stamp.write_text(wanted)
    return venv


def _ours(package: str) -> str:
    return f"{package}=={metadata.version(package)}"


def dvt_requirements() -> list[str]:
    return ["django-vectortiles==1.0.2", _ours("Django"), _ours("psycopg"), "psycopg-binary==" +
            metadata.version("psycopg"), _ours("granian"), _ours("dj-database-url")]


TIPG_REQUIREMENTS = ["tipg==1.6.1", "uvicorn[standard]==0.54.0"]


def installed_versions(venv: Path, packages: list[str]) -> dict[str, str]:
    code = ("import json, sys\nfrom importlib import metadata\n"
            "print(json.dumps({p: metadata.version(p) for p in sys.argv[1:]}))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code, *packages], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


# --- servers ------------------------------------------------------------------------------------

@dataclass
class ServerSpec:
    key: str  # ours, ours-file, ours-locmem, dvt, tipg
    label: str
    port: int
    argv: list[str]
    env: dict[str, str]
    health_path: str
    cwd: Path
    map_paths: Callable  # (z, x, y) -> list of request paths for one map tile
    buildings_path: Callable  # (z, x, y) -> request path of the buildings layer alone
    config: str  # what the report says about how it ran
    overhead_path: str  # a request that runs no SQL: the server's fixed cost per request


def serve_env(port: int, granian: Path) -> dict[str, str]:
    # `make run`'s server command on a benchmark port; its access log goes to the server's log file.
    return {**PRODUCTION, "HOST": "127.0.0.1", "PORT": str(port), "GRANIAN": str(granian)}


# Our tile URLs (tiles/urls.py), which the minimal reference server answers too.
_OUR_PATHS = dict(
    health_path="/tiles/0/0/0.mvt",
    map_paths=lambda z, x, y: [f"/tiles/{z}/{x}/{y}.mvt"],
    buildings_path=lambda z, x, y: f"/tiles/buildings/{z}/{x}/{y}.mvt",
    overhead_path="/tiles/0/0/0.mvt",  # z0: no layer is shown, 204 without a query
)


def ours(env: dict[str, str], url: str, port: int, cache: str, var_dir: Path) -> ServerSpec:
    var_dir.mkdir(parents=True, exist_ok=True)
    server_env = {**env, "DATABASE_URL": url, "TILE_CACHE": cache, "GIS_VAR_DIR": str(var_dir),
                  **serve_env(port, ROOT / ".venv" / "bin" / "granian")}
    return ServerSpec(
        key="ours" if cache == "none" else f"ours-{cache}",
        label="ours" + ("" if cache == "none" else f", cached ({cache})"), port=port,
        argv=[str(SERVE), "project.wsgi:application"], env=server_env, cwd=ROOT,
        config=f"`make run`: {SERVER_CONFIG}; TILE_CACHE={cache}", **_OUR_PATHS,
    )


def minimal(env: dict[str, str], url: str, port: int) -> ServerSpec:
    """The same SQL behind the same server command and nothing else (bench/tiles/minimal_app.py):
    a reference for what the HTTP hop and a Python thread cost, not a peer."""
    server_env = {**env, "DATABASE_URL": url, "PYTHONPATH": str(HERE),
                  **serve_env(port, ROOT / ".venv" / "bin" / "granian")}
    return ServerSpec(
        key="minimal", label="minimal Python server (reference)", port=port,
        argv=[str(SERVE), "minimal_app:application"], env=server_env, cwd=ROOT,
        config=f"{SERVER_CONFIG}; bench/tiles/minimal_app.py: the tile statement through psycopg, nothing else",
        **_OUR_PATHS,
    )


def dvt(env: dict[str, str], url: str, port: int, layers: list) -> ServerSpec:
    venv = ensure_venv("dvt", dvt_requirements())
    server_env = {"PATH": env.get("PATH", "/usr/bin:/bin"), "BENCH_DVT_DATABASE_URL": url,
                  "BENCH_PG_OPTIONS": session_options(),
                  "DJANGO_SETTINGS_MODULE": "dvt_site.settings", "PYTHONPATH": str(HERE),
                  **serve_env(port, venv / "bin" / "granian")}
    return ServerSpec(
        key="dvt", label="django-vectortiles 1.0.2", port=port,
        argv=[str(SERVE), "dvt_site.wsgi:application"],
        env=server_env, health_path="/buildings/0/0/0", cwd=HERE,
        map_paths=lambda z, x, y: [f"/all/{z}/{x}/{y}"],
        buildings_path=lambda z, x, y: f"/buildings/{z}/{x}/{y}",
        config=f"same server command ({SERVER_CONFIG}); one MVTView of all layers (a query per layer), "
               "GZipMiddleware, persistent connections",
        overhead_path="/buildings/0/0/0",  # below the layer's zooms: 204 without a query
    )


def _tipg_sortby(order_by: str) -> str | None:
    m = re.fullmatch(r"t\.(\w+)(\s+DESC)?", order_by.strip(), re.IGNORECASE)
    if not m:
        return None
    return ("-" if m.group(2) else "") + m.group(1)


def tipg_path(layer, z: int, x: int, y: int) -> str:
    """One layer of one tile from tipg, asking for what our layer sends at this zoom."""
    params = [f"geom-column={layer.geometry_for(z)}", "properties=" + ",".join(["id", *layer.fields_for(z)])]
    cap = layer.cap_for(z)
    if cap:
        params.append(f"limit={cap}")
        sortby = _tipg_sortby(layer.order_by) if layer.order_by else None
        if sortby:
            params.append(f"sortby={sortby}")
    return f"/collections/{TIPG_SCHEMA}.{layer.name}/tiles/WebMercatorQuad/{z}/{x}/{y}?" + "&".join(params)


def tipg_views_sql(layers: list) -> str:
    """One view per public layer in schema bench_tipg, over the same tables, with the same
    attribute expressions, joins and filters as tiles/layers.py, and every geometry column the
    layer uses (tipg picks one per request with geom-column). PostgreSQL inlines the views, so
    the queries read the tables and their GiST indexes directly."""
    statements = [f'DROP SCHEMA IF EXISTS "{TIPG_SCHEMA}" CASCADE', f'CREATE SCHEMA "{TIPG_SCHEMA}"']
    for layer in layers:
        columns = ["t.id"] + [f'{expr} AS "{name}"' for name, (expr, _type) in layer.fields.items()]
        columns += [f't."{col}"' for col in dict.fromkeys(col for _, col in layer.geometry)]
        where = f" WHERE {layer.where}" if layer.where else ""
        statements.append(f'CREATE VIEW "{TIPG_SCHEMA}"."{layer.name}" AS SELECT {", ".join(columns)}'
                          f' FROM "{layer.table}" t {layer.join}{where}')
    return ";\n".join(statements)


def tipg(env: dict[str, str], url: str, port: int, layers: list) -> ServerSpec:
    venv = ensure_venv("tipg", TIPG_REQUIREMENTS)
    psql(url, tipg_views_sql(layers))
    by_name = {layer.name: layer for layer in layers}
    # asyncpg takes unknown DSN query parameters as session settings.
    settings_query = "&".join(f"{k}={v}" for k, v in _settings_pairs(session_options()))
    server_env = {
        "PATH": env.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": libpq(url) + (f"?{settings_query}" if settings_query else ""),
        "TIPG_DB_SCHEMAS": json.dumps([TIPG_SCHEMA]),
        "TIPG_SET_MVT_LAYERNAME": "true",  # layers named like ours, not "default"
        "TIPG_TILE_RESOLUTION": "4096", "TIPG_TILE_BUFFER": "64",  # as tiles/layers.py
        "TIPG_MAX_FEATURES_PER_TILE": "1000000",  # our uncapped layers stay uncapped
        # Extents are only for the catalog pages; computing them at start-up scans the tables.
        "TIPG_DB_SPATIAL_EXTENT": "false", "TIPG_DB_DATETIME_EXTENT": "false",
    }
    argv = [str(venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(WORKERS)]
    return ServerSpec(
        key="tipg", label="tipg 1.6.1", port=port, argv=argv, env=server_env, health_path="/healthz", cwd=WORK,
        map_paths=lambda z, x, y: [tipg_path(layer, z, x, y) for layer in layers if layer.serves(z)],
        buildings_path=lambda z, x, y: tipg_path(by_name["buildings"], z, x, y),
        config=f"uvicorn {WORKERS} workers (uvloop, httptools), asyncpg pool, one request per layer, "
               "layers as views in schema bench_tipg",
        overhead_path="/healthz",  # tipg queries for any tile; its health check is its cheapest route
    )


def venv_report() -> dict:
    out = {}
    for name, pkgs in (("dvt", ["django-vectortiles", "Django", "psycopg", "granian"]),
                       ("tipg", ["tipg", "uvicorn", "asyncpg", "fastapi"])):
        venv = VENVS / name
        if (venv / "bin" / "python").exists():
            out[name] = installed_versions(venv, pkgs)
    out["ours"] = {p: metadata.version(p) for p in ("Django", "psycopg", "granian")}
    out["python"] = subprocess.run([OUR_PYTHON, "-V"], capture_output=True, text=True).stdout.strip()
    return out
