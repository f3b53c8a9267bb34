"""Coverage-guided fuzzing of the readers with atheris (issue #8): no input may crash a reader, and
every record read is accepted or rejected.

    python bench/fuzz.py jsonl [-runs=100000] [-max_len=4096] [corpus_dir ...]
    make fuzz        # every reader, 20,000 runs each

Targets: jsonl, vtt, srt, whisper, csv, adapter (TikTok/Douyin recordings). Each input is written
to a file of the target's kind and read with `read_inputs` (or the adapter); anything but a clean
`ClearLiveError` for a whole unreadable file is a crash that atheris reports with the input.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from clearlive.errors import ClearLiveError
    from clearlive.sources import InputOptions, ReadStats, RejectSink, read_inputs
    from clearlive.sources.adapters import adapt_lines

SUFFIX = {"jsonl": "events.jsonl", "vtt": "talk.vtt", "srt": "talk.srt", "whisper": "talk.json", "csv": "orders.csv"}
WORK = Path(tempfile.mkdtemp(prefix="clearlive-fuzz-"))


def one_reader(target: str):  # type: ignore[no-untyped-def]
    path = WORK / SUFFIX.get(target, "x.jsonl")

    def test(data: bytes) -> None:
        if target == "adapter":
            for source in ("tiktok", "douyin"):
                list(adapt_lines(iter(data.splitlines()), "r", source))
            return
        path.write_bytes(data)
        sink, stats = RejectSink(None), ReadStats()
        try:
            events = list(read_inputs([str(path)], InputOptions(room_id="r", t0="2026-11-01T12:00:00Z"), sink, stats))
        except ClearLiveError:
            return
        if stats.total_read != stats.total_accepted + stats.total_rejected or len(events) != stats.total_accepted:
            raise AssertionError(f"counts do not add up: {stats}")

    return test


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in [*SUFFIX, "adapter"]:
        sys.exit(f"usage: python bench/fuzz.py {{{'|'.join([*SUFFIX, 'adapter'])}}} [atheris options]")
    target = sys.argv.pop(1)
    atheris.Setup(sys.argv, one_reader(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
