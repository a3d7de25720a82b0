#!/bin/sh
# The production HTTP server, in one place: `make run`, the Docker image and every benchmark
# (bench/tiles, bench/checkin.py, bench/bench_3d.py) start the app with this script, so what is
# measured is what is served.
#
#   scripts/serve.sh [APP]        APP defaults to project.wsgi:application
#
# Environment: HOST (127.0.0.1), PORT (8000), WORKERS (3 processes), THREADS (4 Python threads per
# process), PID_FILE (none), GRANIAN (the granian executable; default: the project's virtualenv).
#
# Why granian (a Rust HTTP server running our WSGI app) and not gunicorn: the server's own cost
# per request is most of what a small tile or a cache hit costs. On this 2-core machine, a
# trivial WSGI app answered with a median of 0.15 ms under granian against 0.62 ms under
# gunicorn's gthread workers (0.42 ms without gunicorn's access log, 0.21 ms for granian's), and
# replaying the kiosk tile list at city scale took the uncached median tile from 11.1 ms to
# 7.7 ms (bench/results/tiles.md has the current numbers). Every process runs the WSGI app in
# THREADS threads: each holds its own database connection; threads are kept for 10 minutes when
# idle, so the connections (and their prepared tile statements) are not dropped between bursts.
# Access log on stdout. X-Forwarded-Proto from a TLS proxy is honoured by Django when
# DJANGO_SECURE_PROXY_SSL_HEADER=true (project/settings.py), not here.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
APP=${1:-project.wsgi:application}
GRANIAN=${GRANIAN:-$ROOT/.venv/bin/granian}
set -- --interface wsgi --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
  --workers "${WORKERS:-3}" --blocking-threads "${THREADS:-4}" --blocking-threads-idle-timeout 600 \
  --no-ws --access-log --respawn-failed-workers
if [ -n "${PID_FILE:-}" ]; then set -- "$@" --pid-file "$PID_FILE"; fi
exec "$GRANIAN" "$@" "$APP"
