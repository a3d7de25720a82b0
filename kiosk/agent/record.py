"""The resident ID card reader's text record and serial frames (see docs: idcard-privacy note).

Text record: 256 bytes, UCS-2 little-endian, fixed-width fields (bytes):
name 30 · sex 2 · nation 4 · birth date 16 · address 70 · ID number 36 · issuing authority 30 ·
valid from 16 · valid to 16 (YYYYMMDD or 长期) · reserved 36, of which byte 248 holds the card
type (`J` Hong Kong/Macau/Taiwan residence permit, `I` foreigner's permanent residence card,
blank for the resident ID card).

Serial frame: AA AA AA 96 69 · LEN (2 bytes, big-endian: bytes after it, checksum included) ·
SW1 SW2 SW3 (00 00 90 = success) · text length (2) · photo length (2) · text (from offset 14) ·
photo (WLT, 1,024 bytes; only the vendor library decodes it — never sent to the server) ·
checksum (XOR of every byte from LEN up to the one before it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

RECORD_SIZE = 256
FRAME_HEADER = bytes.fromhex("AAAAAA9669")
NO_EXPIRY = "长期"

# (field, start byte, length in bytes)
LAYOUT = (
    ("name", 0, 30), ("sex", 30, 2), ("nation", 32, 4), ("birth_date", 36, 16), ("address", 52, 70),
    ("id_number", 122, 36), ("authority", 158, 30), ("valid_from", 188, 16), ("valid_to", 204, 16),
)
CARD_TYPE_OFFSET = 248
CARD_TYPES = {"": "resident", "J": "hk_mo_tw_residence_permit", "I": "foreign_permanent_residence"}


class RecordError(ValueError):
    """The bytes are not a reader record or frame; the message says why."""


@dataclass(frozen=True)
class CardRecord:
    name: str
    sex: str
    nation: str
    birth_date: str
    address: str
    id_number: str
    authority: str
    valid_from: str
    valid_to: str
    card_type: str  # "", "J" or "I"

    def as_dict(self) -> dict:
        return asdict(self)


def _text(raw: bytes) -> str:
    return raw.decode("utf-16-le", errors="strict").replace("\x00", "").strip()


def parse_record(raw: bytes) -> CardRecord:
    """Parse a 256-byte UCS-2LE text record (e.g. the SDK's wz.txt)."""
    if len(raw) != RECORD_SIZE:
        raise RecordError(f"a text record is {RECORD_SIZE} bytes, got {len(raw)}")
    try:
        fields = {name: _text(raw[start:start + size]) for name, start, size in LAYOUT}
        card_type = _text(raw[CARD_TYPE_OFFSET:CARD_TYPE_OFFSET + 2]).upper()
    except UnicodeDecodeError:
        raise RecordError("the record is not UCS-2 little-endian text") from None
    if card_type not in CARD_TYPES:
        card_type = ""
    return CardRecord(card_type=card_type, **fields)


def build_record(*, name: str, sex: str, nation: str, birth_date: str, address: str, id_number: str,
                 authority: str, valid_from: str, valid_to: str, card_type: str = "") -> bytes:
    """The inverse of parse_record (what a reader writes): for tests and recorded samples."""
    out = bytearray(" ".encode("utf-16-le") * (RECORD_SIZE // 2))
    values = {"name": name, "sex": sex, "nation": nation, "birth_date": birth_date, "address": address,
              "id_number": id_number, "authority": authority, "valid_from": valid_from, "valid_to": valid_to}
    for field, start, size in LAYOUT:
        enc = values[field].encode("utf-16-le")
        if len(enc) > size:
            raise RecordError(f"{field} is longer than {size // 2} characters")
        out[start:start + len(enc)] = enc
    if card_type:
        out[CARD_TYPE_OFFSET:CARD_TYPE_OFFSET + 2] = card_type.encode("utf-16-le")
    return bytes(out)


def checksum(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def parse_frame(frame: bytes) -> tuple[bytes, bytes]:
    """(text record, WLT photo bytes) from one 'read card' response frame of the SAM module."""
    if not frame.startswith(FRAME_HEADER):
        raise RecordError("not a reader frame: it must start AA AA AA 96 69")
    if len(frame) < 14:
        raise RecordError("frame too short")
    length = int.from_bytes(frame[5:7], "big")
    if len(frame) < 7 + length:
        raise RecordError(f"frame truncated: LEN says {length} bytes follow, {len(frame) - 7} do")
    end = 7 + length
    if checksum(frame[5:end - 1]) != frame[end - 1]:
        raise RecordError("frame checksum mismatch")
    sw = frame[7:10]
    if sw != b"\x00\x00\x90":
        raise RecordError(f"the reader reported status {sw.hex(' ').upper()} (no card or read error)")
    text_len = int.from_bytes(frame[10:12], "big")
    photo_len = int.from_bytes(frame[12:14], "big")
    if 14 + text_len + photo_len > end - 1:
        raise RecordError("frame lengths do not add up")
    return frame[14:14 + text_len], frame[14 + text_len:14 + text_len + photo_len]


def build_frame(text: bytes, photo: bytes = b"\x00" * 1024, sw: bytes = b"\x00\x00\x90") -> bytes:
    body = sw + len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo
    length = (len(body) + 1).to_bytes(2, "big")
    return FRAME_HEADER + length + body + bytes([checksum(length + body)])


def command(cmd: int, para: int) -> bytes:
    """A command frame to the SAM module, e.g. command(0x30, 0x01) = read text and photo."""
    body = bytes([0x00, 0x03, cmd, para])
    return FRAME_HEADER + body + bytes([checksum(body)])


FIND_CARD, SELECT_CARD, READ_CARD = command(0x20, 0x01), command(0x20, 0x02), command(0x30, 0x01)


def read_serial(port) -> tuple[bytes, bytes]:
    """Find, select and read a card through an open serial port (a pyserial `Serial` or anything
    with write()/read(n)). Returns (text record, WLT photo)."""

    def exchange(cmd: bytes) -> bytes:
        port.write(cmd)
        head = port.read(7)
        if len(head) < 7 or not head.startswith(FRAME_HEADER):
            raise RecordError("no answer from the reader")
        rest = port.read(int.from_bytes(head[5:7], "big"))
        return head + rest

    for cmd in (FIND_CARD, SELECT_CARD):
        frame = exchange(cmd)
        if frame[9] not in (0x90, 0x9F):
            raise RecordError("no card on the reader: lift the card and place it again")
    return parse_frame(exchange(READ_CARD))
