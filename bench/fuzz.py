"""Coverage-guided fuzzing with atheris (issue #8): no input may crash a reader, the normaliser or
the rule loader, and every record read is accepted or rejected.

    python bench/fuzz.py jsonl [-runs=100000] [-max_len=4096] [corpus_dir ...]
    make fuzz        # every target, 20,000 runs each

Targets:
  jsonl, vtt, srt, whisper, csv, parquet   each input is written to a file of that kind and read
      with `read_inputs`; anything but a clean `ClearLiveError` for a whole unreadable file is a
      crash. parquet starts from a seed corpus of valid files (made here) so that mutations reach
      the pages and rows, not only the footer.
  adapter     TikTok/Douyin recordings through `adapt_recording`.
  normalize   any text through `normalize`: the offset map must stay monotone and inside the text.
  rules       any bytes as a YAML rule pack: only a `RuleLoadError` naming the file may come out.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from clearlive.errors import ClearLiveError, RuleLoadError
    from clearlive.watch.normalize import normalize
    from clearlive.watch.rules.loader import load_pack_file
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs
    from clearlive.watch.sources.adapters import adapt_recording

SUFFIX = {
    "jsonl": "events.jsonl",
    "vtt": "talk.vtt",
    "srt": "talk.srt",
    "whisper": "talk.json",
    "csv": "orders.csv",
    "parquet": "orders.parquet",
}
TARGETS = [*SUFFIX, "adapter", "normalize", "rules"]
WORK = Path(tempfile.mkdtemp(prefix="clearlive-fuzz-"))


def read_file(target: str):  # type: ignore[no-untyped-def]
    path = WORK / SUFFIX[target]

    def test(data: bytes) -> None:
        path.write_bytes(data)
        sink, stats = RejectSink(None), ReadStats()
        try:
            events = list(read_inputs([str(path)], InputOptions(room_id="r", t0="2026-11-01T12:00:00Z"), sink, stats))
        except ClearLiveError:
            return
        if stats.total_read != stats.total_accepted + stats.total_rejected or len(events) != stats.total_accepted:
            raise AssertionError(f"counts do not add up: {stats}")
        if sink.count != stats.total_rejected:
            raise AssertionError(f"{sink.count} rejects written, {stats.total_rejected} counted")

    return test


def adapter(data: bytes) -> None:
    for source in ("tiktok", "douyin"):
        list(adapt_recording(data.splitlines(), "r", source))


def normalizer(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    n = normalize(text)
    if n.starts is None:
        if len(n.text) != len(text):
            raise AssertionError("length changed without an offset map")
        return
    for i in range(len(n.text)):
        if not (0 <= n.starts[i] < n.ends[i] <= len(text)) or (i and n.starts[i] < n.starts[i - 1]):
            raise AssertionError(f"offset map broken at {i}: {n.starts[i]}..{n.ends[i]} in {len(text)}")


def rule_pack(data: bytes) -> None:
    path = WORK / "pack.yaml"
    path.write_bytes(data)
    try:
        load_pack_file(path)
    except RuleLoadError as exc:
        if str(path) not in str(exc):
            raise AssertionError(f"error does not name the file: {exc}") from None


def parquet_seeds() -> Path:
    """A few valid Parquet files (orders, comments; plain and dictionary-encoded) to mutate."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    seeds = WORK / "parquet-seeds"
    seeds.mkdir(exist_ok=True)
    n = 20
    orders = pa.table(
        {
            "room_id": ["r"] * n,
            "order_id": [f"o{i}" for i in range(n)],
            "user_id": [f"u{i % 3}" for i in range(n)],
            "sku": ["k"] * n,
            "amount": [9.9 + i for i in range(n)],
            "ts": ["2026-11-01T12:00:00Z"] * n,
        }
    )
    pq.write_table(orders, seeds / "a.parquet", row_group_size=7)
    pq.write_table(orders, seeds / "b.parquet", use_dictionary=False, compression="none")
    return seeds


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python bench/fuzz.py {{{'|'.join(TARGETS)}}} [atheris options] [corpus_dir ...]")
    target = sys.argv.pop(1)
    if target in SUFFIX:
        test = read_file(target)
    else:
        test = {"adapter": adapter, "normalize": normalizer, "rules": rule_pack}[target]
    if target == "parquet" and not any(not a.startswith("-") for a in sys.argv[1:]):
        sys.argv.append(str(parquet_seeds()))  # libFuzzer reads (and adds to) this corpus
    atheris.Setup(sys.argv, test)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
