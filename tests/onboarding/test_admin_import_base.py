"""The admin's import pages (onboarding's buildings/boundaries/rooms, safety's police incidents)
are one page: gis_core's admin/gis_core/import_base.html, each filling only its report block.
Both render through it, and both load in Chromium, report shown, without a CSP violation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.onboarding.test_import_rooms import place, row, write_xlsx  # noqa: F401 (place: a fixture)
from tests.safety.test_import import _csv

BASE = "admin/gis_core/import_base.html"
PAGES = {"/admin/safety/incident/import/": "safety/admin/incident_import.html",
         "/admin/buildings/room/import/": "admin/onboarding/import.html",
         "/admin/buildings/building/import/": "admin/onboarding/import.html"}


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("import-boss", "b@example.org", "pw-import-boss-1")


def test_every_import_page_extends_the_shared_base(client, boss):
    client.force_login(boss)
    for url, own in PAGES.items():
        response = client.get(url)
        names = [t.name for t in response.templates]
        assert response.status_code == 200 and own in names and BASE in names, (url, names)
        page = response.content.decode()
        # the shared parts: breadcrumbs back to the model's list, the upload form, the submit label
        assert '<div class="breadcrumbs">' in page and 'enctype="multipart/form-data"' in page, url
        assert 'value="导入"' in page and 'id="import-report"' not in page, url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_both_pages_show_their_report_under_csp(open_page, live_server, place, tmp_path):
    from tests.factories import make_building

    make_building("W9", (100, 50, 120, 65))
    boss = get_user_model().objects.create_superuser("import-boss", "b@example.org", "pw-import-boss-1")
    client = Client()
    client.force_login(boss)
    rp = open_page(width=1280, height=900)
    rp.page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                  "url": live_server.url}])

    incidents = tmp_path / "jq.csv"
    incidents.write_bytes(_csv("B1,2026-10-03 21:15,盗窃,无此地址1号,,,", "B2,坏时间,盗窃,无此地址1号,,,"))
    rooms = write_xlsx(tmp_path / "r.xlsx", [row(1, "B-1", 1, "101"), row(2, "B-9", 1, "102")])
    for url, upload, shown in (("/admin/safety/incident/import/", incidents, "坏时间"),
                               ("/admin/buildings/room/import/", rooms, "B-9")):
        response = rp.page.goto(live_server.url + url)
        policy = response.headers["content-security-policy"]
        assert response.status == 200 and "'unsafe-inline'" not in policy and "default-src 'self'" in policy
        assert rp.page.locator(".breadcrumbs a").count() == 3
        rp.page.set_input_files("input[name=file]", str(upload))
        with rp.page.expect_navigation():
            rp.page.click("input[type=submit][value='导入']")
        rp.page.wait_for_selector("#import-report #import-rows")
        assert shown in rp.page.inner_text("#import-report")
        assert rp.page.locator("form[enctype='multipart/form-data'] fieldset.aligned").count() == 1
    # (open_page fails the test at teardown on any CSP violation or request to another host)
