"""The reader agent: records and frames from recorded bytes, the durable spool, signed sending
against the live test server, a dropped network, a lost response and retries."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from kiosk.agent import __main__ as cli
from kiosk.agent.client import Agent
from kiosk.agent.record import (READ_CARD, RecordError, build_frame, parse_frame, parse_record, read_serial)
from kiosk.agent.spool import Spool
from residents.models import Person, PersonPhoto, Tenancy
from tests.factories import make_room
from tests.idcard_helpers import BMP, arm, make_kiosk, make_landlord_user, record
from tests.ports import free_port

# A record as the SDK writes wz.txt for the GB 11643 example number (bytes, not built by our code).
WZ_SAMPLE = (
    "张小花".ljust(15) + "2" + "01" + "19491231" + "北京市西城区某某胡同1号".ljust(35) + "11010519491231002X"
    + "北京市公安局西城分局".ljust(15) + "20150101" + "长期".ljust(8) + " " * 18
).encode("utf-16-le")


def test_parses_the_sdk_text_record():
    assert len(WZ_SAMPLE) == 256
    r = parse_record(WZ_SAMPLE)
    assert (r.name, r.sex, r.nation, r.birth_date) == ("张小花", "2", "01", "19491231")
    assert r.address == "北京市西城区某某胡同1号" and r.id_number == "11010519491231002X"
    assert (r.authority, r.valid_from, r.valid_to, r.card_type) == ("北京市公安局西城分局", "20150101", "长期", "")


def test_card_type_from_byte_248():
    raw = bytearray(WZ_SAMPLE)
    raw[248:250] = "J".encode("utf-16-le")
    assert parse_record(bytes(raw)).card_type == "J"
    raw[248:250] = "I".encode("utf-16-le")
    assert parse_record(bytes(raw)).card_type == "I"


def test_bad_records_are_refused():
    with pytest.raises(RecordError, match="256 bytes"):
        parse_record(WZ_SAMPLE[:200])
    with pytest.raises(RecordError, match="UCS-2"):
        parse_record(b"\x00\xd8" * 128)  # lone surrogates are not text


def test_serial_frames():
    frame = build_frame(WZ_SAMPLE, photo=b"\x11" * 1024)
    assert frame[:5].hex() == "aaaaaa9669" and frame[14:14 + 256] == WZ_SAMPLE
    assert int.from_bytes(frame[5:7], "big") == 3 + 2 + 2 + 256 + 1024 + 1
    text, wlt = parse_frame(frame)
    assert parse_record(text).id_number == "11010519491231002X" and wlt == b"\x11" * 1024
    broken = bytearray(frame)
    broken[100] ^= 0xFF
    with pytest.raises(RecordError, match="checksum"):
        parse_frame(bytes(broken))
    with pytest.raises(RecordError, match="truncated"):
        parse_frame(frame[:500])
    with pytest.raises(RecordError, match="AA AA AA 96 69"):
        parse_frame(b"\x00" + frame[1:])
    with pytest.raises(RecordError, match="status 00 00 80"):
        parse_frame(build_frame(WZ_SAMPLE, sw=b"\x00\x00\x80"))


class RecordedPort:
    """Plays back what a reader's serial port answered (find → 9F, select → 90, read → frame)."""

    def __init__(self, answers):
        self.answers, self.written, self.buffer = list(answers), [], b""

    def write(self, data):
        self.written.append(data)
        self.buffer += self.answers.pop(0)

    def read(self, n):
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


def test_reads_through_a_serial_port():
    found = bytes.fromhex("AAAAAA9669000800009F0000000097")
    selected = bytes.fromhex("AAAAAA9669000C00009000000000000000009C")
    port = RecordedPort([found, selected, build_frame(WZ_SAMPLE)])
    text, _wlt = read_serial(port)
    assert parse_record(text).name == "张小花" and port.written[-1] == READ_CARD
    no_card = bytes.fromhex("AAAAAA96690004000080008C")
    with pytest.raises(RecordError, match="no card"):
        read_serial(RecordedPort([no_card]))


def test_spool_is_durable_and_forgets_card_data_once_answered(tmp_path):
    spool = Spool(str(tmp_path / "spool.db"))
    rid = spool.add({"record": "x"})
    spool.close()
    spool = Spool(str(tmp_path / "spool.db"))  # a restart: the reading is still there
    assert [r for r, _ in spool.pending()] == [rid]
    spool.answered(rid, 201, "{}")
    row = spool.get(rid)
    assert row["state"] == "done" and row["payload"] is None and spool.pending() == []


# -- against the live server ------------------------------------------------------------------

@pytest.fixture
def kiosk_scene(building):
    room = make_room(building, 2, "201", capacity=2)
    kiosk, secret = make_kiosk(building.community)
    operator = make_landlord_user(building)
    arm(kiosk, operator, room)
    return kiosk, secret, room


