"""Service scores for shops and hosts: checked against the hidden truth of a generated market, and
against hand-made orders where every count is known."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearlive.demo.commerce import HIDDEN, generate_history
from clearlive.measure import EntityScore, ScoreConfig, score_events
from clearlive.measure.stats import Scale, estimate
from clearlive.model.events import Event, EventBase, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

DAY = 86_400_000
T0 = 1_785_801_600_000  # 2026-08-04T00:00:00Z


def _spearman(a: list[float], b: list[float]) -> float:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        for rank, i in enumerate(order):
            r[i] = rank
        return r

    ra, rb = ranks(a), ranks(b)
    n = len(a)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb, strict=True)) / (n * (n * n - 1))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[EventBase]:
    path = generate_history(tmp_path_factory.mktemp("hist") / "history.jsonl")
    sink = RejectSink(None)
    return list(read_inputs([str(path)], InputOptions(), sink, ReadStats()))


@pytest.fixture(scope="module")
def scores(history: list[EventBase]) -> dict[str, EntityScore]:
    return {s.entity_id: s for s in score_events(history)}


def test_shop_scores_follow_the_hidden_quality(scores: dict[str, EntityScore]) -> None:
    shops = [s for s in scores.values() if s.entity_type == "shop" and s.score is not None]
    assert len(shops) == 18
    truth = [HIDDEN["shops"][s.entity_id].quality + HIDDEN["shops"][s.entity_id].service for s in shops]
    assert _spearman([s.score for s in shops], truth) >= 0.85  # type: ignore[misc]
    for s in shops:
        assert s.benchmark == "default"  # the default scales: no category has its own in score.yaml
        assert s.rank is not None and s.rank["within"] == f"category:{s.category}" and s.rank["of"] == 6
        assert s.interval is not None and s.interval[0] <= s.score <= s.interval[1]  # type: ignore[operator]
        assert set(s.dimensions) == {"product", "logistics", "service", "retention"}


def test_host_scores_reward_honesty_and_care_not_traffic(scores: dict[str, EntityScore]) -> None:
    hosts = [s for s in scores.values() if s.entity_type == "host" and s.score is not None]
    truth = [HIDDEN["hosts"][h.entity_id].honesty + HIDDEN["hosts"][h.entity_id].care for h in hosts]
    assert _spearman([h.score for h in hosts], truth) >= 0.8  # type: ignore[misc]
    assert _spearman([h.score for h in hosts], [h.traffic["gmv"] for h in hosts]) < 0  # type: ignore[index,misc]
    assert scores["host-lin"].score > scores["host-qiang"].score  # type: ignore[operator]
    live = scores["host-lin"].dimensions["live_service"]
    assert (
        live.metrics["question_answer_rate"]
        > scores["host-bao"].dimensions["live_service"].metrics["question_answer_rate"]
    )  # type: ignore[operator]


def test_too_little_data_is_no_score_not_a_low_score(scores: dict[str, EntityScore]) -> None:
    new = scores["host-new"]
    assert new.n_orders < 30
    assert new.score is None and new.interval is None
    assert all(d.score is None for d in new.dimensions.values())
    record = msgspec.to_builtins(new)
    assert record["score"] is None and record["entity_type"] == "host"


def test_contract_fields(scores: dict[str, EntityScore]) -> None:
    for s in scores.values():
        r = msgspec.to_builtins(s)
        assert {"entity_type", "entity_id", "score", "interval", "n_orders", "dimensions", "window"} <= set(r)
        assert r["window"] == {"start": "2026-08-04T00:00:00.000Z", "end": "2026-11-02T00:00:00.000Z"}
        for d in r["dimensions"].values():
            assert {"score", "interval", "metrics"} <= set(d)


def _order(i: int, day: float, shop: str = "shop-a", user: str | None = None, **extra: object) -> dict:
    return {
        "type": "order",
        "room_id": "r",
        "ts": T0 + int(day * DAY),
        "order_id": f"o{i}",
        "user_id": user or f"u{i}",
        "sku": "s1",
        "shop_id": shop,
        "amount": 10.0,
        **extra,
    }


def _events(rows: list[dict]) -> list[EventBase]:
    return [msgspec.convert({**r, "id": f"e{k}"}, Event) for k, r in enumerate(sorted(rows, key=lambda r: r["ts"]))]


def test_counts_windows_and_lags_by_hand() -> None:
    """40 orders over 40 days; four refunds for quality, one of them on an order of the last 14 days
    (too young to count: refunds are read over orders paid 14 to 104 days ago)."""
    rows = [_order(i, i) for i in range(40)]
    rows.append({"type": "product", "room_id": "r", "ts": T0, "sku": "s1", "title": "t", "category": "food"})
    for i in (3, 10, 20, 35):
        rows.append(
            {"type": "refund", "room_id": "r", "ts": T0 + (i + 2) * DAY, "order_id": f"o{i}", "reason": "质量问题"}
        )
    rows.append({"type": "review", "room_id": "r", "ts": T0 + 6 * DAY, "order_id": "o5", "rating": 1, "text": "差"})
    rows.append({"type": "review", "room_id": "r", "ts": T0 + 7 * DAY, "order_id": "o5", "rating": 5, "text": "改好评"})
    (shop,) = score_events(_events(rows), ScoreConfig.load())
    assert shop.n_orders == 40 and shop.category == "food"
    product = shop.dimensions["product"]
    assert product.detail["quality_refund_rate"]["x"] == 3  # o35 is younger than the lag
    assert product.detail["quality_refund_rate"]["n"] == 26  # orders paid 14+ days before the end (day 40)
    assert product.detail["negative_review_rate"]["x"] == 1  # the first review counts, not the edit
    assert product.metrics["negative_review_rate"] == round(1 / 40, 4)  # no shipments: per paid order
    assert shop.dimensions["logistics"].score is None  # nothing shipped, nothing to judge
    thirty = score_events(_events(rows), ScoreConfig.load(window_days=30))[0]
    assert thirty.n_orders == 30 and thirty.window["start"] == format_ts(T0 + 10 * DAY)


def test_a_small_shop_has_the_same_rate_and_a_wider_interval() -> None:
    """Thirty-one orders without a complaint and 3,000 without one show the same rate; the small shop's
    interval says how much less it has shown."""
    small, big = estimate(0, 31, 0.9), estimate(0, 3000, 0.9)
    assert small.point == big.point == 0.0 and small.low == big.low == 0.0
    assert 0.03 < small.high < 0.1 and big.high < 0.002


@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.floats(0.001, 0.1),
    st.floats(1.5, 3),
    st.floats(1.5, 3),
)
def test_rates_and_scales_are_well_formed(x: int, extra: int, excellent: float, k1: float, k2: float) -> None:
    n = x + extra
    if n == 0:
        return
    r = estimate(x, n, 0.9)
    assert 0 <= r.low <= r.point <= r.high <= 1
    bad = Scale(excellent, excellent * k1, excellent * k1 * k2)
    good = Scale(1 - bad.excellent, 1 - bad.standard, 1 - bad.poor)
    for scale in (bad, good):
        low, high = scale.interval(r)
        assert 0 <= low <= scale.score(r.point) <= high <= 100
    assert bad.score(r.low) >= bad.score(r.high)  # a lower bad-event rate never scores lower
    assert good.score(r.low) <= good.score(r.high)


def test_credit_ledger_deducts_confirmed_violations_and_restores_after_clean_days() -> None:
    rows = [_order(i, i / 2) for i in range(60)]
    rows.insert(0, {"type": "session_start", "room_id": "r", "ts": T0 - 1000, "anchor_id": "h1", "session_id": "s1"})

    def finding(fid: str, day: int, severity: str, rule: str = "zh.efficacy.disease") -> Finding:
        ts = T0 + day * DAY
        return msgspec.convert(
            {
                "id": fid,
                "rule_id": rule,
                "category": "false_claims",
                "severity": severity,
                "confidence": 0.9,
                "room_id": "r",
                "session_id": "s1",
                "anchor_id": "h1",
                "ts": format_ts(ts),
                "ts_ms": ts,
                "event_ids": [],
                "evidence": {"text": "x", "start": 0, "end": 1, "context": "x", "field": "text"},
                "legal_basis": [],
                "message": "",
                "suggestion": "",
                "title": "",
            },
            Finding,
        )

    findings = [
        finding("f1", 1, "high"),
        finding("f2", 1, "high"),  # same rule, same session: one violation naming both findings
        finding("f3", 2, "medium", "zh.absolute.superlative"),  # medium: counts only once confirmed
        finding("f4", 3, "critical", "zh.softporn.x"),  # dismissed by a reviewer below
    ]
    (host,) = [
        s
        for s in score_events(_events(rows), findings=findings, decisions={"f4": "dismissed"})
        if s.entity_type == "host"
    ]
    credit = host.credit
    assert credit is not None
    deductions = [e for e in credit["entries"] if e["points"] < 0]
    assert [(e["points"], e["finding_ids"]) for e in deductions] == [(-3, ["f1", "f2"])]
    restorations = [e for e in credit["entries"] if e["points"] > 0]
    assert restorations and restorations[0]["reason"] == "7 clean days"  # below 10: a week clean earns one back
    # day 1: 12 - 3 = 9; day 8: back to 10; at 10 the next point needs 30 clean days (day 38, after the end)
    assert credit["balance"] == 10 and credit["lowest"] == 9 and not credit["withdrawn"]
    confirmed = score_events(_events(rows), findings=findings, decisions={"f3": "confirmed"})
    credit = next(s for s in confirmed if s.entity_type == "host").credit
    assert [e["points"] for e in credit["entries"] if e["points"] < 0] == [-3, -1, -6]  # type: ignore[index]


def test_score_cli_writes_contract_jsonl_store_and_parquet(tmp_path: Path) -> None:
    import duckdb

    from clearlive.cli.main import main

    hist = generate_history(tmp_path / "h.jsonl", days=40)
    out, db, pq = tmp_path / "s.jsonl", tmp_path / "s.duckdb", tmp_path / "s.parquet"
    assert (
        main(
            [
                "score",
                str(hist),
                "--window",
                "30",
                "--out",
                str(out),
                "--db",
                str(db),
                "--parquet",
                str(pq),
                "--no-scan",
            ]
        )
        == 0
    )
    lines = [msgspec.json.decode(line) for line in out.read_bytes().splitlines()]
    assert {r["entity_type"] for r in lines} == {"shop", "host"}

    def stored() -> int:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT count(*) FROM scores").fetchall()[0][0]

    assert stored() == len(lines)
    assert duckdb.sql(f"SELECT count(*) FROM '{pq}'").fetchall()[0][0] == len(lines)
    # scoring the same window again replaces, not duplicates
    assert main(["score", str(hist), "--window", "30", "--out", str(out), "--db", str(db), "--no-scan"]) == 0
    assert stored() == len(lines)


def test_tables_in_csv_and_parquet_score_like_events(tmp_path: Path, history: list[EventBase]) -> None:
    """The same orders, refunds, reviews, complaints, shipments, chats and products as one CSV or
    Parquet table per type give the same shop scores as the events."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    kinds = ("order", "refund", "review", "complaint", "shipment", "service_chat", "product")
    events = [e for e in history if e.__struct_config__.tag in kinds]
    by_kind: dict[str, list[dict]] = {k: [] for k in kinds}
    for e in events:
        row = msgspec.to_builtins(e)
        row.pop("type")
        row.pop("qualifications", None)
        by_kind[e.__struct_config__.tag].append(row)
    paths = []
    for kind, rows in by_kind.items():
        table = pa.Table.from_pylist(rows)
        if kind in ("order", "product"):
            path = tmp_path / f"{kind}s.csv"
            pacsv.write_csv(table, path)
        else:
            path = tmp_path / f"{kind}s.parquet"
            pq.write_table(table, path)
        paths.append(str(path))
    from_tables = list(read_inputs(paths, InputOptions(), RejectSink(None), ReadStats()))
    assert len(from_tables) == len(events)

    def shops(evs: list[EventBase]) -> list[object]:
        scored = score_events(sorted(evs, key=lambda e: e.ts))  # type: ignore[arg-type,return-value]
        return [msgspec.to_builtins(s) for s in scored if s.entity_type == "shop"]

    assert shops(from_tables) == shops(events)


def test_question_answer_examples() -> None:
    """questions.yaml's own examples: a viewer's question and the host's reply, and what they are."""
    from clearlive.measure.live_service import analyse_session, lexicon

    assert lexicon().examples
    for question, reply, expected in lexicon().examples:
        (q,) = analyse_session([("chat", question, 0), ("host", reply, 5_000)]).questions
        got = "unanswered" if q.answered_ts is None else ("evasive" if q.evasive else "answered")
        assert got == expected, (question, reply)
    late = analyse_session([("chat", "发什么快递", 0), ("host", "默认中通快递", 10 * 60_000)])
    assert late.questions[0].answered_ts is None  # an answer ten minutes later is not an answer to it
