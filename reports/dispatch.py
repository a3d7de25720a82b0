"""Dispatch and the response clock, as plain functions the job queue calls.

Every state change bumps Report.version. A timer carries the version it was scheduled for and
acts only if, under a row lock, the report still has that version: a timer that fires twice
(worker restart, retry) or after the report moved on does nothing. That is what makes each
escalation happen exactly once whatever the queue delivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.errors import Conflict
from reports.models import Level, Report, ReportEvent, Shift, Stage, WorkerPosition

LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET]
# Which timestamp ends each stage's clock.
STAGE_DONE = {Stage.ACK: "acknowledged_at", Stage.ON_SITE: "on_site_at", Stage.RESOLVE: "resolved_at"}


def offer_timeout() -> timedelta:
    return timedelta(seconds=getattr(settings, "REPORTS_OFFER_TIMEOUT_SECONDS", 120))


@dataclass(frozen=True)
class Timer:
    report_id: int
    kind: str  # "offer" or a Stage value
    version: int
    due: datetime


def on_duty(grid_id: int, at: datetime):
    return Shift.objects.filter(grids=grid_id, starts_at__lte=at, ends_at__gt=at).values("worker")


# The decision as one parameterised statement: the user row of the position nearest to the
# report's stored 3857 point (KNN on the positions' GiST index) among the grid's on-duty shifts.
# Written out rather than built by the ORM: the database answers in well under a millisecond and
# building the query was most of the decision's time (bench/results/reports.md).
_NEAREST_SQL = """
SELECT u.* FROM {user} u WHERE u.id = (
  SELECT p.worker_id FROM {position} p
   WHERE p.at >= %(since)s AND NOT (p.worker_id = ANY(%(exclude)s))
     AND p.worker_id IN (SELECT s.worker_id FROM {shift} s JOIN {shift_grids} sg ON sg.shift_id = s.id
                          WHERE sg.grid_id = %(grid)s AND s.starts_at <= %(at)s AND s.ends_at > %(at)s)
   ORDER BY p.location_3857 <-> (SELECT r.location_3857 FROM {report} r WHERE r.id = %(report)s)
   LIMIT 1)
"""


def nearest_worker(report: Report, exclude=(), at: datetime | None = None):
    """The on-duty worker of the report's grid nearest to it (KNN on the GiST index of the
    last positions); None when nobody on duty has a position. Same rule as on_duty()."""
    if report.grid_id is None:
        return None
    at = at or timezone.now()
    User = get_user_model()
    sql = _NEAREST_SQL.format(user=User._meta.db_table, position=WorkerPosition._meta.db_table,
                              shift=Shift._meta.db_table, shift_grids=Shift.grids.through._meta.db_table,
                              report=Report._meta.db_table)
    params = {"since": at - WorkerPosition.RETENTION, "exclude": [int(pk) for pk in exclude if pk is not None],
              "grid": report.grid_id, "at": at, "report": report.pk}
    return next(iter(User.objects.raw(sql, params)), None)


def _event(report, action, *, actor=None, reason="", location=None):
    ReportEvent.objects.create(report=report, action=action, status=report.status, level=report.level,
                               actor=actor, reason=reason, location=location)


def _bump(report, fields):
    report.version += 1
    report.save(update_fields=[*fields, "version", "updated_at"])


def stage_timers(report: Report) -> list[Timer]:
    """Deadline timers for the stages not yet met, at the report's current level."""
    out = []
    for stage, field in STAGE_DONE.items():
        if getattr(report, field) is None:
            limit = report.category.deadline(stage, report.level)
            if limit is not None:
                out.append(Timer(report.pk, stage, report.version, report.level_since + limit))
    return out


def offer(report: Report, *, exclude=()) -> list[Timer]:
    """Offer the report to the nearest on-duty worker, or leave it with the grid's responsible
    person. Returns the timers to schedule."""
    worker = nearest_worker(report, exclude)
    if worker is None:
        report.assignee = None
        report.status = Report.Status.NEW
        _bump(report, ["assignee", "status"])
        who = report.grid.responsible_person if report.grid_id else ""
        _event(report, "fallback", reason=who or "no worker on duty")
        return stage_timers(report)
    report.assignee = worker
    report.status = Report.Status.OFFERED
    _bump(report, ["assignee", "status"])
    _event(report, "offered", actor=worker)
    return [Timer(report.pk, "offer", report.version, timezone.now() + offer_timeout()), *stage_timers(report)]


@transaction.atomic
def fire(timer: Timer, now: datetime | None = None) -> list[Timer]:
    """Run one timer. Idempotent: acts only if the report still has the timer's version."""
    now = now or timezone.now()
    report = (Report.objects.select_for_update(of=("self",)).select_related("category", "grid")
              .prefetch_related("category__deadlines").filter(pk=timer.report_id).first())
    if report is None or report.version != timer.version or not report.is_open:
        return []
    if timer.kind == "offer":
        if report.status != Report.Status.OFFERED:
            return []
        tried = set(report.events.filter(action="offered").values_list("actor", flat=True))
        _event(report, "offer_expired", actor=report.assignee)
        return offer(report, exclude=tried)
    if getattr(report, STAGE_DONE[timer.kind]) is not None:
        return []
    return escalate(report, timer.kind, now)


