#!/usr/bin/env bash
# Install the system packages the product needs, only those missing (Debian 12).
# Needs root (or sudo) the first time; a machine that already has them needs neither.
set -euo pipefail
# fonts-noto-cjk: the door-plate PDFs embed Noto Sans CJK SC (and maps draw Chinese labels from glyph PBFs cut from it: tiles/glyphs.py, `make glyphs`).
# osm2pgsql: `manage.py import_basemap` (basemap/importer.py); postgresql-15-pgrouting: walking routes (routes/).
pkgs=(python3-venv postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting osm2pgsql gdal-bin libgdal-dev
      libgeos-dev libproj-dev proj-bin gettext fonts-noto-cjk nginx-light)
[ "${WITH_BROWSER:-0}" = 1 ] && pkgs+=(chromium redis-server)
# Node.js and npm install the front-end libraries; any node ≥ 18 already on the PATH will do.
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is only needed when the interpreter we use lacks a working venv module
if printf '%s\n' "${missing[@]}" | grep -qx python3-venv && "${PYTHON:-python3.11}" -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
