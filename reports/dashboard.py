"""The managers' dashboard (/duty/dashboard/) and its CSV export: counts by status and grid,
on-time rates and median times per stage, the overdue list. Scoped by role
(residents.scoping.area_scope): grid workers see their grids, administrators and police every
community; filters narrow within that.

A stage was on time when the response clock did not escalate (or, at the top level, mark overdue)
the report for it: the same events the clock writes (reports.dispatch.escalate), so the dashboard
and the clock never disagree about what was late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Aggregate, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_required
from audit import log as audit
from gis_core import csvexport
from gis_core.errors import BadRequest
from gis_core.models import Community, Grid
from reports.dispatch import STAGE_DONE
from reports.models import Report, ReportEvent, Stage
from residents.scoping import area_scope

MANAGERS = (Role.GRID_WORKER, Role.ADMIN, Role.POLICE)
MAX_CSV_ROWS = 20_000


class Median(Aggregate):
    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def missed(stage: str | None = None) -> Exists:
    """The clock escalated the report (or marked it overdue at the top level) for `stage` (any
    stage when None): reports.dispatch.escalate writes reason "<stage> overdue" / "<stage>"."""
    events = ReportEvent.objects.filter(report=OuterRef("pk"), action__in=("escalated", "overdue"))
    if stage is not None:
        events = events.filter(reason__in=(f"{stage} overdue", stage))
    return Exists(events)


def scoped(request):
    """The reports this user may count, narrowed by ?community=, ?grid= (grid or mesh code) and
    ?since= (a date; default the last 30 days). Duplicates are not counted."""
    q = area_scope(request.user)
    if q is None:
        raise PermissionDenied(_("没有查看上报的范围"))
    qs = Report.objects.filter(q).filter(duplicate_of=None).exclude(status=Report.Status.DUPLICATE)
    since_s = request.GET.get("since", "").strip()
    try:
        since = datetime.fromisoformat(since_s) if since_s else timezone.now() - timedelta(days=30)
    except ValueError:
        raise BadRequest(_("since 须为日期，如 2026-05-01")) from None
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    qs = qs.filter(created_at__gte=since)
    filters = {"since": timezone.localtime(since).date().isoformat()}
    if request.GET.get("community"):
        community = Community.objects.filter(code=request.GET["community"]).first()
        if community is None:
            raise BadRequest(_("没有这个社区编码"))
        qs, filters["community"] = qs.filter(community=community), community.code
    if request.GET.get("grid"):
        grid = Grid.objects.filter(code=request.GET["grid"]).first()
        if grid is None:
            raise BadRequest(_("没有这个网格编码"))
        qs, filters["grid"] = qs.filter(Q(grid=grid) | Q(mesh=grid)), grid.code
    return qs, filters


def stages(qs) -> list[dict]:
    out = []
    for stage, field in STAGE_DONE.items():
        row = qs.aggregate(
            handled=Count("id", filter=Q(**{f"{field}__isnull": False}) | Q(missed(stage))),
            late=Count("id", filter=Q(missed(stage))),
            median=Median(ExpressionWrapper(F(field) - F("created_at"), output_field=DurationField()),
                          filter=Q(**{f"{field}__isnull": False})),
        )
        handled = row["handled"]
        out.append({"stage": stage, "name": Stage(stage).label, "handled": handled, "late": row["late"],
                    "on_time": None if not handled else round(100 * (handled - row["late"]) / handled, 1),
                    "median_min": None if row["median"] is None else round(row["median"].total_seconds() / 60, 1)})
    return out


def figures(qs) -> dict:
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    overdue = (qs.filter(status__in=Report.OPEN).filter(missed()).select_related("category", "grid", "assignee")
               .order_by("created_at")[:200])
    by_grid = list(qs.values("grid__code", "grid__name").annotate(
        total=Count("id"), open=Count("id", filter=Q(status__in=Report.OPEN)),
        overdue=Count("id", filter=Q(status__in=Report.OPEN) & Q(missed())),
    ).order_by("grid__code"))
    return {"total": sum(by_status.values()), "open": sum(by_status.get(s, 0) for s in Report.OPEN),
            "by_status": [(label, by_status.get(value, 0)) for value, label in Report.Status.choices
                          if value != Report.Status.DUPLICATE],
            "stages": stages(qs), "overdue": list(overdue), "by_grid": by_grid}


@never_cache
@require_safe
@role_required(*MANAGERS)
def page(request):
    qs, filters = scoped(request)
    return render(request, "reports/duty_dashboard.html", {"f": figures(qs), "filters": filters,
                                                           "query": request.GET.urlencode(), "now": timezone.now()})


COLUMNS = ["id", "created_at", "category", "status", "level", "community", "grid", "mesh", "acknowledged_at",
           "on_site_at", "resolved_at", "overdue", "followers", "description"]


@never_cache
@require_safe
@role_required(*MANAGERS)
def csv_export(request):
    """One row per report in scope: no callback phone, no photos; cells that a spreadsheet would run
    as a formula are escaped (gis_core.csvexport); the export is audited."""
    qs, filters = scoped(request)
    rows = (qs.annotate(late=missed(), followers=Count("duplicates"))
            .select_related("category", "community", "grid", "mesh").order_by("created_at")[:MAX_CSV_ROWS])
    rows = list(rows)
    audit.record("export", actor=request.user, reason=request.GET.get("reason", ""), rows=len(rows),
                 what="reports", **filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reports-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csvexport.writer(response)
    writer.writerow(COLUMNS)

    def when(t):
        return timezone.localtime(t).isoformat(timespec="minutes") if t else ""

    for r in rows:
        writer.writerow([r.pk, when(r.created_at), r.category.name, r.get_status_display(), r.get_level_display(),
                         r.community.code if r.community else "", r.grid.code if r.grid else "",
                         r.mesh.code if r.mesh else "", when(r.acknowledged_at), when(r.on_site_at),
                         when(r.resolved_at), "1" if r.late else "0", r.followers, r.description])
    return response
