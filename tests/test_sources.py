"""Readers: every format, and bad records rejected with file, line and field while the rest is read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clearlive.errors import InputError
from clearlive.model.events import Comment, Order, Utterance
from clearlive.watch.sources import InputOptions, ReadStats, Reject, RejectSink, read_inputs

from .conftest import event, write_jsonl


def read(paths: list[Path], **opts: object) -> tuple[list, list[Reject], ReadStats]:
    rejects: list[Reject] = []
    stats = ReadStats()
    events = list(read_inputs([str(p) for p in paths], InputOptions(**opts), rejects.append, stats))  # type: ignore[arg-type]
    return events, rejects, stats


def test_jsonl_malformed_lines_are_rejected_and_the_rest_processed(room_file: Path) -> None:
    events, rejects, stats = read([room_file])
    assert len(events) == 7
    assert [(r.line, r.field) for r in rejects] == [(6, "user_id"), (7, None)]
    assert "Expected `str`, got `int`" in rejects[0].error
    assert rejects[0].describe().startswith("room.jsonl:6: field `user_id`")
    assert stats.total_read == stats.total_accepted + stats.total_rejected == 9


def test_missing_field_and_unknown_type_name_the_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            {"type": "comment", "room_id": "r", "ts": "2026-11-01T12:00:00Z", "user_id": "u"},
            {"type": "teleport", "room_id": "r", "ts": 1},
            {"type": "comment", "room_id": "r", "ts": "yesterday", "user_id": "u", "text": "hi"},
            {"type": "review", "room_id": "r", "ts": 1, "order_id": "o", "rating": 9},
        ],
    )
    _, rejects, _ = read([path])
    assert [r.field for r in rejects] == ["text", "type", "ts", "rating"]


def test_ids_are_derived_from_source_and_line(room_file: Path) -> None:
    events, _, _ = read([room_file])
    assert events[0].id == "room.jsonl:1"
    assert all(isinstance(e.ts, int) for e in events)


def test_gzip_and_stdin(tmp_path: Path, room_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gz = tmp_path / "room.jsonl.gz"
    gz.write_bytes(gzip.compress(room_file.read_bytes()))
    events, rejects, _ = read([gz])
    assert len(events) == 7 and len(rejects) == 2

    class FakeStdin:
        buffer = room_file.open("rb")

    monkeypatch.setattr("sys.stdin", FakeStdin)
    events, rejects, _ = read([Path("-")])
    assert len(events) == 7 and events[0].id == "stdin:1"


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path, room_file: Path) -> None:
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(gzip.compress(room_file.read_bytes() * 50)[:-40])
    events, rejects, stats = read([gz])
    assert events and rejects[-1].unit == "file"
    assert stats.total_read == stats.total_accepted + stats.total_rejected


def test_webvtt_cues_become_host_utterances(tmp_path: Path) -> None:
    vtt = tmp_path / "live-9.vtt"
    vtt.write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500\n<v host>全网最低价\n\n"
        "2\n00:00:04.000 --> garbage\n坏的时间\n\n"
        "3\n00:01:00.000 --> 00:01:02.000\n拆开以后最好冷藏\n",
        encoding="utf-8",
    )
    events, rejects, _ = read([vtt], t0="2026-11-01T12:00:00Z")
    assert [type(e) for e in events] == [Utterance, Utterance]
    assert events[0].room_id == "live-9" and events[0].speaker == "host" and events[0].start == 1.0
    assert events[1].ts - events[0].ts == 59_000
    assert len(rejects) == 1 and rejects[0].line == 7 and rejects[0].field == "cue"


def test_srt(tmp_path: Path) -> None:
    srt = tmp_path / "s.srt"
    srt.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\n加薇信\n\n2\nnot a time\ntext\n\n3\n00:00:05,000 --> 00:00:06,000\n好的\n",
        encoding="utf-8",
    )
    events, rejects, _ = read([srt], room_id="r9")
    assert [e.text for e in events] == ["加薇信", "好的"] and events[0].room_id == "r9"
    assert [r.line for r in rejects] == [5]


def test_whisper_json(tmp_path: Path) -> None:
    doc = {
        "text": "...",
        "language": "zh",
        "segments": [
            {"id": 0, "start": 0.0, "end": 2.0, "text": " 全网最低价"},
            {"id": 1, "start": "soon", "end": 3.0, "text": "坏"},
            {"id": 2, "start": 4.0, "end": 5.0, "text": "好的"},
        ],
    }
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    events, rejects, _ = read([path])
    assert [e.text for e in events] == ["全网最低价", "好的"] and events[0].lang == "zh"
    assert rejects[0].field == "segments[1].start" and rejects[0].unit == "segment"


def test_csv_table_type_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "room_id,ts,order_id,user_id,sku,qty,amount\n"
        "r1,2026-11-01T12:00:00Z,o1,u1,sku1,2,79.8\n"
        "r1,2026-11-01T12:01:00Z,o2,u2,sku1,many,39.9\n"
        "r1,2026-11-01T12:02:00Z,o3,u3,sku1,1,39.9\n",
        encoding="utf-8",
    )
    events, rejects, _ = read([path])
    assert [type(e) for e in events] == [Order, Order] and events[0].qty == 2
    assert rejects[0].line == 3 and rejects[0].field == "qty"


def test_parquet_with_explicit_type(tmp_path: Path) -> None:
    path = tmp_path / "chat.parquet"
    pq.write_table(
        pa.table(
            {
                "room_id": ["r1", "r1", None],
                "ts": [1, 2, 3],
                "user_id": ["a", "b", "c"],
                "text": ["hi", "加薇信", "x"],
            }
        ),
        path,
    )
    events, rejects, _ = read([path], table_type="comment")
    assert [type(e) for e in events] == [Comment, Comment]
    assert rejects[0].line == 3 and rejects[0].field == "room_id" and rejects[0].unit == "row"


def test_unreadable_inputs_fail_early(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read([tmp_path / "missing.jsonl"])
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InputError, match="unknown input format"):
        read([tmp_path / "x.txt"])


def test_overlong_line_is_rejected(tmp_path: Path) -> None:
    big = event("comment", user_id="u", text="好" * 400_000)
    path = write_jsonl(tmp_path / "big.jsonl", [big, event("comment", user_id="u", text="ok")])
    events, rejects, _ = read([path])
    assert len(events) == 1 and "longer than" in rejects[0].error


def test_a_text_over_the_limit_is_rejected_with_its_line_never_cut(tmp_path: Path) -> None:
    """A longer text would otherwise be scanned only in part, silently: it is rejected instead."""
    from clearlive.model.events import MAX_TEXT_CHARS

    ok = "全网最低价" * 10
    long = "主播好看" * (MAX_TEXT_CHARS // 4) + "加V：abc12345"
    jsonl = tmp_path / "room.jsonl"
    rows = [{"type": "comment", "room_id": "r", "ts": i, "user_id": "u", "text": t} for i, t in enumerate([ok, long])]
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    vtt = tmp_path / "talk.vtt"
    vtt.write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{ok}\n\n00:00:03.000 --> 00:00:04.000\n{long}\n")
    for path, field in ((jsonl, "text"), (vtt, "cue")):
        sink, stats = RejectSink(None), ReadStats()
        events = list(read_inputs([str(path)], InputOptions(room_id="r"), sink, stats))
        assert [e.text for e in events] == [ok]  # type: ignore[attr-defined]
        assert stats.total_rejected == 1 and sink.first[0].field == field
        assert "20000" in sink.first[0].error.replace(",", "") and sink.first[0].line in (2, 6)
