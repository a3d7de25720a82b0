# Two commands: `make run` (set up everything, serve on 127.0.0.1:$(PORT)) and `make test`.
# Every step is idempotent: running again reuses the virtualenv, the cluster and its data.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PORT ?= 8000
WORKERS ?= 3
THREADS ?= 4
VENV := .venv
PY := $(VENV)/bin/python
# The project-local cluster is used unless DATABASE_URL points elsewhere.
export DATABASE_URL ?= $(shell PGLOCAL_DIR=$(CURDIR)/var scripts/pg.sh url)
export DJANGO_SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
export GIS_RESIDENT_DATA_KEYS_FILE ?= $(CURDIR)/var/data_keys
# Streaming replicas made by `make replicas N=…` serve the public reads of `make run` (replicas/).
export DATABASE_REPLICA_URLS ?= $(shell PGLOCAL_DIR=$(CURDIR)/var scripts/pg.sh replica-urls 2>/dev/null)

.PHONY: help run run-proxy dev test stop deps venv keys db migrate demo static messages glyphs clean-db bench-seed bench-tiles bench-search bench-checkin bench-planner bench-3d bench-cameras bench-safety bench-import bench-reports deps-test

help:
	@echo "make run    set up everything and serve http://127.0.0.1:$(PORT) (granian, scripts/serve.sh)"
	@echo "make test   set up what the tests need and run the whole suite"
	@echo "make dev    like run, with Django's development server and DEBUG on"
	@echo "make run PROXY=1 (or make run-proxy)  the same behind nginx, which caches tiles and static files"
	@echo "make stop   stop the server and the project-local PostgreSQL cluster"
	@echo "make replicas N=2 [DELAY=0]  N streaming replicas of the local cluster for public reads (N=0 removes them)"
	@echo "make bench-seed   time seeding the demo and a city-scale set (bench/results/seed.md)"
	@echo "make bench-tiles  our tiles against the SQL floor, django-vectortiles and tipg (bench/results/tiles.md)"
	@echo "make bench-search vacant-room search server time at city scale (bench/results/vacant_search.md)"
	@echo "make bench-checkin signed card reading -> tenancy committed, against the production server (bench/results/checkin.md)"
	@echo "make bench-planner grid validate-and-save with 2,000 buildings at city scale (bench/results/planner.md)"
	@echo "make bench-3d     3D Tiles build, size, one-building rebuild, /3d/ first frame (bench/results/model3d.md)"
	@echo "make bench-scale  nginx against the app server, 0/1/2 replicas, replica lag, edit → kiosk (bench/results/scale.md)"
	@echo "make bench-cameras camera views, edit latency, city-scale views, placement (bench/results/cameras.md)"
	@echo "make bench-police police feed page and person lookup at city scale, p95 (bench/results/police.md)"
	@echo "make bench-safety three-colour rating of every grid at city scale, the screen's data endpoint (bench/results/safety.md)"
	@echo "make bench-reports report submit with 3 photos, dispatch at city scale, 10,000 clock timers (bench/results/reports.md)"
	@echo "make bench-import  30,000 rooms from a register (XLSX, GB18030 CSV) and a grid tree: rows/s, features/s (bench/results/import.md)"
	@echo "make basemap PBF=city.osm.pbf [NAME=city]  import an OpenStreetMap extract as the offline basemap"
	@echo "make bench-routes  walking routes on the city's alley network, p95 (bench/results/routes.md)"
	@echo "make bench-basemap [KM=8]  import time and memory of a city-sized OSM extract (bench/results/basemap.md)"

deps:
	@scripts/deps.sh

# Tests also drive Debian's Chromium (through Playwright, never a downloaded browser).
deps-test:
	@WITH_BROWSER=1 scripts/deps.sh

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

venv: deps $(VENV)/.stamp node_modules/.stamp

# Front-end libraries (MapLibre GL JS …) from the npm registry, served as our own static files.
node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

var/secret_key:
	@mkdir -p var && umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# AES-256 key(s) for tenants' personal data (residents/crypto.py). Back this file up: without it
# the sealed data cannot be read. Rotation: prepend a new id:key, re-seal, then drop the old one.
var/data_keys:
	@mkdir -p var && umask 077 && $(PYTHON) -c 'import base64, os; print("1:" + base64.b64encode(os.urandom(32)).decode())' > $@

keys: var/secret_key var/data_keys

