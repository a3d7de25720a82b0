"""Where incidents come from: a list of pluggable sources (settings.SAFETY_INCIDENT_SOURCES).

Each source gives fixed SQL (no values: the rating statement binds the window and the
communities) selecting one row per incident with the columns

    community_id, grid_id, mesh_id, building_id, category, occurred_at

and, optionally, one row per report that missed a deadline (`overdue_sql`, same place columns
plus `occurred_at`) and one row per open report (`open_sql`, place columns plus `overdue`).
`category` is the source's own category code; a rule set weighs (source, category) pairs.

* police — incidents imported from CSV (safety.Incident), always on;
* reports — resident reports (the reports app), on when that app is installed. A duplicate is
  not an incident of its own.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class IncidentSource:
    key: str = ""
    label = ""

    def enabled(self) -> bool:
        return True

    def categories(self) -> list[tuple[str, str]]:
        """(code, name) of the categories this source uses, for the weights form."""
        return []

    def incidents_sql(self) -> str:
        raise NotImplementedError

    def overdue_sql(self) -> str | None:
        return None

    def open_sql(self) -> str | None:
        return None


class PoliceIncidents(IncidentSource):
    key = "police"
    label = _("公安警情")

    def categories(self):
        from safety.models import IncidentCategory

        return list(IncidentCategory.objects.values_list("code", "name"))

    def incidents_sql(self) -> str:
        return ("SELECT i.community_id, i.grid_id, i.mesh_id, i.building_id, c.code AS category, i.occurred_at"
                " FROM safety_incident i JOIN safety_incidentcategory c ON c.id = i.category_id")


# A report missed a deadline of the response clock when the clock escalated it or marked it
# overdue at the top level (reports/dispatch.py writes these events): one rule for the rating
# and the screen.
_MISSED = ("EXISTS (SELECT 1 FROM reports_reportevent e WHERE e.report_id = r.id"
           " AND e.action IN ('escalated', 'overdue'))")
_OPEN = "r.status IN ('new', 'offered', 'accepted', 'on_the_way', 'on_site')"


class ResidentReports(IncidentSource):
    key = "reports"
    label = _("群众上报")

    def enabled(self) -> bool:
        return apps.is_installed("reports")

    def categories(self):
        Category = apps.get_model("reports", "Category")
        return list(Category.objects.values_list("code", "name"))

    def incidents_sql(self) -> str:
        return ("SELECT r.community_id, r.grid_id, r.mesh_id, r.building_id, c.code AS category,"
                " r.created_at AS occurred_at FROM reports_report r JOIN reports_category c ON c.id = r.category_id"
                " WHERE r.status <> 'duplicate'")

    def overdue_sql(self) -> str:
        return ("SELECT r.community_id, r.grid_id, r.mesh_id, r.building_id, r.created_at AS occurred_at"
                f" FROM reports_report r WHERE r.status <> 'duplicate' AND {_MISSED}")

    def open_sql(self) -> str:
        return ("SELECT r.community_id, r.grid_id, r.mesh_id, r.building_id,"
                f" {_MISSED} AS overdue FROM reports_report r WHERE {_OPEN}")


DEFAULT_SOURCES = ["safety.sources.PoliceIncidents", "safety.sources.ResidentReports"]


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> tuple[IncidentSource, ...]:
    return tuple(import_string(p)() for p in paths)


def all_sources() -> tuple[IncidentSource, ...]:
    return _load(tuple(getattr(settings, "SAFETY_INCIDENT_SOURCES", DEFAULT_SOURCES)))


def enabled_sources() -> list[IncidentSource]:
    return [s for s in all_sources() if s.enabled()]


def source_choices() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in enabled_sources()]
