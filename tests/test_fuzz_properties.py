"""Hostile input, property-tested (issue #8): every reader, the rule loader and the scanner take
whatever hypothesis throws at them without crashing; every record read is either accepted or
rejected with its place; user regexes cannot backtrack. (Coverage-guided fuzzing of the same
readers with atheris: bench/fuzz.py, `make fuzz`.)"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearlive.errors import ClearLiveError, RuleLoadError
from clearlive.model.events import TYPE_BY_NAME, Event
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SUFFIXES = [".jsonl", ".vtt", ".srt", ".json", ".csv"]
_DIR = Path(tempfile.mkdtemp(prefix="clearlive-fuzz-"))


def read_all(data: bytes, suffix: str, name: str = "orders") -> tuple[list, ReadStats, RejectSink]:
    path = _DIR / f"{name}{suffix}"
    path.write_bytes(data)
    sink = RejectSink(None)
    stats = ReadStats()
    try:
        events = list(read_inputs([str(path)], InputOptions(room_id="r", t0="2026-11-01T12:00:00Z"), sink, stats))
    except ClearLiveError:
        return [], stats, sink  # a whole file that is not of its kind: a clean error, exit status 2
    return events, stats, sink


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(SUFFIXES))
def test_any_bytes_in_any_reader_never_crash(data: bytes, suffix: str) -> None:
    events, stats, sink = read_all(data, suffix)
    assert stats.total_read == stats.total_accepted + stats.total_rejected
    assert len(events) == stats.total_accepted and sink.count == stats.total_rejected
    for r in sink.first:
        assert r.line >= 1 and r.error


def _counts_add_up(stats: ReadStats, events: list, sink: RejectSink) -> None:
    assert stats.total_read == stats.total_accepted + stats.total_rejected
    assert len(events) == stats.total_accepted and sink.count == stats.total_rejected


_cell = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.datetimes(),
)
_column = st.sampled_from(["order_id", "user_id", "shop_id", "sku", "amount", "ts", "room_id", "type", "text", "x"])


@SETTINGS
@given(st.dictionaries(_column, st.lists(_cell, min_size=3, max_size=3), max_size=7))
def test_parquet_tables_of_any_shape(columns: dict[str, list]) -> None:
    """Parquet files with any columns and cell types (bytes, datetimes, NaN, huge integers): each
    row is accepted or rejected with its number, never a crash."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {}
    for name, cells in columns.items():
        try:
            arrays[name] = pa.array(cells)
        except (pa.ArrowException, OverflowError):  # cells of mixed types make no column
            arrays[name] = pa.array([None if c is None else str(c) for c in cells])
    path = _DIR / "orders.parquet"
    pq.write_table(pa.table(arrays) if arrays else pa.table({"x": [None, None, None]}), path)
    events, stats, sink = read_all(path.read_bytes(), ".parquet")
    _counts_add_up(stats, events, sink)
    assert stats.total_read == 3


def test_a_file_that_is_not_parquet_is_one_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    for data in (b"", b"garbage", b"PAR1" + b"\0" * 20 + b"PAR1"):
        path.write_bytes(data)
        with pytest.raises(ClearLiveError, match="not a readable Parquet file"):
            list(read_inputs([str(path)], InputOptions(), RejectSink(None)))


def test_a_corrupt_parquet_row_group_rejects_the_rest_and_counts_add_up(tmp_path: Path) -> None:
    """Rows before the damage are read; from the first unreadable batch on, one reject says so."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 30_000
    table = pa.table(
        {
            "room_id": ["r"] * n,
            "order_id": [f"o{i}" for i in range(n)],
            "user_id": [f"u{i % 50}" for i in range(n)],
            "shop_id": ["s"] * n,
            "sku": ["k"] * n,
            "amount": [9.9] * n,
            "ts": ["2026-11-01T12:00:00Z"] * n,
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=10_000)
    data = bytearray(buf.getvalue())
    for i in range(len(data) // 2, len(data) // 2 + 64):  # the middle of the second row group's pages
        data[i] ^= 0x5A
    path = tmp_path / "orders.parquet"
    path.write_bytes(bytes(data))
    sink, stats = RejectSink(None), ReadStats()
    events = list(read_inputs([str(path)], InputOptions(), sink, stats))
    _counts_add_up(stats, events, sink)
    assert 0 < len(events) < n and sink.count == 1
    assert "unreadable Parquet from here on" in sink.first[0].error and sink.first[0].unit == "row"
    assert sink.first[0].line == len(events) + 1


def test_a_parquet_string_that_is_not_utf8_rejects_its_row_only(tmp_path: Path) -> None:
    """Parquet does not check that string cells are UTF-8 (found by bench/fuzz.py parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    users = pa.array([b"u1", b"\xff\xfe", b"u3"], pa.binary()).view(pa.string())
    table = pa.table({"room_id": ["r"] * 3, "user_id": users, "text": ["a", "b", "c"], "ts": [1, 2, 3]})
    path = tmp_path / "comments.parquet"
    pq.write_table(table, path)
    sink, stats = RejectSink(None), ReadStats()
    events = list(read_inputs([str(path)], InputOptions(), sink, stats))
    _counts_add_up(stats, events, sink)
    assert [e.user_id for e in events] == ["u1", "u3"]  # type: ignore[attr-defined]
    assert sink.first[0].line == 2 and "unreadable cell" in sink.first[0].error


def test_a_rule_pack_that_is_not_utf8_is_a_named_error(tmp_path: Path) -> None:
    from clearlive.watch.rules.loader import load_pack_file

    path = tmp_path / "pack.yaml"
    path.write_bytes(b"pack: \xec")  # found by bench/fuzz.py rules
    with pytest.raises(RuleLoadError, match="UTF-8"):
        load_pack_file(path)


def test_a_csv_field_over_the_limit_rejects_the_rest_and_counts_add_up(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    good = "r,o1,u1,s,k,9.9,2026-11-01T12:00:00Z\n"
    path.write_text("room_id,order_id,user_id,shop_id,sku,amount,ts\n" + good + f'r,"{"x" * 200_000}",u\n' + good)
    sink, stats = RejectSink(None), ReadStats()
    events = list(read_inputs([str(path)], InputOptions(), sink, stats))
    _counts_add_up(stats, events, sink)
    assert len(events) == 1 and "unreadable CSV from here on" in sink.first[0].error and sink.first[0].line == 3


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=40))
_value = st.recursive(
    _scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=8
)
_fields = [
    "room_id",
    "ts",
    "id",
    "user_id",
    "text",
    "online",
    "order_id",
    "sku",
    "amount",
    "rating",
    "speaker",
    "count",
]
_record = st.fixed_dictionaries(
    {"type": st.sampled_from([*TYPE_BY_NAME, "nonsense"])},
    optional={f: _value | st.text(max_size=30) for f in _fields},
)


