"""The Django database router: reads follow the request's choice (routing.py), writes, migrations
and anything outside a routed request go to the primary."""

from django.db import DEFAULT_DB_ALIAS

from replicas.routing import _current


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return _current.get()  # None: Django's default, the primary

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # replicas hold the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
