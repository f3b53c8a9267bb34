"""Shared helpers: write realistic event files and run the CLI in-process."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from clearlive.cli.main import main

# The suite's property tests take the same examples on every run, so that CI cannot fail by luck;
# `make fuzz` (atheris) and HYPOTHESIS_PROFILE=explore search afresh.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

T0 = "2026-11-01T12:00:00Z"


def event(kind: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"type": kind, "room_id": "room-1", "ts": T0}
    base.update(fields)
    return base


def write_jsonl(path: Path, rows: list[dict[str, object] | str]) -> Path:
    """Rows are events (dicts) or raw lines (str, for malformed input)."""
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


@pytest.fixture
def run_cli(capfd: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `clearlive ARGS...` in-process; return (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capfd.readouterr()
        return code, out, err

    return run


@pytest.fixture
def room_file(tmp_path: Path) -> Path:
    """A small room: a violating host, chat with traps, a malformed line, viewer stats."""
    return write_jsonl(
        tmp_path / "room.jsonl",
        [
            event("session_start", session_id="s1", anchor_id="a1", title="面霜专场"),
            event("room_stats", ts="2026-11-01T12:00:10Z", online=1200),
            event("utterance", ts="2026-11-01T12:00:20Z", text="家人们，这是全网最低价，加薇信领福利", speaker="host"),
            event("comment", ts="2026-11-01T12:00:21Z", user_id="u1", text="支持微信支付吗"),
            event("comment", ts="2026-11-01T12:00:22Z", user_id="u2", text="主播傻逼"),
            '{"type": "comment", "room_id": "room-1", "ts": "2026-11-01T12:00:23Z", "user_id": 7, "text": "x"}',
            "this is not json",
            event("utterance", ts="2026-11-01T12:00:30Z", text="拆开以后最好冷藏保存", speaker="host"),
            event("room_stats", ts="2026-11-01T12:00:40Z", online=1500),
        ],
    )
