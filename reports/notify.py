"""Notifications: an in-app list for staff, and one pluggable notifier for the outside world.

Every step of a report's time line (a ReportEvent) may tell someone:

* offered → the worker it was offered to; fallback (nobody on duty) → the grid's workers;
* escalated / overdue → the assignee and the administrators;
* reopened by the reporter → the assignee;
* resolved / cannot resolve → the reporter, if they left a callback phone (only through the
  notifier: a reporter has no account).

Staff messages are stored as `Notification` rows (the list at /duty/notifications/) and, like the
reporter's, handed to the notifier chosen by `settings.REPORTS_NOTIFIER` (a dotted path; default
`reports.notify.LogFileNotifier`), after the transaction commits. SMS gateways differ per city:
write a class with `send(message)` (see docs/grid-worker.md, "Adding an SMS gateway"). A notifier
that fails is logged and never undoes the report's change.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.roles import Role
from reports.models import Notification, Report, ReportEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    kind: str  # the event's action: offered, fallback, escalated, overdue, reopened, resolved, unresolvable
    report_id: int
    text: str
    user_id: int | None = None  # a staff member (in-app list too)
    username: str = ""
    phone: str | None = None  # a reporter's callback phone (sealed at rest; only the notifier sees it)


class Notifier:
    """The interface. `send` is called once per message, after the commit, outside any request's
    transaction; it should not block for long (queue slow gateways)."""

    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def mask(phone: str | None) -> str | None:
    return None if not phone else (phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****")


class LogFileNotifier(Notifier):
    """One JSON line per message in settings.REPORTS_NOTIFY_LOG (default $GIS_VAR_DIR/log/notifications.log).
    Phones are masked: a log file is no place for them."""

    def send(self, message: Message) -> None:
        path = Path(getattr(settings, "REPORTS_NOTIFY_LOG", None) or Path(settings.VAR_DIR) / "log" / "notifications.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {**asdict(message), "phone": mask(message.phone), "at": timezone.now().isoformat()}
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


@lru_cache(maxsize=4)
def _notifier(path: str) -> Notifier:
    return import_string(path)()


def notifier() -> Notifier:
    return _notifier(getattr(settings, "REPORTS_NOTIFIER", "reports.notify.LogFileNotifier"))


def unread(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def _grid_workers(report: Report):
    ids = [i for i in (report.grid_id, report.mesh_id) if i]
    return get_user_model().objects.filter(staff_profile__grids__in=ids, is_active=True,
                                           groups__name=Role.GRID_WORKER).distinct()


def _admins():
    return get_user_model().objects.filter(groups__name=Role.ADMIN, is_active=True).distinct()


def messages_for(event: ReportEvent) -> list[Message]:
    report = event.report
    head = f"#{report.pk} {report.category.name}"
    users, text = [], ""
    if event.action == "offered" and event.actor_id:
        users, text = [event.actor], _("新的上报 %(r)s，请尽快接单") % {"r": head}
    elif event.action == "fallback":
        users, text = list(_grid_workers(report)), _("上报 %(r)s 无人值班接单，请网格负责人处理") % {"r": head}
    elif event.action in ("escalated", "overdue"):
        users = list(_admins()) + ([report.assignee] if report.assignee_id else [])
        text = _("上报 %(r)s 超时，已升级到%(level)s") % {"r": head, "level": report.get_level_display()}
    elif event.action == "reopened" and report.assignee_id:
        users, text = [report.assignee], _("上报 %(r)s 被群众重新打开") % {"r": head}
    out = [Message(event.action, report.pk, text, u.pk, u.get_username()) for u in {u.pk: u for u in users}.values()]
    if event.action in ("resolved", "unresolvable"):
        phone = report.phone()
        if phone:
            text = (_("您反映的问题 #%(id)d 已办结，请在 3 天内确认") if event.action == "resolved"
                    else _("您反映的问题 #%(id)d 暂时无法办结：%(why)s")) % {"id": report.pk, "why": event.reason}
            out.append(Message(event.action, report.pk, text, phone=phone))
    return out


def on_event(sender, instance: ReportEvent, created: bool, **kwargs) -> None:
    """post_save of ReportEvent: store the in-app rows now (same transaction), send after commit."""
    if not created or instance.action not in ("offered", "fallback", "escalated", "overdue", "reopened",
                                              "resolved", "unresolvable"):
        return
    _store_and_send(messages_for(instance))


def escalations(events) -> None:
    """The clock's batch (reports.escalation): rows of (event id, report id, action, new level,
    category id, assignee id), told as messages_for tells one escalated/overdue event — the
    administrators (read once) and the assignee — stored with one insert, sent after the commit."""
    from reports.models import Category, Level

    if not events:
        return
    admins = list(_admins())
    names = dict(Category.objects.filter(pk__in={e[4] for e in events}).values_list("pk", "name"))
    assignees = get_user_model().objects.in_bulk({e[5] for e in events if e[5]})
    levels = dict(Level.choices)
    messages = []
    for _event_id, report_id, action, level, category_id, assignee_id in events:
        text = _("上报 %(r)s 超时，已升级到%(level)s") % {"r": f"#{report_id} {names.get(category_id, '')}",
                                                      "level": levels.get(level, level)}
        users = admins + ([assignees[assignee_id]] if assignee_id in assignees else [])
        messages += [Message(action, report_id, text, u.pk, u.get_username()) for u in {u.pk: u for u in users}.values()]
    _store_and_send(messages)


def _store_and_send(messages: list[Message]) -> None:
    """Store the in-app rows now (same transaction), send after commit."""
    Notification.objects.bulk_create(Notification(user_id=m.user_id, report_id=m.report_id, kind=m.kind,
                                                  text=m.text[:300]) for m in messages if m.user_id)
    if not messages:
        return

    def deliver():
        for m in messages:
            try:
                notifier().send(m)
            except Exception:  # a gateway's failure must not fail the report
                log.exception("notifier failed for report %s", m.report_id)

    transaction.on_commit(deliver)


def connect() -> None:
    from django.db.models.signals import post_save

    post_save.connect(on_event, sender=ReportEvent, dispatch_uid="reports-notify")
