"""Issue 17 items 6 and 7: unmasking needs the police role itself (a superuser without it is
refused; granting it is audited); answers with personal data are never cached; the kiosk agent's
spool leaves no trace of an erased reading in its files."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.roles import Role, grant
from audit.models import AuditEntry
from kiosk.agent.spool import Spool
from residents import services
from tests.factories import make_room
from tests.idcard_helpers import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(building):
    data = services.PersonData(name="隐私测试人", id_number=id_number(77), sex="1", phone="13900007777")
    tenancy, _ = services.check_in(make_room(building).pk, data, via="staff", start=timezone.localdate())
    return tenancy


def test_a_superuser_without_the_police_role_cannot_unmask(tenant):
    admin = get_user_model().objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.force_login(admin)
    url = f"/police/persons/{tenant.person_id}/unmask/"
    refused = client.post(url, {"reason": "我想看看"}, headers={"Accept": "application/json"})
    assert refused.status_code == 403 and "隐私测试人" not in refused.content.decode()
    assert not AuditEntry.objects.filter(action="unmask").exists()
    grant(admin, Role.POLICE)  # visible and audited
    assert AuditEntry.objects.filter(action="role", reason="granted", detail__user="root", detail__role="police").exists()
    shown = client.post(url, {"reason": "案件核查需要"}, headers={"Accept": "application/json"})
    assert shown.status_code == 200 and shown.json()["name"] == "隐私测试人"
    assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]


def test_answers_with_personal_data_are_never_cached(tenant):
    police = get_user_model().objects.create_user("officer", password="pw-officer-1")
    grant(police, Role.POLICE)
    client = Client()
    client.force_login(police)
    for url in ("/police/feed/", "/police/feed/?format=json", "/police/feed.csv?reason=核查导出需要", "/api/tenancies/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:200])
        assert "no-store" in response["Cache-Control"], url


def test_an_erased_reading_leaves_no_trace_in_the_spool_files(tmp_path):
    path = tmp_path / "agent-spool.db"
    spool = Spool(str(path))
    marker = "独一无二的姓名XYZ"
    rid = spool.add({"name": marker, "id_number": "530112199001010011", "filler": "x" * 3000})
    spool.answered(rid, 201, "{}")
    spool.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert marker.encode() not in blob and marker.encode("utf-16-le") not in blob
    assert b"530112199001010011" not in blob
