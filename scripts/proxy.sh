#!/usr/bin/env bash
# The caching proxy in front of the app server on one machine: nginx (Debian's nginx-light) with
# the same site file as the Docker setup (docker/nginx/default.conf.template), everything under var/nginx.
#
#   scripts/proxy.sh start LISTEN_PORT UPSTREAM_HOST:PORT   start (or restart) nginx
#   scripts/proxy.sh stop                                   stop it
#   scripts/proxy.sh cache-dir                              the tiles cache folder (TILES_PROXY_CACHE_DIR)
# Environment: PROXY_DIR (default ./var/nginx).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${PROXY_DIR:-$here/var/nginx}"
case "${1:-}" in
  cache-dir) echo "$dir/cache/tiles"; exit 0 ;;
  stop) [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null; rm -f "$dir/nginx.pid"; exit 0 ;;
  start) ;;
  *) echo "usage: scripts/proxy.sh start LISTEN_PORT UPSTREAM | stop | cache-dir" >&2; exit 2 ;;
esac
listen=${2:?listen port}; upstream=${3:?upstream host:port}
command -v nginx >/dev/null || { echo "proxy.sh: nginx not found; install nginx-light (make deps)" >&2; exit 1; }
mkdir -p "$dir/cache/tiles" "$dir/cache/static" "$dir/temp" "$dir/log"
user_line=""
if [ "$(id -u)" = 0 ]; then  # nginx's workers drop root; they must own the cache
  chown -R www-data "$dir/cache" "$dir/temp"; chmod o+x "$dir" "$(dirname "$dir")"; user_line="user www-data;"
fi
UVGIS_LISTEN="127.0.0.1:$listen" UVGIS_UPSTREAM="$upstream" UVGIS_CACHE_DIR="$dir/cache" UVGIS_TLS="" \
  envsubst '${UVGIS_LISTEN} ${UVGIS_UPSTREAM} ${UVGIS_CACHE_DIR} ${UVGIS_TLS}' < "$here/docker/nginx/default.conf.template" > "$dir/site.conf"
cat > "$dir/nginx.conf" <<CONF
$user_line
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/log/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    access_log $dir/log/access.log;
    client_body_temp_path $dir/temp/body; proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi; uwsgi_temp_path $dir/temp/uwsgi; scgi_temp_path $dir/temp/scgi;
    include $dir/site.conf;
}
CONF
[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null && sleep 0.3
nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/log/error.log"