class ResponseDroppingProxy:
    """Forwards HTTP requests to the server but, for the first `drop` of them, closes the
    connection instead of passing the response back: the server acted, the agent never heard."""

    def __init__(self, target_port: int, drop: int):
        self.target, self.drop = target_port, drop
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0]
                             .split(b":")[1])
                while len(body) < length:
                    body += conn.recv(65536)
                head = head.replace(b"Connection: keep-alive", b"Connection: close")
                with socket.create_connection(("127.0.0.1", self.target)) as up:
                    up.sendall(head + b"\r\n\r\n" + body)
                    response = b""
                    while chunk := up.recv(65536):
                        response += chunk
                if self.drop > 0:
                    self.drop -= 1
                    continue  # close without answering
                conn.sendall(response)

    def close(self):
        self.sock.close()


@pytest.mark.django_db(transaction=True)
def test_agent_survives_a_dropped_network_and_sends_once(live_server, kiosk_scene, tmp_path):
    kiosk, secret, room = kiosk_scene
    spool = Spool(str(tmp_path / "spool.db"))
    offline = Agent(f"http://127.0.0.1:{free_port()}", kiosk.code, secret, spool, timeout=2)
    rid = offline.submit(record(1), photo=BMP)
    [outcome] = offline.flush()
    assert outcome.status is None and "network" in outcome.error
    assert Tenancy.objects.count() == 0 and spool.get(rid)["state"] == "pending"  # kept, not lost

    online = Agent(live_server.url, kiosk.code, secret, spool)
    [outcome] = online.flush()
    assert outcome.status == 201 and outcome.body["outcome"] == "linked", outcome.body
    assert spool.get(rid)["state"] == "done" and spool.pending() == []
    assert online.flush() == []  # nothing left to send
    t = Tenancy.objects.get()
    assert t.room_id == room.pk and t.registered_via == "kiosk_card" and t.kiosk_id == kiosk.pk
    assert PersonPhoto.objects.filter(person=t.person).exists()


@pytest.mark.django_db(transaction=True)
def test_a_lost_response_is_retried_and_applied_once(live_server, kiosk_scene, tmp_path):
    kiosk, secret, room = kiosk_scene
    port = int(live_server.url.rsplit(":", 1)[1])
    proxy = ResponseDroppingProxy(port, drop=2)
    try:
        agent = Agent(f"http://127.0.0.1:{proxy.port}", kiosk.code, secret, Spool(str(tmp_path / "s.db")), timeout=5)
        rid = agent.submit(record(7))
        outcomes = agent.flush_until_empty(deadline_s=30, backoff=(0.1,))
    finally:
        proxy.close()
    assert [o.status for o in outcomes] == [None, None, 201]  # the server's 1st answer was the one that linked
    assert outcomes[-1].body["repeated"] is True and outcomes[-1].body["outcome"] == "linked"
    assert Tenancy.objects.filter(room=room).count() == 1 and Person.objects.count() == 1
    assert agent.spool.get(rid)["state"] == "done"


@pytest.mark.django_db(transaction=True)
def test_command_line_reads_a_record_file_and_a_frame(live_server, kiosk_scene, tmp_path, capsys):
    kiosk, secret, room = kiosk_scene
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"server": live_server.url, "kiosk": kiosk.code, "secret": secret,
                                  "spool": str(tmp_path / "spool.db")}))
    (tmp_path / "wz.txt").write_bytes(record(3))
    assert cli.main(["--config", str(config), "read", "--record", str(tmp_path / "wz.txt")]) == 0
    (tmp_path / "frame.bin").write_bytes(build_frame(record(4, sex="2")))
    assert cli.main(["--config", str(config), "frame", "--file", str(tmp_path / "frame.bin")]) == 0
    (tmp_path / "expired.txt").write_bytes(record(5, valid_from="20000101", valid_to="20200101"))
    assert cli.main(["--config", str(config), "read", "--record", str(tmp_path / "expired.txt")]) == 1
    out = capsys.readouterr().out
    assert "HTTP 201" in out and "HTTP 422" in out and "过期" in out
    assert Tenancy.objects.filter(room=room).count() == 2
    assert cli.main(["--config", str(config), "status"]) == 0
    assert json.loads(capsys.readouterr().out) == {"done": 2, "rejected": 1}


def test_agent_needs_no_django(tmp_path):
    """The kiosk PC gets kiosk/__init__.py and kiosk/agent/ only: nothing there may import Django."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "kiosk"
    (tmp_path / "kiosk").mkdir()
    shutil.copy(src / "__init__.py", tmp_path / "kiosk" / "__init__.py")
    shutil.copytree(src / "agent", tmp_path / "kiosk" / "agent", ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys, kiosk.agent.__main__, kiosk.agent.client; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'residents', 'gis_core')]; "
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    helped = subprocess.run([sys.executable, "-m", "kiosk.agent", "--help"], cwd=tmp_path, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert helped.returncode == 0 and "ID-card reader agent" in helped.stdout
