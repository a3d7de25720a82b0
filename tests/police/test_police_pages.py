"""The police pages in headless Chromium at 390 × 844 (a phone) and on a desktop: lookup by ID
number → history → room register, the feed with its filters and next page; nothing requested
from another host (tests/browser.py checks every request)."""

from __future__ import annotations

import pytest

from tests.idcard_helpers import id_number
from tests.staff_helpers import make_city, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_city(two_grids):
    return make_city(two_grids)


def _fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_lookup_history_and_register_on_a_phone(open_page, live_server, live_city):
    rp = open_page(width=390, height=844, touch=True)
    sign_in(rp, live_server, live_city["users"]["police"])
    page = rp.page
    page.goto(f"{live_server.url}/police/")
    _fits(page)
    page.fill("input[name=id_number]", id_number(11))
    page.fill("#lookup input[name=reason]", "案件核查需要")
    shot(rp, "police-lookup")
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#tenancies")
    assert page.locator("li.tenancy").count() == 2 and page.locator("li.tenancy.current").count() == 1
    assert id_number(11) not in page.content()
    _fits(page)
    shot(rp, "police-history")
    page.click("li.tenancy.current a")
    page.wait_for_selector("#now")
    assert page.locator("#now li.occupant").count() == 1
    _fits(page)
    shot(rp, "police-room")


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_feed_filters_and_pages(open_page, live_server, live_city, width, height):
    rp = open_page(width=width, height=height, touch=width < 500)
    sign_in(rp, live_server, live_city["users"]["police"])
    page = rp.page
    page.goto(f"{live_server.url}/police/feed/?size=2")
    assert page.locator("li.feed-row").count() == 2
    first = page.locator("li.feed-row time").first.inner_text()
    assert "年" in first and "月" in first and "T" not in first  # local time, human form
    _fits(page)
    if width < 500:
        shot(rp, "police-feed")
    page.click("#next")
    page.wait_for_load_state()
    assert "cursor=" in page.url and page.locator("li.feed-row").count() == 2
    page.goto(f"{live_server.url}/police/feed/")
    page.select_option("select[name=flag]", "late")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("li.feed-row").count() == 3 and page.locator("li.feed-row .tag.late").count() == 3
    _fits(page)
