"""Issue 17 item 12: `manage.py check --deploy` with the production settings of the Docker setup
(docker/compose.yaml and the Dockerfile's environment) reports nothing; with `make run`'s plain
http://127.0.0.1 it reports only the four https warnings that cannot apply there."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# docker/compose.yaml's app service plus the Dockerfile's ENV (values as in docker/env.example)
DOCKER = {
    "DATABASE_URL": "postgis://gis:password@db:5432/gis",
    "DJANGO_ALLOWED_HOSTS": "gis.example.internal",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://gis.example.internal",
    "TILE_CACHE": "redis://redis:6379/0",
    "TILES_PROXY_CACHE_DIR": "/var/cache/nginx/uvgis/tiles",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
    "GIS_HTTPS": "true",
}


def run(args, **env):
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    secret = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
              "GIS_RESIDENT_DATA_KEYS": "1:" + base64.b64encode(os.urandom(32)).decode(),
              "GIS_VAR_DIR": "/nonexistent-var"}  # nothing from a checkout's var/ (project/checkout.py)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **secret, **env},
                          capture_output=True, text=True, timeout=120)


def warnings(output: str) -> list[str]:
    return sorted(set(re.findall(r"\((\w+\.[WE]\d+)\)", output)))


def test_check_deploy_is_clean_with_the_docker_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **DOCKER)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_plain_http_on_loopback_has_only_the_https_warnings():
    """`make run` serves http://127.0.0.1: a redirect to https, secure-only cookies and HSTS cannot
    work there (nothing answers https; the browser would never send a secure cookie back)."""
    result = run(["manage.py", "check", "--deploy"], DATABASE_URL="postgis://gis@127.0.0.1:5544/gis")
    assert warnings(result.stdout + result.stderr) == [
        "security.W004",  # SECURE_HSTS_SECONDS: HSTS over http is ignored, and would pin a loopback name
        "security.W008",  # SECURE_SSL_REDIRECT: no https listener to redirect to
        "security.W012",  # SESSION_COOKIE_SECURE: the session cookie would never come back over http
        "security.W016",  # CSRF_COOKIE_SECURE: likewise the CSRF cookie
    ], result.stdout + result.stderr


def test_https_settings_follow_gis_https():
    show = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
            "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
            " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD]))")
    env = {"DJANGO_SETTINGS_MODULE": "project.settings", "DATABASE_URL": "postgis://gis@127.0.0.1:5544/gis"}
    on = run(["-c", show], **env, GIS_HTTPS="true")
    assert json.loads(on.stdout) == [True, True, True, 31536000, True, False], on.stderr
    off = run(["-c", show], **env)
    assert json.loads(off.stdout) == [False, False, False, 0, False, False], off.stderr
    one_by_one = run(["-c", show], **env, GIS_HTTPS="true", DJANGO_SECURE_HSTS_SECONDS="300",
                     DJANGO_SECURE_SSL_REDIRECT="false")
    assert json.loads(one_by_one.stdout) == [False, True, True, 300, True, False], one_by_one.stderr
