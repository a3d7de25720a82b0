"""The managers' dashboard and CSV: counts, on-time rates and median times per stage, the overdue
list, scoped by role; the CSV escapes formulas, carries no phone and is audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.roles import grant
from audit.models import AuditEntry
from reports import dispatch
from reports.models import Report
from reports.services import create_report
from tests.factories import point


@pytest.fixture
def figures(mesh_scene, on_duty):
    """West: one report handled on time (accepted after 2 min, on site after 8, resolved after 50),
    one escalated for acknowledgement; east: one open report."""
    now = timezone.now()
    fast = create_report(category_code="safety", location=point(60, 40), description="=HYPERLINK(\"x\")",
                         phone="13800138000")
    Report.objects.filter(pk=fast.pk).update(
        created_at=now - timedelta(minutes=60), acknowledged_at=now - timedelta(minutes=58),
        on_site_at=now - timedelta(minutes=52), resolved_at=now - timedelta(minutes=10), status="resolved")
    late = create_report(category_code="sanitation", location=point(70, 150), description="垃圾")
    late.refresh_from_db()
    dispatch.fire(dispatch.Timer(late.pk, "ack", late.version, now))  # the clock escalates it
    east = create_report(category_code="facility", location=point(300, 50), description="路灯坏")
    return fast, Report.objects.get(pk=late.pk), east


def test_worker_sees_their_grid_with_rates_medians_and_overdue(client, figures, on_duty):
    fast, late, east = figures
    assert late.level == "community"
    client.force_login(on_duty)
    r = client.get("/duty/dashboard/")
    html = r.content.decode()
    assert r.status_code == 200 and "共 2 件" in html  # the east grid's report is not theirs
    stages = {s["stage"]: s for s in r.context["f"]["stages"]}
    assert stages["ack"] == {"stage": "ack", "name": "接单", "handled": 2, "late": 1, "on_time": 50.0,
                             "median_min": 2.0}
    assert stages["on_site"]["median_min"] == 8.0 and stages["resolve"]["median_min"] == 50.0
    assert [x.pk for x in r.context["f"]["overdue"]] == [late.pk]
    assert f'href="/duty/r/{late.pk}/"' in html


def test_admin_sees_everything_and_filters(client, figures, mesh_scene):
    admin = get_user_model().objects.create_user("boss")
    grant(admin, "admin")
    client.force_login(admin)
    assert client.get("/duty/dashboard/").context["f"]["total"] == 3
    assert client.get("/duty/dashboard/", {"grid": mesh_scene["east"].code}).context["f"]["total"] == 1
    assert client.get("/duty/dashboard/", {"grid": "nope"}).status_code == 400
    assert client.get("/duty/dashboard/", {"since": "yesterday"}).status_code == 400


def test_csv_is_scoped_escaped_without_phone_and_audited(client, figures, on_duty):
    client.force_login(on_duty)
    r = client.get("/duty/dashboard.csv", {"reason": "月报"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) == 3
    by_id = {int(row[0]): dict(zip(rows[0], row)) for row in rows[1:]}
    fast, late, east = figures
    assert by_id[fast.pk]["description"].startswith("'=") and by_id[late.pk]["overdue"] == "1"
    assert "13800138000" not in r.content.decode()
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == "wang" and entry.detail["rows"] == 2 and entry.reason == "月报"


def test_no_scope_no_dashboard(client, figures):
    client.force_login(get_user_model().objects.create_user("nobody"))
    assert client.get("/duty/dashboard/").status_code == 403
    landlord = get_user_model().objects.create_user("ll")
    grant(landlord, "grid_worker")  # a grid worker without any grid in their profile
    client.force_login(landlord)
    assert client.get("/duty/dashboard.csv").status_code == 403
