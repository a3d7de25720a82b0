"""Settings, read from the environment and validated at start-up (see gis_core/env.py).

Production is the default: DEBUG is off unless DJANGO_DEBUG is explicitly true, a secret key
must be given (DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE), and ALLOWED_HOSTS is explicit.
"""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gis_core.env import env_bool, env_choice, env_float, env_int, env_list, env_secret, env_str, parse_key_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GIS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = env_bool("GIS_TESTING", False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-used-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required when DJANGO_DEBUG is off. "
            "`make run` generates one in var/secret_key."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

_db_url = env_str("DATABASE_URL")
if not _db_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run`/`make test` set it to the project-local cluster "
        "(scripts/pg.sh url); to use another PostGIS, export DATABASE_URL=postgis://user:pass@host:port/db."
    )
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
if DATABASES["default"]["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured(
        f"DATABASE_URL must use the postgis:// scheme (PostgreSQL with PostGIS); got {_db_url.split(':', 1)[0]}://."
    )
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Server-side parameter binding: parameters travel apart from the SQL text. Statements are NOT
# prepared by default (Django passes prepare_threshold=None): a prepared statement may switch to
# a generic plan, which for range filters (rent between …) can be a hundred times slower. The tile
# statements — an index scan on the tile envelope whatever z/x/y — are prepared explicitly
# (tiles/service.py).
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
# Request-path queries take milliseconds: starting parallel workers for them costs 10–20 ms more,
# and JIT-compiling a query whose estimated cost looks high costs tens of milliseconds per request.
DATABASES["default"]["OPTIONS"].setdefault("options", "-c max_parallel_workers_per_gather=0 -c jit=off")
DATABASES["default"]["TEST"] = {"NAME": env_str("GIS_TEST_DB_NAME", "test_gis")}
# A stopped primary must answer "unavailable" quickly, not hang the request (writes answer 503).
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1))

# --- Read replicas (replicas/) ------------------------------------------------------------------
# Streaming replicas (hot standbys) for the public reads that tolerate a short lag: tiles, the
# vacant-room search, 3D status and tiles, door QR and kiosk pages. Everything else, and every
# signed-in or recently writing browser, reads from the primary (replicas/routing.py).
REPLICA_ALIASES = []
for _i, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), 1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    if _replica["ENGINE"] != "django.contrib.gis.db.backends.postgis":
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS entry {_i} must use the postgis:// scheme.")
    _replica["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], "connect_timeout": 1}  # skip a dead one fast
    _replica["CONN_HEALTH_CHECKS"] = True
    _replica["TEST"] = {"MIRROR": "default"}  # the test runner never creates databases on a replica
    DATABASES[f"replica{_i}"] = _replica
    REPLICA_ALIASES.append(f"replica{_i}")
DATABASE_ROUTERS = ["replicas.router.ReplicaRouter"]
# PgBouncer in transaction mode in front (scripts/pooler.sh): a server connection is lent per
# transaction, so nothing may outlive one — no named prepared statements (PgBouncer < 1.21 does not
# carry them; gis_core/db.py then runs the tile statements unprepared), no server-side cursors.
DATABASE_POOLER = env_choice("DATABASE_POOLER", "", ("", "transaction"))
if DATABASE_POOLER == "transaction":
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
# A replica further behind than this is skipped (checked at most once a second per process).
REPLICA_MAX_LAG_S = env_float("REPLICA_MAX_LAG_S", 5.0, minimum=0.0, maximum=3600.0)
# After a write, the same browser reads from the primary this long (read-your-writes).
REPLICA_READ_YOUR_WRITES_S = env_int("REPLICA_READ_YOUR_WRITES_S", 10, minimum=1)
REPLICA_READ_VIEWS = {
    "tiles:tile", "tiles:layer_tile", "tiles:tilejson", "tiles:basemap_tilejson", "tiles:style", "tiles:basemap_style",
    "api:vacant-rooms", "model3d:status", "model3d:ground", "model3d:root", "model3d:tileset", "model3d:content", "model3d:room",
    "qrcodes:building", "kiosk:page", "kiosk:room", "kiosk:room-qr",
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "leaflet",
    "gis_core",
    "buildings",
    "residents",
    "kiosk",
    "tiles",
    "qrcodes",
    "accounts",
    "audit",
    "police",
    "gridwork",
    "registration",
    "planner",
    "model3d",
    "coverage",
    "fixtures",
    "replicas",
    "reports",
    "reports.open311",  # Open311 GeoReport v2 (label open311)
    "safety",
    "screen",
    "onboarding",
    "basemap",
    "routes",
    "landlords",
    "axes",  # login lockout (accounts/lockout.py)
    "csp",  # Content-Security-Policy (its checks flag settings of older versions)
]

MIDDLEWARE = [
    "gis_core.http_errors.ErrorMiddleware",  # first: NUL refusal and the error contract
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: pages get the policy, static files (scripts a worker may run) do not.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "replicas.middleware.ReplicaReadMiddleware",
    "tiles.middleware.TilesIgnoreLanguage",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout answer
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",  # CSP_NONCE, for the few inline <script>/<style> blocks
            ]
        },
    }
]

# --- Sign-in and lockout (django-axes) ----------------------------------------------------------
# Every password path (/login/, the planner's login, the admin, the kiosk's sign-in) goes through
# authenticate(request=…): axes' backend refuses a locked-out username+address pair before any
# password is checked. Each try is counted in PostgreSQL before its password is checked (one row
# per pair, incremented under a row lock: accounts/lockout.py), so at most AXES_FAILURE_LIMIT tries
# per cool-off are checked however many arrive at once. The kiosk PIN is a backend too
# (accounts/backends.py), so PIN tries count as well; it keeps its own per-account limit.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.KioskPinBackend",
    "landlords.backends.OneTimeCodeBackend",  # /my/ sign-in with a code printed at the service hall
]
# A landlord's one-time sign-in code (landlords/codes.py) is valid this many hours after it is printed.
LANDLORD_CODE_HOURS = env_int("GIS_LANDLORD_CODE_HOURS", 12, minimum=1)
AXES_HANDLER = "accounts.lockout.ClaimFirstHandler"  # axes' database handler, counting first
AXES_FAILURE_LIMIT = env_int("GIS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GIS_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a guesser elsewhere cannot lock a user out here
AXES_RESET_ON_SUCCESS = True
# Tries during a lockout are refused without being counted, so it ends when it said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.response"  # 429, "try again in N minutes", translated
AXES_CLIENT_IP_CALLABLE = "gis_core.client.client_ip"
AXES_VERBOSE = False
# Never stored or logged in clear: the kiosk's password-or-PIN field is "secret".
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "secret"]
# Behind our own reverse proxy, the client's address is the last GIS_PROXY_HOPS entries of
# X-Forwarded-For (gis_core/client.py); by default one hop when the proxy's https header is trusted.
GIS_PROXY_HOPS = env_int("GIS_PROXY_HOPS", 1 if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False) else 0, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries installed from npm (package.json) and served by us: nothing from a CDN.
STATICFILES_DIRS = [("vendor/maplibre-gl", BASE_DIR / "node_modules" / "maplibre-gl" / "dist")]
STATICFILES_DIRS += [("vendor/maplibre-gl-leaflet", BASE_DIR / "node_modules" / "@maplibre" / "maplibre-gl-leaflet" / "dist")]
STATICFILES_DIRS += [("vendor/leaflet-geoman", BASE_DIR / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist")]
# CesiumJS (3D viewer): its built directory, with the Workers, Assets and Widgets it loads itself.
STATICFILES_DIRS += [("vendor/cesium", BASE_DIR / "node_modules" / "cesium" / "Build" / "Cesium")]
# ECharts (the service-hall screen's charts): one bundle from node_modules/echarts (screen/finders.py).
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder",
                       "django.contrib.staticfiles.finders.AppDirectoriesFinder", "screen.finders.EChartsFinder"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Development and tests serve static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_CONTENT_TYPE_NOSNIFF = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- HTTPS -------------------------------------------------------------------------------------
# GIS_HTTPS=true: users reach the site over https only (TLS at our nginx or a proxy in front).
# It turns on, unless set one by one: the redirect from http, secure-only session and CSRF
# cookies, and HSTS for a year (subdomains included). Off by default: `make run` serves
# http://127.0.0.1, where a secure cookie would never come back and HSTS would pin the browser.
HTTPS = env_bool("GIS_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", HTTPS)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Browsers' preload list is for public internet names: an intranet name cannot be on it (hence
# security.W021 silenced below); a deployment on a public name may opt in.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy (docker/nginx.conf): trust its X-Forwarded-Proto, so absolute
# URLs (TileJSON, QR codes) say https. Only when the app is reachable through that proxy alone:
# anyone who can reach the app directly could otherwise claim https.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# Every page loads only our own files: scripts and styles from 'self' or an inline block carrying
# the response's nonce (no inline event handlers, no style="" attributes: colours given by the
# server are SVG fills or set from script). MapLibre starts its workers from a blob: URL and
# draws sprites/images from blob:/data:; CesiumJS runs its workers from our static files (the two
# pages running it also allow eval, for the Knockout inside Cesium.js: model3d/csp.py). tests/hardening/test_csp_pages.py opens every page
# in Chromium and requires no violation.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

# Cesium ion, only for deployments with internet (model3d/ion.py): without CESIUM_ION_TOKEN no page,
# policy or command names its address, and nothing of ion is ever requested (the browser tests
# count zero outside requests). Set, /3d/ and the kiosks' 3D mode draw ion's terrain and imagery,
# and `manage.py publish_3dtiles --ion` can upload the tileset. CESIUM_ION_CLIENT_TOKEN: a separate
# read-only token for browsers (default: the same token); CESIUM_ION_API: ion's address.
CESIUM_ION_TOKEN = env_secret("CESIUM_ION_TOKEN")
CESIUM_ION_CLIENT_TOKEN = env_secret("CESIUM_ION_CLIENT_TOKEN")
CESIUM_ION_API = env_str("CESIUM_ION_API", "https://api.cesium.com").rstrip("/") if CESIUM_ION_TOKEN else ""
CESIUM_ION_TERRAIN = env_bool("CESIUM_ION_TERRAIN", True)
CESIUM_ION_IMAGERY_ASSET = env_int("CESIUM_ION_IMAGERY_ASSET", 2, minimum=1)
# Only with a Cesium ion token: its API, assets and the imagery it serves.
_csp_remote = [CESIUM_ION_API, "https://*.cesium.com", "https://*.virtualearth.net"] if CESIUM_ION_TOKEN else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", *_csp_remote],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *_csp_remote],
        "worker-src": [SELF, "blob:"],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    # Browsers sign in with a session; no documented client uses HTTP Basic (the kiosk agents sign
    # with HMAC), and Basic would let anyone guess passwords at the API without any page's limits.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "gis_core.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "gis_core.api.exceptions.handler",
    "DEFAULT_PARSER_CLASSES": ["gis_core.api.parsers.SafeJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "城中村社区治理 GIS API / Urban-village governance GIS API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# django-leaflet: every asset is served from our static files; no basemap from the internet.
# (The vector-tile basemap served by tiles/ replaces this empty list once it exists.)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (25.03, 102.66),
    "DEFAULT_ZOOM": 15,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 21,
    "TILES": [],
    "ATTRIBUTION_PREFIX": "",
    "RESET_VIEW": False,
}

# Encryption of tenants' personal data (residents/crypto.py). In development and tests a key
# is derived from SECRET_KEY; production must give one (base64, 32 bytes) or a key file.
RESIDENT_DATA_KEYS = env_secret("GIS_RESIDENT_DATA_KEYS")
if not RESIDENT_DATA_KEYS and not (DEBUG or TESTING) and not env_bool("GIS_DERIVE_DATA_KEY", False):
    raise ImproperlyConfigured(
        "GIS_RESIDENT_DATA_KEYS (or GIS_RESIDENT_DATA_KEYS_FILE) is required outside development: "
        "`make run` generates var/data_keys; see README 'Configuration'."
    )
if RESIDENT_DATA_KEYS:
    parse_key_list(RESIDENT_DATA_KEYS)  # malformed keys stop the start, not every later card reading

# --- Vector tiles (tiles/) -----------------------------------------------------------------
# The tile cache must be shared by every server process, or an edit would invalidate the tiles
# of one worker only: a directory on disk by default, Redis in production (TILE_CACHE=redis://…).
_tile_cache = env_str("TILE_CACHE", "file")
if _tile_cache == "file":
    _tile_backend = {"BACKEND": "tiles.filecache.FileTileCache",  # culls without a walk per set()
                     "LOCATION": str(VAR_DIR / "cache" / "tiles"),
                     "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 10, "CULL_INTERVAL": 30}}
elif _tile_cache.startswith(("redis://", "rediss://", "unix://")):
    _tile_backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _tile_cache}
elif _tile_cache == "locmem":  # a single process only (tests, `make dev`)
    _tile_backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tiles",
                     "OPTIONS": {"MAX_ENTRIES": 100_000}}
elif _tile_cache == "none":
    _tile_backend = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
else:
    raise ImproperlyConfigured(f"TILE_CACHE={_tile_cache!r}: use file, locmem, none or a redis:// URL.")
# Where the data is (tiles/extent.py) lives in the same shared store as the tiles. With
# TILE_CACHE=none (no tile cache: a benchmarking mode) every process must still see the same
# extent, so it falls back to a file store.
_extent_backend = _tile_backend if _tile_cache != "none" else {
    "BACKEND": "tiles.filecache.FileTileCache", "LOCATION": str(VAR_DIR / "cache" / "extent")}
# Keys carry the database they were computed from: the same cache directory (var/) or Redis used
# with another DATABASE_URL — another deployment, a benchmark or test database — must not answer
# with that database's tiles, or with its data extent (which would turn real tiles into empty ones).
_db = DATABASES["default"]
_TILE_KEY_PREFIX = hashlib.blake2b(f"{_db.get('HOST')}:{_db.get('PORT')}/{_db.get('NAME')}".encode(),
                                   digest_size=6).hexdigest()
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "tiles": {**_tile_backend, "TIMEOUT": env_int("TILE_CACHE_TIMEOUT", 7 * 24 * 3600, minimum=1),
              "KEY_PREFIX": _TILE_KEY_PREFIX},
    "tiles_extent": {**_extent_backend, "TIMEOUT": None, "KEY_PREFIX": _TILE_KEY_PREFIX},
}
# Cache-Control of tiles. 0 (default): clients keep tiles but revalidate each time with the ETag
# (a 304 costs a few bytes), so an edit shows at once; raise it for fewer requests.
TILES_MAX_AGE = env_int("TILES_MAX_AGE", 0, minimum=0)
# A caching proxy in front (nginx, docker/nginx/default.conf.template): the folder of its tile
# cache, whose files edits remove (tiles/proxy.py), and how long it keeps a public tile.
TILES_PROXY_CACHE_DIR = env_str("TILES_PROXY_CACHE_DIR") or None
TILES_PROXY_SECONDS = env_int("TILES_PROXY_SECONDS", 24 * 3600, minimum=1)
# Camera positions can be sensitive: in the public tiles only if the administrator allows it.
TILES_PUBLIC_CAMERAS = env_bool("TILES_PUBLIC_CAMERAS", False)

# --- Basemap (basemap/) ----------------------------------------------------------------------
# osm2pgsql for `manage.py import_basemap` (Debian's package; another build by path).
BASEMAP_OSM2PGSQL = env_str("BASEMAP_OSM2PGSQL", "osm2pgsql")

# --- Camera coverage (coverage/) -----------------------------------------------------------
# Views are computed for a target this high (a standing person's head), and quality levels are
# named by this table (coverage/levels.py: EN 62676-4:2015 DORI, or the seven-level revision).
COVERAGE_TARGET_HEIGHT_M = env_float("COVERAGE_TARGET_HEIGHT_M", 1.7, minimum=0.0, maximum=5.0)
COVERAGE_QUALITY_TABLE = env_choice("COVERAGE_QUALITY_TABLE", "en62676-4-2015", ("en62676-4-2015", "iec62676-4-2025"))

# Origin that printed QR codes point at (scheme://host[:port]); unset = the host of the request.
PUBLIC_BASE_URL = (env_str("GIS_PUBLIC_BASE_URL") or "").rstrip("/") or None
if PUBLIC_BASE_URL and not re.fullmatch(r"https?://[^/\s]+", PUBLIC_BASE_URL):
    raise ImproperlyConfigured(
        f"GIS_PUBLIC_BASE_URL={PUBLIC_BASE_URL!r} must be an origin like https://gis.example.cn, without a path."
    )

# --- Resident reports (reports/) ------------------------------------------------------------------
# Submissions per window (REPORTS_SUBMIT_WINDOW_SECONDS, 600 s by default): per device (cookie or
# Open311 device_id, with the address) and per address whatever the device key (reports/ratelimit.py).
REPORTS_SUBMIT_LIMIT = env_int("GIS_REPORTS_SUBMIT_LIMIT", 5, minimum=1)
REPORTS_SUBMIT_IP_LIMIT = env_int("GIS_REPORTS_SUBMIT_IP_LIMIT", 30, minimum=1)

# --- Three-colour safety rating (safety/) and the service hall's screen (screen/) ------------------
# Where incidents come from (safety/sources.py); the resident-reports source switches itself off
# when the reports app is not installed.
SAFETY_INCIDENT_SOURCES = env_list("SAFETY_INCIDENT_SOURCES", ["safety.sources.PoliceIncidents",
                                                               "safety.sources.ResidentReports"])
# The screen's figures are recomputed at most this often per community and process (edits in the
# same process clear them at once); the page polls every SCREEN_POLL_SECONDS.
SCREEN_CACHE_SECONDS = env_int("SCREEN_CACHE_SECONDS", 5, minimum=1)
SCREEN_POLL_SECONDS = env_int("SCREEN_POLL_SECONDS", 5, minimum=1)

# --- Kiosks ------------------------------------------------------------------------------------
KIOSK_ROTATE_SECONDS = env_int("KIOSK_ROTATE_SECONDS", 8, minimum=2)  # one vacant room per N s when idle
KIOSK_POLL_SECONDS = env_int("KIOSK_POLL_SECONDS", 5, minimum=1)  # how often kiosks check for changes

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # fontTools narrates every font subset (door-plate PDFs) in some forty INFO lines; axes every
    # failed sign-in's housekeeping (its warnings — failures, lockouts — stay).
    "loggers": {"fontTools": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Debian 12 ships GDAL 3.6; the network/file blocking of GDAL ≥ 3.9 is unavailable. Imports read
# only local files chosen by staff (onboarding.source refuses /vsicurl/ and other virtual paths).
# security.W021 (HSTS preload): see SECURE_HSTS_PRELOAD above — not applicable to intranet names.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "security.W021"]

# --- 3D model (model3d/) -----------------------------------------------------------------------
# Rebuild changed 3D tiles in a background thread after edits commit (off in tests, which build
# explicitly); `manage.py build_3dtiles --pending` does the same from a shell or cron.
MODEL3D_BACKGROUND = env_bool("MODEL3D_BACKGROUND", not TESTING)
