"""The lease end date (Tenancy.lease_ends_on), set by the people who know it: a landlord at the
kiosk's registration desk and on /my/, staff through the API — one rule (not before the move-in,
at most five years ahead) in residents.services.set_lease_end, every change audited, another
landlord's tenancy out of reach. Grid workers' "leases ended without check-out" reads what they
enter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from accounts.roles import Role
from audit.models import AuditEntry
from gridwork.figures import figures as grid_figures
from residents import services
from residents.models import LEASE_MAX_YEARS_AHEAD, Tenancy, lease_end_error, years_after
from tests.idcard_helpers import id_number, make_kiosk
from tests.landlords.conftest import PASSWORD
from tests.staff_helpers import user

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)  # the estate's tenancy moved in then


def _client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _entries():
    return list(AuditEntry.objects.filter(action="lease").order_by("pk").values("actor", "kiosk", "tenancy_id",
                                                                                 "detail"))


def test_the_rule():
    today = date(2026, 12, 4)
    with translation.override("zh-hans"):  # the product's source language, whatever ran before
        assert lease_end_error(START, None, today) is None
        assert lease_end_error(START, START, today) is None
        assert "不能早于入住日期" in lease_end_error(START, START - timedelta(days=1), today)
        assert lease_end_error(START, date(2031, 12, 4), today) is None
        assert "不能晚于 2031-12-04" in lease_end_error(START, date(2031, 12, 5), today)
    with translation.override("en"):
        assert "cannot end before the move-in date" in lease_end_error(START, date(2025, 1, 1), today)
    assert years_after(date(2028, 2, 29), LEASE_MAX_YEARS_AHEAD) == date(2033, 2, 28)


def test_the_admin_follows_the_same_rule(estate):
    estate.tenancy.lease_ends_on = date(2025, 12, 31)
    with pytest.raises(ValidationError) as caught:
        estate.tenancy.full_clean()
    assert "lease_ends_on" in caught.value.message_dict


def test_on_my_pages(estate):
    c = _client(estate.user)
    url = f"/my/r/{estate.let.pk}/lease/"
    ends = timezone.localdate() + timedelta(days=200)
    r = c.post(url, {"tenancy": estate.tenancy.pk, "lease_ends_on": ends.isoformat()})
    assert r.status_code == 302
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on == ends
    page = c.get(f"/my/r/{estate.let.pk}/").content.decode()
    assert f'value="{ends.isoformat()}"' in page and "租约到期日已保存" in page
    # bad dates: a 4xx and the reason on the page, nothing written
    for bad, status, says in (("2025-12-31", 400, "不能早于入住日期"), ("2099-01-01", 400, "不能晚于"),
                              ("31/12/2026", 400, "YYYY-MM-DD"), ("", 302, None)):
        r = c.post(url, {"tenancy": estate.tenancy.pk, "lease_ends_on": bad})
        assert r.status_code == status, bad
        if says:
            assert says in r.content.decode(), bad
            estate.tenancy.refresh_from_db()
            assert estate.tenancy.lease_ends_on == ends
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on is None  # an empty date clears it
    # another landlord: their room and this tenancy are out of reach (404), nothing changes
    other = _client(estate.other_user)
    assert other.post(url, {"tenancy": estate.tenancy.pk, "lease_ends_on": ends.isoformat()}).status_code == 404
    assert other.post(f"/my/r/{estate.other_room.pk}/lease/",
                      {"tenancy": estate.tenancy.pk, "lease_ends_on": ends.isoformat()}).status_code == 404
    assert c.post(f"/my/r/{estate.vacant.pk}/lease/", {"tenancy": estate.tenancy.pk,
                                                       "lease_ends_on": ends.isoformat()}).status_code == 404
    assert c.post(url, {"tenancy": "x", "lease_ends_on": ends.isoformat()}).status_code == 404
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on is None
    entries = _entries()
    assert [(e["actor"], e["detail"]) for e in entries] == [
        ("landlord-a", {"before": None, "after": ends.isoformat()}),
        ("landlord-a", {"before": ends.isoformat(), "after": None})]


def test_at_the_kiosk_desk(estate):
    kiosk, _secret = make_kiosk(estate.building.community)
    base = f"/kiosk/{kiosk.code}/register/"
    c = Client()
    c.post(base + "sign-in/", {"username": "landlord-a", "secret": PASSWORD})
    assert c.post(base + "lease/", {"tenancy": estate.tenancy.pk, "lease_ends_on": "2026-06-30"}).status_code == 403
    c.post(base + "room/", {"room": estate.let.pk})
    page = c.get(base).content.decode()
    assert f'action="{base}lease/"' in page and 'name="lease_ends_on"' in page
    r = c.post(base + "lease/", {"tenancy": estate.tenancy.pk, "lease_ends_on": "2026-06-30"})
    assert r.status_code == 302
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on == date(2026, 6, 30)
    assert 'value="2026-06-30"' in c.get(base).content.decode()
    assert c.get(base + "status/").json()["occupants"][0]["lease_ends_on"] == "2026-06-30"
    r = c.post(base + "lease/", {"tenancy": estate.tenancy.pk, "lease_ends_on": "2025-06-30"})
    assert r.status_code == 400 and "不能早于入住日期" in r.content.decode()
    r = c.post(base + "lease/", {"tenancy": estate.tenancy.pk, "lease_ends_on": "bad"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.content.decode()
    # a tenancy in another room than the one picked (another landlord's): not here
    theirs = services.check_in(estate.other_room.pk, services.PersonData(name="赵六", id_number=id_number(61),
                                                                          sex="1"), via="staff")[0]
    assert c.post(base + "lease/", {"tenancy": theirs.pk, "lease_ends_on": "2026-06-30"}).status_code == 404
    assert c.post(base + "lease/", {"tenancy": "", "lease_ends_on": "2026-06-30"}).status_code == 404
    assert Tenancy.objects.get(pk=theirs.pk).lease_ends_on is None
    assert _entries() == [{"actor": "landlord-a", "kiosk": kiosk.code, "tenancy_id": estate.tenancy.pk,
                           "detail": {"before": None, "after": "2026-06-30"}}]


def test_through_the_api(estate):
    c = _client(estate.user)
    url = f"/api/tenancies/{estate.tenancy.pk}/"
    r = c.patch(url, {"lease_ends_on": "2026-09-30"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["lease_ends_on"] == "2026-09-30"
    for bad, says in (("2025-01-01", "不能早于入住日期"), ("2099-01-01", "不能晚于"), ("soon", None)):
        r = c.patch(url, {"lease_ends_on": bad}, content_type="application/json")
        assert r.status_code == 400, bad
        assert says is None or says in r.json()["detail"], r.json()
    assert c.patch(url, {}, content_type="application/json").status_code == 400
    assert _client(estate.other_user).patch(url, {"lease_ends_on": "2026-10-01"},
                                            content_type="application/json").status_code == 403
    assert c.patch("/api/tenancies/999999/", {"lease_ends_on": "2026-10-01"},
                   content_type="application/json").status_code == 404
    assert Client().patch(url, {"lease_ends_on": "2026-10-01"}, content_type="application/json").status_code in (401, 403)
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on == date(2026, 9, 30)
    # at check-in: the lease end with the registration, refused (nothing written) when it is wrong
    check_in = f"/api/rooms/{estate.vacant.pk}/check-in/"
    person = {"name": "钱七", "id_number": id_number(71), "sex": "1", "start_date": "2026-11-01"}
    r = c.post(check_in, {**person, "lease_ends_on": "2026-10-01"}, content_type="application/json")
    assert r.status_code == 400 and not Tenancy.objects.filter(room=estate.vacant).exists()
    r = c.post(check_in, {**person, "lease_ends_on": "2027-10-31"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["lease_ends_on"] == "2027-10-31"
    assert Tenancy.objects.get(room=estate.vacant).lease_ends_on == date(2027, 10, 31)
    assert [e["detail"]["after"] for e in _entries()] == ["2026-09-30", "2027-10-31"]


def test_grid_workers_see_what_landlords_enter(estate, two_grids):
    west, _east = two_grids
    worker = user("worker-w", Role.GRID_WORKER, grids=[west])
    today = timezone.localdate()
    assert grid_figures(west, today)["past_lease_end"] == 0
    services.set_lease_end(estate.let.pk, estate.tenancy.pk, today - timedelta(days=3), by=estate.user)
    assert grid_figures(west, today)["past_lease_end"] == 1
    page = _client(worker).get("/grid/").content.decode()
    assert "到期未退租" in page and estate.tenancy.person.name_masked in page
    # the grid worker may set it too (their grid), through the same rule
    r = _client(worker).patch(f"/api/tenancies/{estate.tenancy.pk}/", {"lease_ends_on": None},
                              content_type="application/json")
    assert r.status_code == 200 and grid_figures(west, today)["past_lease_end"] == 0


def test_a_room_has_more_than_one_tenant(estate):
    """Each tenant's own date: setting one leaves the other alone."""
    second = services.check_in(estate.let.pk, services.PersonData(name="孙八", id_number=id_number(81), sex="1"),
                               via="staff")[0]
    services.set_lease_end(estate.let.pk, second.pk, timezone.localdate() + timedelta(days=30), by=estate.user)
    assert Tenancy.objects.get(pk=estate.tenancy.pk).lease_ends_on is None


