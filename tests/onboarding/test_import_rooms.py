"""Importing rooms and landlords from the registers communities keep (onboarding.rooms)."""

from __future__ import annotations

from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from buildings.models import Building, Landlord, Room
from onboarding.errors import ImportFailed, SourceUnreadable, UnknownField, UnknownLayer
from onboarding.rooms import RoomOptions, import_rooms
from tests.factories import make_building, make_community, make_room

pytestmark = pytest.mark.django_db

HEADER = ["序号", "楼栋编号", "房屋地址", "楼层", "房号", "面积(㎡)", "户型", "月租金（元）", "可住人数", "房屋状态",
          "房东姓名", "房东身份证号", "房东联系电话", "是否同意公开电话", "同意日期", "同意方式", "备注"]


def row(n, building, floor, number, *, address="", area=18.5, rent=800, capacity=2, status="空置", landlord="张三",
        phone="138 0000 0001", consent="", date="", method=""):
    return [n, building, address, floor, number, area, "单间", rent, capacity, status, landlord, "530102199001011234",
            phone, consent, date, method, ""]


@pytest.fixture
def place(db):
    community = make_community()
    b1 = make_building("B-1", (20, 20, 40, 35), floors=6)
    b2 = make_building("B-2", (60, 20, 80, 35), floors=3)
    Building.objects.filter(pk=b1.pk).update(address="学府路1号")
    Building.objects.filter(pk=b2.pk).update(address="学府路2栋（东楼）")
    return community


