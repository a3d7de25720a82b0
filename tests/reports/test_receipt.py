"""The reporter's status page: by receipt token only, escaped, no reporter data."""

from reports.services import create_report
from tests.factories import point


def test_receipt_page_shows_status_and_timeline_without_reporter_data(client, mesh_scene):
    r = create_report(category_code="sanitation", location=point(60, 40), description="<b>垃圾</b>满了 & 臭",
                      phone="13800138000")
    html = client.get(f"/report/{r.receipt_token}/").content.decode()
    assert "待派遣" in html and 'id="timeline"' in html and html.count("<li>") == 2
    assert "13800138000" not in html and "<b>" not in html and "&amp;" in html


def test_unknown_receipt_is_404(client, mesh_scene):
    create_report(category_code="sanitation", location=point(60, 40), description="x")
    assert client.get("/report/not-a-token/").status_code == 404
