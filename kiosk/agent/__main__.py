"""Command line of the reader agent.

  python -m kiosk.agent --config agent.json read --record wz.txt [--photo zp.bmp]
  python -m kiosk.agent --config agent.json frame --file frame.bin [--photo zp.bmp]
  python -m kiosk.agent --config agent.json serial --port /dev/ttyUSB0 [--photo zp.bmp]   (needs pyserial)
  python -m kiosk.agent --config agent.json watch --record wz.txt [--photo zp.bmp]
  python -m kiosk.agent --config agent.json flush
  python -m kiosk.agent --config agent.json status

agent.json: {"server": "http://10.0.0.5:8000", "kiosk": "530112001001-01", "secret": "…",
             "spool": "agent-spool.db"} (or env GIS_AGENT_SERVER / _KIOSK / _SECRET / _SPOOL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from kiosk.agent.client import Agent
from kiosk.agent.record import RecordError, parse_frame, parse_record, read_serial
from kiosk.agent.spool import Spool


def load_config(path: str | None) -> dict:
    config = json.loads(Path(path).read_text()) if path else {}
    for key in ("server", "kiosk", "secret", "spool"):
        config[key] = os.environ.get(f"GIS_AGENT_{key.upper()}", config.get(key))
    config["spool"] = config["spool"] or "agent-spool.db"
    missing = [k for k in ("server", "kiosk", "secret") if not config.get(k)]
    if missing:
        raise SystemExit(f"agent configuration lacks {', '.join(missing)} (--config file or GIS_AGENT_* variables)")
    return config


def _photo(path: str | None) -> bytes | None:
    if path and Path(path).exists():
        return Path(path).read_bytes()
    return None


def _report(outcomes) -> int:
    code = 0
    for o in outcomes:
        if o.status is None or not o.delivered:
            print(f"{o.reading_id}: kept for retry ({o.error})")
            code = 2
        else:
            detail = (o.body or {}).get("detail", "")
            print(f"{o.reading_id}: HTTP {o.status} {detail}")
            code = code or (0 if o.status < 400 else 1)
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.agent", description="ID-card reader agent")
    parser.add_argument("--config")
    parser.add_argument("--retry-seconds", type=float, default=30.0, help="keep retrying this long (default 30)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("read", help="queue and send the SDK's text record file")
    p.add_argument("--record", required=True)
    p.add_argument("--photo")
    p = sub.add_parser("frame", help="queue and send a recorded serial frame")
    p.add_argument("--file", required=True)
    p.add_argument("--photo")
    p = sub.add_parser("serial", help="read a card through the reader's serial port (pyserial)")
    p.add_argument("--port", required=True)
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--photo")
    p = sub.add_parser("watch", help="send the record file each time the SDK rewrites it")
    p.add_argument("--record", required=True)
    p.add_argument("--photo")
    p.add_argument("--interval", type=float, default=0.5)
    sub.add_parser("flush", help="send what is still queued")
    sub.add_parser("status", help="count queued, sent and rejected readings")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    spool = Spool(config["spool"])
    agent = Agent(config["server"], config["kiosk"], config["secret"], spool)
    try:
        if args.cmd == "status":
            print(json.dumps(spool.counts()))
            return 0
        if args.cmd == "flush":
            return _report(agent.flush_until_empty(args.retry_seconds))
        if args.cmd == "read":
            agent.submit(Path(args.record).read_bytes(), _photo(args.photo))
        elif args.cmd == "frame":
            text, _wlt = parse_frame(Path(args.file).read_bytes())
            agent.submit(text, _photo(args.photo))
        elif args.cmd == "serial":
            try:
                import serial  # pyserial, only on kiosks that talk to the SAM module directly
            except ImportError:
                raise SystemExit("the serial command needs pyserial: pip install pyserial==3.5") from None
            with serial.Serial(args.port, args.baud, timeout=2) as port:
                text, _wlt = read_serial(port)
            agent.submit(text, _photo(args.photo))
        elif args.cmd == "watch":
            last = None
            while True:
                path = Path(args.record)
                stamp = path.stat().st_mtime_ns if path.exists() else None
                if stamp and stamp != last:
                    last = stamp
                    try:
                        parse_record(path.read_bytes())
                        agent.submit(path.read_bytes(), _photo(args.photo))
                        _report(agent.flush())
                    except RecordError as exc:
                        print(f"not a card record: {exc}", file=sys.stderr)
                time.sleep(args.interval)
        return _report(agent.flush_until_empty(args.retry_seconds))
    except RecordError as exc:
        print(f"not a card record: {exc}", file=sys.stderr)
        return 1
    finally:
        spool.close()


if __name__ == "__main__":
    sys.exit(main())