def write_xlsx(path, rows, *, header=HEADER, title="某某社区出租房屋登记表", sheet="登记表"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    book.save(path)
    return path


def write_csv(path, rows, *, header=HEADER, encoding="utf-8"):
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def run(path, **options):
    return import_rooms(path, RoomOptions(**options))


def rooms():
    return {(r.building.code, r.floor, r.number): (r.area_m2, r.rent_monthly, r.capacity, r.status)
            for r in Room.objects.select_related("building")}


def test_xlsx_with_title_row_aliases_and_landlords(tmp_path, place):
    path = write_xlsx(tmp_path / "登记表.xlsx", [
        row(1, "B-1", 1, "101", consent="是", date="2024-03-01", method="纸质"),
        row(2, "B-1", 2, "201", rent=900, status="已出租"),
        row(3, "", 1, "101", address="学府路２幢", landlord="张三", phone="13800000001", consent="是"),
    ])
    report = run(path)
    assert [r.action for r in report.rows] == ["created"] * 3
    assert rooms() == {("B-1", 1, "101"): (18.5, 800, 2, "vacant"), ("B-1", 2, "201"): (18.5, 900, 2, "let"),
                       ("B-2", 1, "101"): (18.5, 800, 2, "vacant")}
    (landlord,) = Landlord.objects.all()  # one person by phone, whatever the spacing
    assert landlord.phone == "13800000001" and landlord.public_phone == "13800000001"
    assert set(Building.objects.values_list("landlord_id", flat=True)) == {landlord.pk}
    assert any("身份证号" in n for n in report.notes)
    assert not Landlord.objects.filter(name__contains="5301").exists()
    assert Room.objects.filter(layout__isnull=True).count() == 0  # laid out once, at the end
    assert Building.objects.get(code="B-1").room_count == 2


def test_consent_without_date_or_method_keeps_the_phone_private(tmp_path, place):
    report = run(write_xlsx(tmp_path / "r.xlsx", [row(1, "B-1", 1, "101", consent="是")]))
    assert Landlord.objects.get().public_phone is None
    assert "电话不公开" in report.rows[0].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_utf8_or_gb18030_detected(tmp_path, place, encoding):
    path = write_csv(tmp_path / "r.csv", [row(1, "B-1", 1, "101", landlord="李四"), row(2, "B-2", 3, "301")],
                     encoding=encoding)
    report = run(path)
    assert report.encoding == ("utf-8" if encoding.startswith("utf") else "gb18030")
    assert set(Landlord.objects.values_list("name", flat=True)) == {"李四"}
    assert len(rooms()) == 2


def test_english_headers_and_map(tmp_path, place):
    header = ["Building", "Floor", "Room", "Area", "Rent", "间数说明", "门牌"]
    path = write_csv(tmp_path / "r.csv", [["", 1, "101", 20, 700, "", "学府路1号"], ["B-2", 2, "202", 15, 650, "", ""]],
                     header=header)
    run(path, column_map=("门牌=address",))
    assert set(rooms()) == {("B-1", 1, "101"), ("B-2", 2, "202")}


def test_merged_building_cells_are_filled_down(tmp_path, place):
    rows = [row(1, "B-1", 1, "101"), row(2, None, 1, "102", landlord=None, phone=None),
            row(3, "B-2", 1, "101", landlord="王五", phone="13900000000")]
    run(write_xlsx(tmp_path / "r.xlsx", rows))
    assert set(rooms()) == {("B-1", 1, "101"), ("B-1", 1, "102"), ("B-2", 1, "101")}
    assert Building.objects.get(code="B-2").landlord.name == "王五"


def test_reimport_updates_in_place_leaves_absent_rooms_and_never_frees_a_let_room(tmp_path, place):
    b1 = Building.objects.get(code="B-1")
    make_room(b1, 5, "501")  # not in the file: left alone
    make_room(b1, 1, "101", status="let")
    path = write_xlsx(tmp_path / "r.xlsx", [row(1, "B-1", 1, "101", rent=850), row(2, "B-1", 2, "201")])
    first = run(path)
    assert [r.action for r in first.rows] == ["updated", "created"]
    assert Room.objects.get(building=b1, number="101").status == "let"
    assert "不会改为空置" in first.rows[0].reason and any("保持已出租" in n for n in first.notes)
    again = run(path)
    assert [r.action for r in again.rows] == ["unchanged", "unchanged"]
    assert Room.objects.filter(building=b1).count() == 3 and Room.objects.get(number="501")


def test_bad_rows_are_reported_with_their_row_numbers(tmp_path, place):
    path = write_xlsx(tmp_path / "r.xlsx", [
        row(1, "B-1", 1, "101"),
        row(2, "B-1", 1, "102", area="约二十"),  # text in a number column
        row(3, "B-1", 1, "101"),  # duplicate of row 1
        row(4, "B-2", 9, "901"),  # B-2 has 3 floors
        row(5, "", 1, "101", address="学府路99号"),  # no such building
        row(6, "B-9", 1, "101"),
    ])
    report = run(path)
    rows = {r.feature: r for r in report.rows}  # title row 1, header row 2: data from row 3
    assert rows[3].action == "created"
    assert rows[4].action == "rejected" and "面积不是数字" in rows[4].reason
    assert "房号重复（同第 3 行）" in rows[5].reason
    assert "高于楼栋的 3 层" in rows[6].reason
    assert "找不到地址为 学府路99号" in rows[7].reason and "学府路1号" in rows[7].reason  # nearest candidates
    assert "没有编号为 B-9" in rows[8].reason
    assert Room.objects.count() == 1


def test_all_or_nothing_and_dry_run_write_nothing(tmp_path, place):
    path = write_xlsx(tmp_path / "r.xlsx", [row(1, "B-1", 1, "101"), row(2, "B-1", "x", "102")])
    with pytest.raises(ImportFailed) as failed:
        run(path, all_or_nothing=True)
    assert failed.value.report.rows[1].action == "rejected"
    dry = run(path, dry_run=True)
    assert dry.counts()["created"] == 1
    assert not Room.objects.exists() and not Landlord.objects.exists()


def test_unreadable_wrong_sheet_and_missing_columns(tmp_path, place):
    broken = tmp_path / "r.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(SourceUnreadable):
        run(broken)
    with pytest.raises(UnknownLayer, match="登记表"):
        run(write_xlsx(tmp_path / "s.xlsx", [row(1, "B-1", 1, "101")]), sheet="Sheet9")
    with pytest.raises(UnknownField, match="rent"):
        run(write_csv(tmp_path / "m.csv", [["B-1", 1, "101", 20]], header=["楼栋编号", "楼层", "房号", "面积"]))


def test_template_command_and_its_example_imports(tmp_path, place):
    target = tmp_path / "rooms.xlsx"
    call_command("import_rooms", "--template", str(target), stdout=StringIO())
    book = openpyxl.load_workbook(target)
    assert [c.value for c in book.worksheets[0][2]][:5] == ["楼栋编号", "房屋地址", "楼层", "房号", "面积"]
    out = StringIO()
    call_command("import_rooms", str(target), "--report", str(tmp_path / "r.csv"), stdout=out)
    assert "导入完成" in out.getvalue()
    assert Landlord.objects.get().public_phone == "13800000000"  # consent with date and method
    with pytest.raises(CommandError):
        call_command("import_rooms", str(tmp_path / "missing.xlsx"), stdout=StringIO())


def test_admin_upload_and_template_download(client, staff_with, tmp_path, place):
    client.force_login(staff_with("buildings.add_room", "buildings.view_room"))
    assert 'href="/admin/buildings/room/import/"' in client.get("/admin/buildings/room/").content.decode()
    template = client.get("/admin/buildings/room/import/?template=1")
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    body = write_xlsx(tmp_path / "r.xlsx", [row(1, "B-1", 1, "101")]).read_bytes()
    page = client.post("/admin/buildings/room/import/", {"file": SimpleUploadedFile("r.xlsx", body)})
    assert page.status_code == 200 and "B-1 1F-101" in page.content.decode()
    assert Room.objects.count() == 1
    bad = client.post("/admin/buildings/room/import/", {"file": SimpleUploadedFile("r.xlsx", b"junk")})
    assert bad.status_code == 200 and "errornote" in bad.content.decode()


def test_report_in_the_request_language(tmp_path, place):
    from django.utils import translation

    with translation.override("en"):
        report = run(write_xlsx(tmp_path / "r.xlsx", [row(1, "B-9", 1, "101"), row(2, "B-1", "x", "102"),
                                                      row(3, "B-1", 1, "101")]))
    assert "No building with code B-9" in report.rows[0].reason
    assert "Floor is not a whole number: x" in report.rows[1].reason
    assert report.rows[2].action == "created"


def test_utf16_tab_separated_text_and_nul_bytes(tmp_path, place):
    """Excel's "Unicode text" is UTF-16 with tabs; a NUL in a cell never breaks the import."""
    text = "\t".join(HEADER[1:6] + ["月租金"]) + "\n" + "\t".join(["B-1", "", "1", "101", "18", "800"]) + "\n"
    (tmp_path / "u.csv").write_bytes(text.encode("utf-16"))
    assert run(tmp_path / "u.csv").counts()["created"] == 1
    (tmp_path / "n.csv").write_bytes(b"\xe6\xa5\xbc\xe6\xa0\x8b\xe7\xbc\x96\xe5\x8f\xb7,floor,room,area,rent\nB-1,2,2\x0001,18,800\n")
    assert run(tmp_path / "n.csv").counts()["created"] == 1