LOCALES := $(wildcard locale/*/LC_MESSAGES/django.po)
messages: venv keys $(LOCALES:.po=.mo)
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages -v 0 -l $*

# Start (and on first use create) the local cluster, unless DATABASE_URL was given.
db: deps keys
	@if [ -z "$(filter command line environment,$(origin DATABASE_URL))" ] || [ "$$DATABASE_URL" = "$$(scripts/pg.sh url)" ]; then scripts/pg.sh ensure; fi

migrate: venv db messages
	$(PY) manage.py migrate --noinput -v 0

# Map label glyphs (SDF PBFs from fonts-noto-cjk, tiles/glyphs.py), made once under var/glyphs: the
# whole CJK block takes seconds here, and no map waits for a range made on its first request.
glyphs: venv db
	$(PY) manage.py build_glyphs --all-cjk

demo: migrate glyphs
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py compute_coverage --if-empty
	$(PY) manage.py ensure_admin
	$(PY) manage.py build_3dtiles  # 3D Tiles of /3d/: only tiles whose buildings changed are meshed

static: venv
	$(PY) manage.py collectstatic --noinput -v 0

# PROXY=1: nginx (scripts/proxy.sh, the Docker setup's site file) on $(PORT) caches tiles and static
# files in front of the app server on $(APP_PORT); edits remove the tiles they change from its cache.
PROXY ?= 0
APP_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
# REPORT_CLOCKS: run_report_clock processes (timers and photo cleaning), sharing the queue with
# FOR UPDATE SKIP LOCKED; two keep 10,000 open timers on time on a busy 2-core machine (bench/results/reports.md).
REPORT_CLOCKS ?= 2
run: demo static
	@mkdir -p var/run var/log
	@# The reports' response clock runs next to the web server; `make stop` ends both.
	@for i in $$(seq 1 $(REPORT_CLOCKS)); do \
	  $(PY) manage.py run_report_clock >>var/log/report_clock.log 2>&1 & echo $$! >var/run/report_clock-$$i.pid; \
	done
ifeq ($(PROXY),1)
	scripts/proxy.sh start $(PORT) 127.0.0.1:$(APP_PORT)
	@echo "Serving on http://127.0.0.1:$(PORT) through nginx (app server on $(APP_PORT); admin login: see var/admin_password)"
	PORT=$(APP_PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) PID_FILE=var/run/server.pid \
	  TILES_PROXY_CACHE_DIR=$$(scripts/proxy.sh cache-dir) exec scripts/supervise.sh scripts/serve.sh
else
	@echo "Serving on http://127.0.0.1:$(PORT)  (admin login: see var/admin_password)"
	PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) PID_FILE=var/run/server.pid exec scripts/supervise.sh scripts/serve.sh
endif

run-proxy:
	$(MAKE) run PROXY=1

dev: demo
	DJANGO_DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Two processes (pytest-xdist), each on its own test database; a file's tests stay in one process.
# PYTEST_ARGS="-n 0" runs them in one.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: deps-test venv db messages glyphs
	DATABASE_REPLICA_URLS= GIS_TESTING=true $(VENV)/bin/pytest $(PYTEST_ARGS)

bench-seed: venv db
	$(PY) bench/seed.py

bench-tiles: venv db
	$(PY) bench/tiles/run.py

bench-search: venv db
	$(PY) bench/vacant_search.py

bench-checkin: demo
	$(PY) bench/checkin.py

# Planner: validate-and-save of a grid with 2,000+ buildings at city scale (bench/results/planner.md).
.PHONY: bench-planner
bench-planner: venv db
	$(PY) bench/planner.py

# Rooms from a register and a grid tree from a vector file (bench/results/import.md).
bench-import: venv db
	$(PY) bench/import_rooms.py --big 100000

# Proxy, replicas, lag, edit → kiosk through both (bench/results/scale.md).
.PHONY: bench-scale
bench-scale: venv db static
	$(PY) bench/scale.py

bench-3d: deps-test venv db static
	$(PY) bench/bench_3d.py

bench-cameras: venv db
	$(PY) bench/cameras.py

# Three-colour rating of 2,000+ grids and the service-hall screen's data endpoint (bench/results/safety.md).
# SCALE=3 for a bounded run (the default 84 communities seed for ≈9 minutes, once).
SCALE ?= 84
bench-safety: venv db
	$(PY) bench/safety.py --scale $(SCALE)
# Importing a city-sized (synthetic) OSM extract, first and again (bench/results/basemap.md).
.PHONY: bench-basemap
bench-basemap: venv db
	$(PY) bench/basemap.py $(if $(KM),--km $(KM))

# Walking routes (pgRouting) on the network of the city set of bench-safety (bench_safety_84, reused read only),
# the code before the bounded search and now side by side; SCALE=N for a smaller set (bench/results/routes.md).
.PHONY: bench-routes
bench-routes: venv db
	$(PY) bench/routes.py $(if $(SCALE),--scale $(SCALE))

# Police feed pages and person lookups at city scale (2,000,000 tenancies generated in SQL once, ≈5
# minutes; later runs reuse them): p95 per request kind, CSV rows/s (bench/results/police.md).
# POLICE_SCALE=0.25 for a bounded run (500,000 tenancies).
POLICE_SCALE ?= 1.0
.PHONY: bench-police
bench-police: venv db static
	$(PY) bench/police.py --scale $(POLICE_SCALE)

# Reports: submit with 3 × 1 MB photos through the server, dispatch among 2,000 workers on duty at
# 100,000 buildings, 10,000 timers run by run_report_clock (bench/results/reports.md, < 10 min).
bench-reports: venv db messages
	$(PY) bench/reports.py

# Streaming replicas of the local cluster (pg_basebackup, hot standby, ports 5555, 5556, …);
# `make run` then sends public reads to them. DELAY (e.g. 2s) makes a replica lag on purpose.
N ?= 1
DELAY ?= 0
.PHONY: replicas
replicas: db
	@scripts/pg.sh replicas $(N) $(DELAY)
	@echo "DATABASE_REPLICA_URLS=$$(scripts/pg.sh replica-urls)"

# The offline basemap from an OpenStreetMap extract (osm2pgsql, basemap/importer.py); importing
# the same NAME again replaces that extract in one transaction.
.PHONY: basemap
basemap: migrate
	@test -n "$(PBF)" || { echo "usage: make basemap PBF=city.osm.pbf [NAME=city]"; exit 2; }
	$(PY) manage.py import_basemap "$(PBF)" $(if $(NAME),--name "$(NAME)")

stop:
	-@for f in var/run/server.pid var/run/gunicorn.pid var/run/report_clock*.pid; do test -f $$f && kill $$(cat $$f) 2>/dev/null; rm -f $$f; done
	-@scripts/proxy.sh stop
	@scripts/pg.sh stop

clean-db: stop
	rm -rf var/pg
