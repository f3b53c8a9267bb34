"""Recorded TikTok LIVE and Douyin webcast messages become ClearLive events: scanned like any room,
and sent straight to the service with `?source=`."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from clearlive.model.events import Event
from clearlive.sources.adapters import adapt, adapt_lines

DATA = Path(__file__).parent / "data" / "adapters"


def _adapted(name: str, source: str) -> tuple[list[dict], list[tuple[int, str | None]]]:
    events, rejects = [], []
    with (DATA / name).open("rb") as fh:
        for n, evs, field, _ in adapt_lines(iter(fh), "room-x", source):
            if evs is None:
                rejects.append((n, field))
            else:
                events.extend(evs)
    return events, rejects


def test_tiktok_messages() -> None:
    events, rejects = _adapted("tiktok.jsonl", "tiktok")
    kinds = [e["type"] for e in events]
    assert kinds == ["room_stats", "enter", "comment", "utterance", "like", "gift", "follow", "comment", "session_end"]
    assert events[0]["online"] == 1520 and events[0]["total_viewers"] == 20311
    gift = next(e for e in events if e["type"] == "gift")
    assert gift["count"] == 10 and gift["value"] == 0.05  # the streak's end only: 10 roses, not 3 + 10
    assert events[3]["speaker"] == "host" and "cures eczema" in events[3]["text"]  # captions of the host
    assert rejects == [(11, "user")]  # a comment with no user id; the rank update is skipped, not rejected
    for e in events:
        msgspec.convert(e, Event)  # every one is a valid ClearLive event


def test_douyin_messages_in_camel_case_and_seconds() -> None:
    events, rejects = _adapted("douyin.jsonl", "douyin")
    kinds = [e["type"] for e in events]
    assert kinds == ["room_stats", "enter", "comment", "comment", "like", "gift", "follow", "share", "session_end"]
    assert events[0]["ts"] == 1_793_534_400_000  # createTime in seconds
    assert events[1]["user_id"] == events[2]["user_id"] == "1001"  # the same viewer entering, then chatting
    assert rejects == [(10, "count")]


def test_adapted_rooms_are_scanned_like_any_other(tmp_path: Path) -> None:
    from clearlive.cli.main import main

    out = tmp_path / "tt.jsonl"
    assert main(["adapt", str(DATA / "tiktok.jsonl"), "--from", "tiktok", "--room", "tt", "-o", str(out)]) == 0
    findings = tmp_path / "f.jsonl"
    assert main(["scan", str(out), "--out", str(findings)]) == 0
    rules = {json.loads(line)["rule_id"] for line in findings.read_text().splitlines()}
    assert any("disease" in r or "efficacy" in r for r in rules)  # the caption's medical claim
    assert any("diversion" in r for r in rules)  # "DM me on telegram"


def test_service_takes_client_messages(tmp_path: Path) -> None:
    from clearlive.service.store import open_store
    from tests.test_service import Service

    svc = Service(open_store(None))
    try:
        body = (DATA / "douyin.jsonl").read_bytes()
        r = svc.client.post("/api/v1/events?source=douyin&room_id=dy1", content=body, headers=svc.h("ingest"))
        assert r.status_code == 202
        assert r.json()["accepted"] == 9 and r.json()["rejected"] == 1
        svc.pipeline.drain()
        found = svc.client.get("/api/v1/findings?room_id=dy1", headers=svc.h("reviewer")).json()
        assert any("diversion" in f["rule_id"] for f in found)  # 加V：abc12345
        bad = svc.client.post("/api/v1/events?source=kuaishou&room_id=x", content=body, headers=svc.h("ingest"))
        assert bad.status_code == 422
    finally:
        svc.pipeline.close()


def test_unknown_messages_are_skipped_and_bad_ones_say_where() -> None:
    assert adapt({"type": "EmoteChatEvent", "data": {}}, "r") == []
    with pytest.raises(ValueError, match="no time"):
        adapt({"type": "CommentEvent", "data": {"user": {"unique_id": "a"}, "content": "hi"}}, "r")
