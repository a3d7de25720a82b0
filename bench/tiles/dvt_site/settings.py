"""Settings of the django-vectortiles peer: the database from BENCH_DVT_DATABASE_URL.

Connections persist (CONN_MAX_AGE as in our settings) and responses are gzip-compressed by
Django's GZipMiddleware, so the peer sends the same bytes on the wire as our server does.
"""

import os

import dj_database_url

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.gis", "dvt_site"]
MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware"]
ROOT_URLCONF = "dvt_site.urls"
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_DVT_DATABASE_URL"], conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The session settings our server's connections get (e.g. "-c jit=off"), passed by the benchmark.
if os.environ.get("BENCH_PG_OPTIONS"):
    DATABASES["default"]["OPTIONS"] = {"options": os.environ["BENCH_PG_OPTIONS"]}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False}
