"""Police incident CSV import: geocoding by address (normalised) and by coordinates, UTF-8 and
GB18030, a per-row report with row numbers, bad rows refused, nothing written on a dry run."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from buildings.models import Building
from gis_core.errors import BadRequest
from safety.address import AddressIndex, normalise
from safety.incidents import import_csv
from safety.models import Incident
from tests.factories import lonlat, make_building


@pytest.fixture
def addressed(place):
    Building.objects.filter(code="W1").update(address="昆明市西山区测试社区西院12号")
    Building.objects.filter(code="E1").update(address="昆明市西山区测试社区东院2号")
    make_building("W2", (100, 50, 120, 65))
    Building.objects.filter(code="W2").update(address="昆明市西山区测试社区西院2号")
    make_building("X1", (130, 50, 150, 65))
    make_building("X2", (300, 100, 320, 115))
    Building.objects.filter(code__in=["X1", "X2"]).update(address="测试路同名8号")
    return place


def test_normalise_units_widths_and_spaces():
    assert normalise("西院１２栋") == normalise("西院 12 幢") == normalise("西院12号楼") == "西院12号"
    assert normalise("ａ座") == "A座"  # a letter is not a house number
    index = AddressIndex([(1, "昆明市西山区测试社区西院12号"), (2, "昆明市西山区测试社区西院2号")])
    assert index.find("西院12栋") == ([1], "tail")
    assert index.find("西院2号") == ([2], "tail")       # never 12号
    assert index.find("云南省昆明市西山区测试社区西院１２号") == ([1], "tail")
    assert index.find("院2号") == ([], "none")  # too short to pick a building
    assert index.find("东院9号") == ([], "none")


def _csv(*rows, header="编号,时间,类别,地址,经度,纬度,报警人") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_good_and_bad_rows_with_row_numbers(addressed):
    in_w1 = "%.7f,%.7f" % lonlat(60, 57)
    in_alley = "%.7f,%.7f" % lonlat(120, 150)
    outside = "%.7f,%.7f" % lonlat(5000, 5000)
    data = _csv(
        "JQ1,2026-10-03 21:15,入室盗窃,西院１２栋,,,张三",        # 2 address, full-width, 栋
        f"JQ2,2026/10/4 02:40,theft,,{in_w1},李四",              # 3 coordinates in W1
        f"JQ3,2026年10月5日 08:00,盗窃,,{in_alley},",            # 4 coordinates in an alley
        "JQ4,2026-10-05 09:00,偷东西,西院12号,,,",              # 5 unknown category
        "JQ5,昨天晚上,盗窃,西院12号,,,",                        # 6 bad time
        "JQ6,2099-01-01 00:00,盗窃,西院12号,,,",                # 7 in the future
        "JQ7,2026-10-05 10:00,盗窃,,,,",                        # 8 no place
        "JQ8,2026-10-05 11:00,盗窃,西院99号,,,",                # 9 no such building
        "JQ9,2026-10-05 12:00,盗窃,测试路同名8号,,,",            # 10 two buildings
        f"JQ10,2026-10-05 13:00,盗窃,,{outside},",              # 11 outside every community
        "JQ11,2026-10-05 14:00,盗窃,,abc,25.0,",                # 12 not a number
        "JQ1,2026-10-03 21:15,入室盗窃,西院１２栋,,,张三",        # 13 the same case again
        ",,,,,,",                                                # 14 blank: skipped
        "JQ12,2026-10-06 10:00,诈骗,东院2号,,,",                 # 15 address tail, no 12号 confusion
    )
    report = import_csv(data)
    by_row = {r.row: r for r in report.rows}
    assert report.encoding == "UTF-8"
    assert [n for n, r in by_row.items() if r.status == "ok"] == [2, 3, 4, 15]
    assert [n for n, r in by_row.items() if r.status == "error"] == [5, 6, 7, 8, 9, 10, 11, 12]
    assert by_row[13].status == "duplicate" and 14 not in by_row
    assert "偷东西" in by_row[5].message and "2 栋" in by_row[10].message
    assert by_row[2].building == "W1" and by_row[3].building == "W1" and by_row[4].building == ""
    assert by_row[15].building == "E1"
    assert report.created == 4
    stored = {i.source_id: i for i in Incident.objects.select_related("building", "grid", "category")}
    assert set(stored) == {"JQ1", "JQ2", "JQ3", "JQ12"}
    assert stored["JQ1"].building.code == "W1" and stored["JQ1"].grid == addressed["west"]
    assert stored["JQ1"].place == "西院12号" and stored["JQ1"].category.code == "burglary"
    assert stored["JQ3"].building is None and stored["JQ3"].grid == addressed["west"]
    assert stored["JQ12"].grid == addressed["east"]
    # no other column is kept: the caller's name is nowhere in the table
    assert not Incident.objects.filter(place__contains="张三").exists()
    again = import_csv(data)
    assert again.count("duplicate") == 5 and again.created == 0 and Incident.objects.count() == 4


def test_gb18030_and_dry_run(addressed):
    data = ("时间,类别,地址\n2026-10-03 21:15,盗窃,西院12号\n2026-10-04 21:15,抢劫、抢夺,东院2号\n").encode("gb18030")
    report = import_csv(data, dry_run=True)
    assert report.encoding == "GB18030" and report.count("ok") == 2 and report.created == 0
    assert not Incident.objects.exists()
    assert import_csv(data).created == 2
    # without a case number the digest of time, category and place identifies the row
    assert import_csv(data).count("duplicate") == 2


@pytest.mark.parametrize("data, message", [
    (b"", "空"),
    (b"a,b\n1,2\n", "缺少必需的列"),
    ("时间,类别\n2026-10-01,盗窃\n".encode(), "缺少地点列"),
    (b"\x00\x01", "NUL"),
])
def test_unusable_files_are_refused(db, data, message):
    with pytest.raises(BadRequest) as exc:
        import_csv(data)
    assert message in str(exc.value.message)


def test_command_reports_rows_and_fails_on_bad_rows(addressed, tmp_path, capsys):
    path = tmp_path / "jq.csv"
    path.write_bytes(_csv("A1,2026-10-03 21:15,盗窃,西院12号,,,", "A2,2026-10-03,无此类,西院12号,,,"))
    with pytest.raises(SystemExit) as exc:
        call_command("import_incidents", str(path), "--dry-run")
    assert exc.value.code == 1
    out = capsys.readouterr()
    assert "row 3: error" in out.out and "1 would be stored" in out.err
    assert not Incident.objects.exists()
    path.write_bytes(_csv("A1,2026-10-03 21:15,盗窃,西院12号,,,"))
    call_command("import_incidents", str(path))
    assert "1 stored" in capsys.readouterr().out and Incident.objects.count() == 1


def test_admin_upload_shows_the_report(addressed, client):
    admin = get_user_model().objects.create_superuser("boss", password="pw-boss-123456")
    client.force_login(admin)
    url = reverse("admin:safety_incident_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("jq.csv", _csv("B1,2026-10-03 21:15,盗窃,西院12号,,,", "B2,坏时间,盗窃,西院12号,,,"))
    page = client.post(url, {"file": upload, "dry_run": "on"}).content.decode()
    assert 'class="count-ok">1<' in page and 'class="count-error">1<' in page and "坏时间" in page
    assert not Incident.objects.exists()
    upload = SimpleUploadedFile("jq.csv", _csv("B1,2026-10-03 21:15,盗窃,西院12号,,,"))
    client.post(url, {"file": upload})
    assert Incident.objects.count() == 1
    assert "导入公安警情" in client.get(reverse("admin:safety_incident_changelist")).content.decode()
