"""`clearlive scan`: the CONTRACT section 3 shape, exit codes, rejects and the DuckDB store."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from clearlive.model.findings import CATEGORIES, SEVERITIES

CONTRACT_FIELDS = {
    "id",
    "rule_id",
    "category",
    "severity",
    "confidence",
    "room_id",
    "session_id",
    "anchor_id",
    "ts",
    "event_ids",
    "evidence",
    "legal_basis",
    "message",
    "suggestion",
}


def findings_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_findings_follow_the_contract(run_cli, room_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    code, _, err = run_cli("scan", room_file, "--out", out)
    assert code == 0
    findings = findings_of(out)
    assert {f["rule_id"] for f in findings} == {
        "zh.absolute.superlative",
        "zh.price.baseless_language",  # 全网最低价 is also a price claim
        "zh.diversion.contact_app",
        "zh.abuse.profanity",
    }
    for f in findings:
        assert CONTRACT_FIELDS <= f.keys()
        assert f["category"] in CATEGORIES and f["severity"] in SEVERITIES
        assert 0 < f["confidence"] <= 1
        assert f["session_id"] == "s1" and f["anchor_id"] == "a1"  # filled from the room's session
        assert {"text", "start", "end", "context"} <= f["evidence"].keys()
        assert all({"id", "citation"} <= lb.keys() for lb in f["legal_basis"])
    quote = next(f for f in findings if f["rule_id"] == "zh.diversion.contact_app")["evidence"]
    assert quote["text"] == "加薇信"  # the original words, not the normalised 加微信
    assert "read 9 records" in err and "7 accepted, 2 rejected" in err


def test_same_input_same_findings(run_cli, room_file: Path, tmp_path: Path) -> None:
    run_cli("scan", room_file, "--out", tmp_path / "a.jsonl")
    run_cli("scan", room_file, "--out", tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_rejects_go_to_a_reject_file(run_cli, room_file: Path, tmp_path: Path) -> None:
    rejects = tmp_path / "bad.jsonl"
    code, _, err = run_cli("scan", room_file, "--out", tmp_path / "f.jsonl", "--rejects", rejects)
    assert code == 0
    rows = findings_of(rejects)
    assert [(r["source"], r["line"], r["field"]) for r in rows] == [
        ("room.jsonl", 6, "user_id"),
        ("room.jsonl", 7, None),
    ]
    assert "room.jsonl:6: field `user_id`" in err


def test_default_reject_file_sits_beside_out(run_cli, room_file: Path, tmp_path: Path) -> None:
    run_cli("scan", room_file, "--out", tmp_path / "f.jsonl")
    assert (tmp_path / "f.jsonl.rejects.jsonl").exists()


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 0), ("high", 1), ("medium", 1), ("info", 1)])
def test_fail_on(run_cli, room_file: Path, tmp_path: Path, fail_on: str, code: int) -> None:
    assert run_cli("scan", room_file, "--out", tmp_path / "f.jsonl", "--fail-on", fail_on)[0] == code


def test_clean_input_exits_zero_even_with_fail_on(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_text(
        json.dumps({"type": "comment", "room_id": "r", "ts": 1, "user_id": "u", "text": "发什么快递"}) + "\n"
    )
    code, out, _ = run_cli("scan", path, "--fail-on", "info")
    assert code == 0 and out == ""


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "no-such-file.jsonl"),
        ("scan", "{room}", "--format", "xml"),
        ("scan", "{room}", "--fail-on", "urgent"),
        ("scan", "{room}", "--rules", "missing-pack.yaml"),
        ("scan",),
    ],
)
def test_unusable_arguments_exit_2(run_cli, room_file: Path, args: tuple[str, ...]) -> None:
    assert run_cli(*[a.replace("{room}", str(room_file)) for a in args])[0] == 2


def test_json_and_table_formats(run_cli, room_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    code, _, _ = run_cli("scan", room_file, "--format", "json", "--out", tmp_path / "f.json")
    assert code == 0 and len(json.loads((tmp_path / "f.json").read_text())) == 4
    code, out, _ = run_cli("scan", room_file, "--format", "table")
    assert code == 0 and "zh.diversion.contact_app" in out and "全网最低价" in out


def test_stdout_is_jsonl_by_default(run_cli, room_file: Path) -> None:
    code, out, _ = run_cli("scan", room_file)
    assert code == 0 and len([json.loads(line) for line in out.splitlines()]) == 4


def test_user_rule_pack(run_cli, room_file: Path, tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "pack: mine\nlanguage: zh\njurisdiction: CN\nrules:\n"
        "  - id: zh.mine.cold_storage\n    title: cold\n    category: efficacy_claim\n    severity: info\n"
        "    terms: [冷藏保存]\n    legal_basis: [CN-AD-28]\n    message: m\n"
        "    examples: {match: [请冷藏保存], no_match: [常温]}\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli("scan", room_file, "--rules", pack)
    assert code == 0 and "zh.mine.cold_storage" in out


def test_db_is_idempotent(run_cli, room_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    for _ in range(2):
        assert run_cli("scan", room_file, "--db", db, "--out", tmp_path / "f.jsonl")[0] == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 7
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 4
    row = con.execute("SELECT session_id, n_events, n_findings, peak_online, title FROM sessions").fetchall()
    assert row == [("s1", 7, 4, 1500, "面霜专场")]


def test_transcript_options(run_cli, tmp_path: Path) -> None:
    vtt = tmp_path / "rec.vtt"
    vtt.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:07.000\n这是最好用的面霜\n", encoding="utf-8")
    code, out, _ = run_cli(
        "scan", vtt, "--room", "room-7", "--session", "s7", "--anchor", "a7", "--t0", "2026-11-01T20:00:00+08:00"
    )
    f = json.loads(out)
    assert code == 0 and (f["room_id"], f["session_id"], f["anchor_id"]) == ("room-7", "s7", "a7")
    assert f["ts"] == "2026-11-01T12:00:05.000Z" and f["stream_offset_s"] == 5.0


def test_rules_list_and_test(run_cli) -> None:
    code, out, _ = run_cli("rules", "list", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and {"zh.absolute.superlative", "en.diversion.pointer", "any.diversion.url"} <= {
        r["id"] for r in rules
    }
    code, out, _ = run_cli("rules", "test")
    assert code == 0 and "examples passed" in out


def test_rules_test_fails_on_a_broken_example(run_cli, tmp_path: Path) -> None:
    pack = tmp_path / "broken.yaml"
    pack.write_text(
        "pack: b\nlanguage: zh\njurisdiction: CN\nrules:\n"
        "  - id: zh.broken.rule\n    title: t\n    category: abuse\n    severity: low\n"
        "    terms: [坏词]\n    legal_basis: [CN-CAC-2024]\n    message: m\n"
        "    examples: {match: [没有这个词], no_match: [坏词]}\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli("rules", "test", "--rules", pack)
    assert code == 1 and "FAIL zh.broken.rule" in out
