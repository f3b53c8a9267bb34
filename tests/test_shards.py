"""`clearlive scan --jobs N` (issue #21 item 3): rooms sharded over processes give the findings of one
scanner, in the same order, and the same session summaries; cross-room detectors (the order ring's
FRAUDAR and lockstep windows, fan raids) run in the parent over the merged stream.

The stream is tests/test_lifecycle.py's `realistic_stream` (three demo rooms, a room whose claims
wait for the listing, an order ring over six shops, the next day's broadcast), plus a fan raid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec

from clearlive.model.events import EventBase
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.shards import scan_sharded, shard_of
from clearlive.watch.sources import InputOptions, ReadStats, read_inputs
from tests.test_lifecycle import _ev, realistic_stream

CONFIG = ScanConfig(claims_model=None)


def fan_raid(t0: int) -> list[EventBase]:
    """A host sends viewers to another room; six of them post the same line there."""
    def say(room: str, s: int, eid: str, text: str, **more: object) -> EventBase:
        return _ev(room_id=room, ts=t0 + s * 1000, id=eid, text=text, **more)

    events = [say("room-a", k, f"a{k}", "主播好", type="comment", user_id=f"fan{k}") for k in range(6)]
    events.append(say("room-a", 10, "call", "家人们去他直播间给他们show一下", type="utterance", speaker="host"))
    events += [say("room-b", 20 + k, f"b{k}", "卖假货的骗子", type="comment", user_id=f"fan{k}") for k in range(6)]
    return events


def _stream_file(tmp_path: Path) -> Path:
    events = realistic_stream(tmp_path)
    t0 = min(int(e.ts) for e in events)  # type: ignore[arg-type]
    events = sorted([*events, *fan_raid(t0 + 1_200_000)], key=lambda e: (e.ts, e.id))
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in events))
    return path


def _read(path: Path) -> list[EventBase]:
    return list(read_inputs([str(path)], InputOptions(), lambda r: None, ReadStats()))


def test_sharded_scan_reports_one_scanners_findings_in_its_order(tmp_path: Path) -> None:
    path = _stream_file(tmp_path)
    rooms = {e.room_id for e in _read(path)}
    assert len({shard_of(r, 3) for r in rooms}) == 3  # every shard owns rooms
    one = Scanner.from_config(CONFIG)
    expected = list(one.run(_read(path)))
    assert {f.rule_id for f in expected} >= {"fraud.fraudar", "fraud.fan_raid.target", "fraud.templated_chat"}
    for jobs in (2, 3):
        result = scan_sharded(CONFIG, [str(path)], _read(path), jobs)
        assert [msgspec.json.encode(f) for f in result.findings] == [msgspec.json.encode(f) for f in expected]
        assert msgspec.json.encode(result.sessions) == msgspec.json.encode(one.sessions.summaries())


def test_scan_cli_jobs_writes_the_same_findings(tmp_path: Path) -> None:
    path = _stream_file(tmp_path)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"findings-{jobs}.jsonl"
        cmd = [sys.executable, "-m", "clearlive", "scan", str(path), "--no-claims-model", "-j", jobs, "-o", str(out)]
        subprocess.run(cmd, check=True, cwd=Path(__file__).parents[1], capture_output=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 100
