"""A batch of due timers fired set-based: the clock's hot path (reports.clock.run_due).

dispatch.fire runs one timer with the ORM (lock, load, compare, save through the change pipeline,
one event, its follow-up timers): ≈5 ms of CPU each, which at 10,000 timers fell minutes behind.
Here a claimed batch is decided in Python from one locking read of its reports, and every
escalation of the batch is written by one statement: the reports' level, level_since and version,
their events (who: the clock, when, why: "<stage> overdue") and the new level's deadline timers.
The change pipeline hears of the batch once (tiles follow the level), notifications are stored
with one insert and sent after the commit. Offer timeouts need a KNN pick per report and go
through dispatch.fire one by one (their row lock is already held).

Exactly once, as with fire(): a timer acts only if its report, locked, still has the timer's
version, is open and has not met the stage; a report acts at most once per batch (its earliest due
timer), and every action bumps the version, so the batch's other timers of that report, a repeat
delivery after a restart, or another clock process waiting on the lock, find it stale.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from gis_core import changes
from reports import dispatch
from reports.models import CategoryDeadline, Level, Report, ReportEvent, ReportTimer

_ESCALATE_SQL = """
WITH t AS (SELECT * FROM unnest(%(ids)s::bigint[], %(stages)s::text[], %(actions)s::text[]) AS t(id, stage, action)),
up AS (
  UPDATE {report} r
     SET level = CASE WHEN t.action = 'overdue' THEN r.level WHEN r.level = %(grid)s THEN %(community)s
                      ELSE %(street)s END,
         level_since = CASE WHEN t.action = 'overdue' THEN r.level_since ELSE %(now)s END,
         version = r.version + 1, updated_at = %(now)s
    FROM t WHERE r.id = t.id
  RETURNING r.id, r.status, r.level, r.version, r.level_since, r.category_id, r.assignee_id,
            r.acknowledged_at, r.on_site_at, r.resolved_at, t.stage, t.action),
ev AS (
  INSERT INTO {event} (report_id, at, action, status, level, reason)
  SELECT id, %(now)s, action, status, level, CASE WHEN action = 'overdue' THEN stage ELSE stage || ' overdue' END
    FROM up
  RETURNING id, report_id),
tm AS (
  INSERT INTO {timer} (report_id, kind, version, due)
  SELECT up.id, d.stage, up.version, up.level_since + d.minutes * interval '1 minute'
    FROM up JOIN {deadline} d ON d.category_id = up.category_id AND d.level = up.level
   WHERE up.action = 'escalated'
     AND CASE d.stage WHEN 'ack' THEN up.acknowledged_at IS NULL WHEN 'on_site' THEN up.on_site_at IS NULL
                      ELSE up.resolved_at IS NULL END)
SELECT ev.id, up.id, up.action, up.level, up.category_id, up.assignee_id FROM up JOIN ev ON ev.report_id = up.id
"""


def _sql() -> str:
    return _ESCALATE_SQL.format(report=Report._meta.db_table, event=ReportEvent._meta.db_table,
                                timer=ReportTimer._meta.db_table, deadline=CategoryDeadline._meta.db_table)


def decide(rows, reports: dict) -> tuple[dict, list]:
    """{report id: (stage, action)} for the escalations and overdue marks, and the offer timers,
    from the claimed rows (earliest due first) and the locked reports' state."""
    acts, offers = {}, []
    for row in sorted(rows, key=lambda r: (r.due, r.pk)):
        r = reports.get(row.report_id)
        if r is None or row.report_id in acts or r["version"] != row.version or r["status"] not in Report.OPEN:
            continue
        if row.kind == "offer":
            if r["status"] == Report.Status.OFFERED:
                offers.append(row)
                acts[row.report_id] = None
            continue
        if r[dispatch.STAGE_DONE[row.kind]] is not None:
            continue
        acts[row.report_id] = (row.kind, "overdue" if r["level"] == Level.STREET else "escalated")
    return {k: v for k, v in acts.items() if v is not None}, offers


def fire_batch(rows, now=None) -> list[dispatch.Timer]:
    """Run a claimed batch of due timers (in the caller's transaction). Returns the offers' follow-up
    timers to schedule; the escalations' follow-ups are written by the statement itself."""
    now = now or timezone.now()
    ids = sorted({r.report_id for r in rows})
    # One locking read, in id order (two clock processes never wait on each other in a cycle).
    reports = {r["id"]: r for r in Report.objects.select_for_update().filter(pk__in=ids).order_by("pk").values(
        "id", "version", "status", "level", "acknowledged_at", "on_site_at", "resolved_at")}
    acts, offers = decide(rows, reports)
    follow = []
    for row in offers:  # a KNN pick each; fire() re-checks under the lock it already holds
        follow += dispatch.fire(dispatch.Timer(row.report_id, row.kind, row.version, row.due), now)
    if acts:
        params = {"ids": list(acts), "stages": [a[0] for a in acts.values()],
                  "actions": [a[1] for a in acts.values()], "now": now,
                  "grid": Level.GRID, "community": Level.COMMUNITY, "street": Level.STREET}
        with connection.cursor() as cur:
            cur.execute(_sql(), params)
            events = cur.fetchall()
        fields = {"version", "updated_at"}
        if any(a[1] == "escalated" for a in acts.values()):
            fields |= {"level", "level_since"}
        changes.attributes_changed(Report, acts, fields)  # once for the batch: tiles follow the level
        from reports import notify

        notify.escalations(events)
    return follow