@pytest.mark.django_db(transaction=True)
def test_on_a_phone(open_page, live_server, estate):
    """390×844: the tenant's lease end date beside the check-out, saved and refused on the page."""
    rp = open_page(width=390, height=844, touch=True)
    rp.page.context.add_cookies([{"name": "sessionid", "value": _client(estate.user).cookies["sessionid"].value,
                                  "url": live_server.url}])
    p = rp.page
    p.goto(f"{live_server.url}/my/r/{estate.let.pk}/")
    field = p.locator(f"#lease-{estate.tenancy.pk}")
    assert field.get_attribute("min") == "2026-01-01" and field.is_visible()
    ends = timezone.localdate() + timedelta(days=365)
    field.fill(ends.isoformat())
    with p.expect_navigation():
        p.locator("form.lease button[type=submit]").click()
    p.wait_for_selector("text=租约到期日已保存")
    assert p.locator(f"#lease-{estate.tenancy.pk}").input_value() == ends.isoformat()
    assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = p.locator("form.lease button[type=submit]").bounding_box()
    assert box["x"] + box["width"] <= 390 and box["height"] >= 44  # a thumb's target, on the screen
    # the browser stops a date before the move-in (min); the server says why if one gets through
    p.evaluate("document.querySelectorAll('form.lease input[type=date]').forEach(i => i.removeAttribute('min'))")
    p.locator(f"#lease-{estate.tenancy.pk}").fill("2025-12-31")
    with p.expect_navigation() as nav:
        p.locator("form.lease button[type=submit]").click()
    assert nav.value.status == 400
    assert "租约到期日不能早于入住日期" in p.inner_text("body")
    estate.tenancy.refresh_from_db()
    assert estate.tenancy.lease_ends_on == ends
    rp.screenshot("landlord-my-lease")
