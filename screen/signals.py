"""Edits that change the screen's figures clear them in this process at once (other processes
recompute within SCREEN_CACHE_SECONDS)."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save

WATCHED = ("buildings.Room", "buildings.Building", "residents.Tenancy", "reports.Report", "reports.ReportEvent",
           "safety.Rating", "safety.RuleSet", "coverage.AreaCoverage")


def _changed(sender, **kwargs):
    from screen import figures

    transaction.on_commit(figures.forget_all)


def connect() -> None:
    for label in WATCHED:
        try:
            model = apps.get_model(label)
        except LookupError:  # an optional app (reports) not installed
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=f"screen-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"screen-del-{label}")