@SETTINGS
@given(st.lists(_record, max_size=30))
def test_json_lines_of_nearly_right_events(records: list[dict]) -> None:
    data = b"\n".join(json.dumps(r, default=str).encode() for r in records)
    events, stats, _ = read_all(data, ".jsonl", "events")
    assert stats.total_read == len(records) == stats.total_accepted + stats.total_rejected
    Scanner.from_config(ScanConfig(claims_model=None))  # warm, then scan what was accepted
    list(SCANNER.run(events))


SCANNER = Scanner.from_config(ScanConfig(claims_model=None))
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=200) | st.sampled_from(
    ["全网最低价", "加V：abc12345", "ＶＸ ｌｉｎｇ８８", "包治百病", "最后3单", "a" * 3000, "\u202e\u200b\ufeff"]
)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["utterance", "comment"]), _text, st.integers(0, 10**7)), max_size=25))
def test_scanner_takes_any_text(items: list[tuple[str, str, int]]) -> None:
    # (any text but U+0000, which no event may hold: rejected with its field where events come in)
    events = [
        msgspec.convert(
            {"type": k, "room_id": "r", "ts": ts, "id": f"e{n}", "text": t, "user_id": "u", "speaker": "host"}, Event
        )
        for n, (k, t, ts) in enumerate(items)
    ]
    for f in SCANNER.run(events):
        if f.evidence.field != "text":
            continue
        sources = [e.text for e in events if e.id in f.event_ids]  # type: ignore[attr-defined]
        assert any(t[f.evidence.start : f.evidence.end] == f.evidence.text for t in sources)  # a real slice


_yamlish = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(string.printable, max_size=20)),
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "pack",
                    "language",
                    "jurisdiction",
                    "rules",
                    "id",
                    "title",
                    "category",
                    "severity",
                    "terms",
                    "patterns",
                    "examples",
                    "match",
                    "no_match",
                    "legal_basis",
                    "allow",
                    "context",
                    "message",
                    "suggestion",
                    "x",
                ]
            ),
            c,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@SETTINGS
@given(_yamlish | st.text(max_size=300))
def test_rule_loader_rejects_anything_malformed_with_a_named_error(doc: object) -> None:
    from clearlive.watch.rules.loader import load_pack_file

    path = _DIR / "pack.yaml"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    try:
        load_pack_file(path)
    except RuleLoadError as exc:
        assert str(path) in str(exc)


def _user_pack(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(
        f"""pack: mine
language: zh-CN
jurisdiction: CN
rules:
  - id: my.custom.rule
    title: t
    category: diversion
    severity: high
    message: m
    suggestion: s
    legal_basis: [CN-CAC-2024]
    patterns: ['{pattern}']
    examples:
      match: [aab]
      no_match: [aaa]
""",
        encoding="utf-8",
    )
    return path


def test_user_regexes_run_in_linear_time_or_are_refused(tmp_path: Path) -> None:
    import re

    from clearlive.watch.rules.loader import load_rules

    _, rules = load_rules([_user_pack(tmp_path, "(a+)+b")], builtin=False)
    assert not isinstance(rules[0].patterns[0], re.Pattern)  # RE2, not the backtracking engine
    scanner = Scanner.from_config(ScanConfig(rules=(_user_pack(tmp_path, "(a+)+b"),), claims_model=None))
    hostile = msgspec.convert(
        {"type": "comment", "room_id": "r", "ts": 1, "id": "x", "user_id": "u", "text": "a" * 20_000}, Event
    )
    assert list(scanner.run([hostile])) == []  # would take longer than the universe with backtracking
    with pytest.raises(RuleLoadError, match="not RE2-compatible"):
        load_rules([_user_pack(tmp_path, "(?<=a)b")], builtin=False)
    with pytest.raises(RuleLoadError, match="not RE2-compatible"):
        load_rules([_user_pack(tmp_path, "(a)\\1")], builtin=False)
