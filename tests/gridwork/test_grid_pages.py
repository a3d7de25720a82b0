"""The grid worker's pages in headless Chromium at 390 × 844: the map drawn from our own tiles and
style (their grid outlined, the building to visit marked), figures and visits, then checking out
a tenant who left from the room page; nothing requested from another host."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from audit.models import AuditEntry
from residents.models import Tenancy
from tests.staff_helpers import make_city, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_city(two_grids):
    return make_city(two_grids)


def test_grid_home_map_and_check_out_on_a_phone(open_page, live_server, live_city):
    rp = open_page(width=390, height=844, touch=True)
    sign_in(rp, live_server, live_city["users"]["grid_worker"])
    page = rp.page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/grid/")
    page.wait_for_selector("body[data-map-ready='1']", timeout=90_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.inner_text(".figure[data-key='past_lease_end'] b") == "1"
    assert page.locator("li.visit").count() == 1
    assert any("/tiles/" in u for u in rp.requests) and any("maplibre" in u for u in rp.requests)
    # the map shows the grid outline (our blue) and the orange visit marker
    box = page.locator("#map").bounding_box()
    image = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    pixels = list(image.getdata())
    assert sum(1 for r, g, b in pixels if b > 150 and r < 80 and 90 < g < 140) > 100, "no grid outline"
    assert sum(1 for r, g, b in pixels if r > 150 and 60 < g < 110 and b < 40) > 50, "no visit marker"
    assert errors == []
    shot(rp, "grid-home")
    # to the room of the lease that ended, and check the tenant out
    tenancy = live_city["people"]["mover_now"]
    page.click(f"li.visit a[href='/grid/rooms/{tenancy.room_id}/']")
    page.wait_for_selector("#now")
    page.click(f"li.occupant[data-tenancy='{tenancy.pk}'] summary")
    form = page.locator(f"li.occupant[data-tenancy='{tenancy.pk}'] form.check-out")
    form.locator("select[name=reason]").select_option("lease_ended")
    shot(rp, "grid-check-out")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#done")
    assert Tenancy.objects.get(pk=tenancy.pk).end_date is not None
    assert AuditEntry.objects.get(action="check_out", tenancy_id=tenancy.pk).reason == "租约到期未续租"
    assert page.locator(f"li.occupant[data-tenancy='{tenancy.pk}']").count() == 0