def escalate(report: Report, stage: str, now: datetime) -> list[Timer]:
    i = LEVEL_ORDER.index(report.level)
    if i + 1 == len(LEVEL_ORDER):
        _event(report, "overdue", reason=stage)
        _bump(report, [])
        return []
    report.level = LEVEL_ORDER[i + 1]
    report.level_since = now
    _bump(report, ["level", "level_since"])
    _event(report, "escalated", reason=f"{stage} overdue")
    return stage_timers(report)


@transaction.atomic
def accept(report: Report, worker) -> list[Timer]:
    report = Report.objects.select_for_update(of=("self",)).select_related("category").get(pk=report.pk)
    if report.assignee_id != worker.pk or report.status != Report.Status.OFFERED:
        raise Conflict(_("该上报没有派给你，或已被处理"))
    report.status = Report.Status.ACCEPTED
    report.acknowledged_at = timezone.now()
    _bump(report, ["status", "acknowledged_at"])
    _event(report, "accepted", actor=worker)
    return stage_timers(report)


@transaction.atomic
def claim(report: Report, worker) -> list[Timer]:
    """A worker of the report's area takes a report that nobody on duty accepted (it waits with the
    grid, status NEW): accepted at once, by them. The caller checks the area (the staff page's scope)."""
    report = Report.objects.select_for_update(of=("self",)).select_related("category").get(pk=report.pk)
    if report.status != Report.Status.NEW:
        raise Conflict(_("该上报已有人处理"))
    report.assignee = worker
    report.status = Report.Status.ACCEPTED
    report.acknowledged_at = timezone.now()
    _bump(report, ["assignee", "status", "acknowledged_at"])
    _event(report, "accepted", actor=worker, reason="claimed")
    return stage_timers(report)


# action → (statuses it may follow, new status, timestamp it sets)
STEPS = {
    "on_the_way": ((Report.Status.ACCEPTED,), Report.Status.ON_THE_WAY, None),
    "arrived": ((Report.Status.ACCEPTED, Report.Status.ON_THE_WAY), Report.Status.ON_SITE, "on_site_at"),
    "resolved": ((Report.Status.ON_SITE,), Report.Status.RESOLVED, "resolved_at"),
    "unresolvable": ((Report.Status.ACCEPTED, Report.Status.ON_THE_WAY, Report.Status.ON_SITE),
                     Report.Status.UNRESOLVABLE, None),
}
CONFIRM_WINDOW = timedelta(days=3)


def within_verdict_window(report: Report, now: datetime | None = None) -> bool:
    """Whether the reporter may still confirm or reopen a resolved report (核查)."""
    return report.resolved_at is not None and (now or timezone.now()) <= report.resolved_at + CONFIRM_WINDOW


@transaction.atomic
def step(report: Report, worker, action: str, *, location=None, reason: str = "") -> list[Timer]:
    """The assignee moves the report on; `arrived` records the position, `unresolvable` needs a reason."""
    report = Report.objects.select_for_update(of=("self",)).select_related("category").get(pk=report.pk)
    allowed, status, stamp = STEPS[action]
    if report.assignee_id != worker.pk or report.status not in allowed:
        raise Conflict(_("当前状态不能执行此操作"))
    if action == "unresolvable" and not reason.strip():
        from gis_core.errors import BadRequest

        raise BadRequest(_("请说明无法办结的原因"))
    report.status = status
    fields = ["status"]
    if stamp:
        setattr(report, stamp, timezone.now())
        fields.append(stamp)
    _bump(report, fields)
    _event(report, action, actor=worker, reason=reason, location=location)
    return stage_timers(report) if report.is_open else []


@transaction.atomic
def reporter_verdict(report: Report, confirm: bool, reason: str = "") -> list[Timer]:
    """核查: within 3 days of resolution the reporter closes the report or reopens it."""
    report = Report.objects.select_for_update(of=("self",)).select_related("category", "grid").get(pk=report.pk)
    if report.status != Report.Status.RESOLVED or not within_verdict_window(report):
        raise Conflict(_("只能在办结后 3 天内确认或重新打开"))
    if confirm:
        report.status = Report.Status.CLOSED
        _bump(report, ["status"])
        _event(report, "confirmed", reason=reason)
        return []
    report.resolved_at = None
    report.on_site_at = None
    report.acknowledged_at = None
    report.level_since = timezone.now()
    _bump(report, ["resolved_at", "on_site_at", "acknowledged_at", "level_since"])
    _event(report, "reopened", reason=reason)
    return offer(report)
