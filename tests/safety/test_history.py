"""Overrides (audited, kept across re-rating, lifted), the monthly history with red streaks, the
grid's history page, and the admin preview."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEntry
from gis_core.errors import BadRequest
from safety import services
from safety.models import Override, Rating, RuleSet
from tests.safety.conftest import END, MONTH, NOW, add_incident, rule_set


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("boss", password="pw-boss-123456")


def test_override_is_audited_survives_rerating_and_can_be_lifted(place, admin_user):
    rule_set()
    add_incident(END - timedelta(days=1))
    services.rate(MONTH, now=NOW)
    west = place["west"]
    assert Rating.objects.get(grid=west, month=MONTH).colour == "yellow"

    with pytest.raises(BadRequest):
        services.override(month=MONTH, colour="green", reason="  ", actor=admin_user, grid=west)
    ov = services.override(month=date(2026, 10, 17), colour="green", reason="嫌疑人已抓获，系外来流窜作案",
                           actor=admin_user, grid=west)
    assert ov.month == MONTH
    r = Rating.objects.get(grid=west, month=MONTH)
    assert (r.colour, r.computed_colour, r.override_id) == ("green", "yellow", ov.pk)
    entry = AuditEntry.objects.filter(action="override").latest("id")
    assert entry.actor == "boss" and "流窜" in entry.reason
    assert entry.detail == {"month": "2026-10-01", "grid": west.code, "building": None, "before": "yellow",
                            "after": "green"}

    services.rate(MONTH, now=NOW)  # re-rating keeps the override
    r = Rating.objects.get(grid=west, month=MONTH)
    assert (r.colour, r.computed_colour, r.override_id) == ("green", "yellow", ov.pk)

    services.lift(ov, admin_user, reason="复核后撤销")
    r = Rating.objects.get(grid=west, month=MONTH)
    assert (r.colour, r.override_id) == ("yellow", None)
    assert not Override.objects.exists()
    assert AuditEntry.objects.filter(action="override").count() == 2


def test_override_before_rating_applies_when_rated(place, admin_user):
    rule_set()
    services.override(month=MONTH, colour="red", reason="重点整治", actor=admin_user, grid=place["east"])
    services.rate(MONTH, now=NOW)
    r = Rating.objects.get(grid=place["east"], month=MONTH)
    assert (r.colour, r.computed_colour) == ("red", "green")


def test_history_keeps_every_month_and_counts_red_streaks(place):
    rule_set(red_at=Decimal("50"))
    months = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    for m in months:
        add_incident(services.evaluate.window_for(m, 30, NOW).end - timedelta(days=1))
        services.rate(m, now=NOW)
    history = list(Rating.objects.filter(grid=place["west"]).order_by("month"))
    assert [(r.month, r.colour, r.red_streak) for r in history] == [
        (months[0], "red", 1), (months[1], "red", 2), (months[2], "red", 3)]
    assert [r.red_streak for r in Rating.objects.filter(grid=place["east"])] == [0, 0, 0]
    # a later rule change does not rewrite history, and each month keeps the rules it was rated by
    RuleSet.objects.filter(name="测试规则").update(red_at=Decimal("500"))
    services.rate(months[2], now=NOW)
    assert Rating.objects.get(grid=place["west"], month=months[1]).rules["red_at"] == "50.000"
    latest = Rating.objects.get(grid=place["west"], month=months[2])
    assert (latest.colour, latest.red_streak, latest.rules["red_at"]) == ("yellow", 0, "500.000")


def test_grid_history_page_shows_colours_and_figures(place, client, admin_user):
    rule_set()
    add_incident(END - timedelta(days=1))
    services.rate(MONTH, now=NOW)
    url = reverse("safety:grid", args=[place["west"].code])
    assert client.get(url).status_code == 302  # login first
    plain = get_user_model().objects.create_user("someone", password="pw-some-123456")
    client.force_login(plain)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    page = client.get(url).content.decode()
    assert 'data-month="2026-10" data-colour="yellow"' in page
    assert "police:theft × 1" in page and "50.000" in page
    assert client.get(reverse("safety:grid", args=["999999999999999"])).status_code == 404


def test_rate_safety_command(place, capsys):
    rule_set()
    call_command("rate_safety", "--month", "2026-10", "--community", place["community"].code)
    assert "2 ratings by 1 rule set" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rate_safety", "--month", "2026-13")
    with pytest.raises(CommandError):
        call_command("rate_safety", "--community", "000000000000")


def _rule_form(rs, **changes):
    data = {"name": rs.name, "community": "", "active": "on", "grid_kinds": ["courtyard"], "window_days": "30",
            "min_residents": str(rs.min_residents), "default_weight": "0", "yellow_at": str(rs.yellow_at),
            "red_at": str(rs.red_at), "registration_days": "3", "note": "",
            "weights-TOTAL_FORMS": "1", "weights-INITIAL_FORMS": "0", "weights-MIN_NUM_FORMS": "0",
            "weights-MAX_NUM_FORMS": "1000", "weights-0-pair": "police:theft", "weights-0-weight": "1"}
    data.update(changes)
    return data


def test_admin_preview_counts_grids_turning_red(place, client, admin_user):
    rs = rule_set()
    add_incident(END - timedelta(days=1))
    services.rate(MONTH, now=NOW)
    client.force_login(admin_user)
    url = reverse("admin:safety_ruleset_preview", args=[rs.pk])
    body = client.post(url, _rule_form(rs, red_at="40", yellow_at="20")).json()
    assert body["month"] == "2026-10"
    assert body["counts"] == {"green": 1, "yellow": 0, "red": 1} and body["current"]["yellow"] == 1
    assert body["changes"] == [{"code": place["west"].code, "name": "西院", "from": "yellow", "to": "red",
                                "rate": "50.000"}]
    assert "红色 1 个网格" in body["summary"]
    assert Rating.objects.get(grid=place["west"], month=MONTH).colour == "yellow"  # nothing saved
    rs.refresh_from_db()
    assert rs.red_at == Decimal("100")
    bad = client.post(url, _rule_form(rs, red_at="10", yellow_at="20"))
    assert bad.status_code == 400 and "detail" in bad.json()
    # the change form carries the preview button
    page = client.get(reverse("admin:safety_ruleset_change", args=[rs.pk])).content.decode()
    assert 'id="safety-preview"' in page and url in page
