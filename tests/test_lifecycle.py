"""One lifecycle wherever a scanner runs (issue #16 items 4 and 5): rooms end at `session_end`, at
a new session or after an idle hour of event time, judging what waited for the end; cross-room
detectors judge per tenant over sliding windows; finding ids name tenant, room and event(s).

The stream `realistic_stream()` is shared with tests/test_same_findings_everywhere.py, which runs it
through the embedded service, the Redis workers, Spark and `clearlive scan`."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearlive.demo.inject import honest_order_graph, inject_ring
from clearlive.model.events import Event, EventBase
from clearlive.watch.scan.lifecycle import IDLE_MS, SLIDE_MS, WINDOW_MS, scoped_id
from clearlive.watch.scan.scanner import ScanConfig, Scanner

DEMO_ROOMS = ("room-serum.jsonl", "room-glow.jsonl", "room-cup.jsonl")
CONFIG = ScanConfig(claims_model=None)  # the rules and detectors; the classifier is tested elsewhere


def _ev(**fields: object) -> EventBase:
    return msgspec.convert(fields, Event)


def early_claims_room(t0: int, room: str = "room-early") -> list[EventBase]:
    """A host claims a reference price, scarcity and an origin before the listing arrives (the room
    of issue #16: five rules in a batch scan, three in the service before the lifecycle)."""
    common = {"room_id": room, "session_id": f"{room}-s1", "anchor_id": "host-early", "shop_id": "shop-early"}

    def say(s: int, text: str) -> EventBase:
        return _ev(type="utterance", ts=t0 + s * 1000, id=f"{room}-u{s}", text=text, speaker="host", **common)

    events = [
        _ev(type="session_start", ts=t0, id=f"{room}-start", title="面霜专场", **common),
        say(10, "家人们这款面霜原价三百九十九，今天只要九十九"),
        say(25, "库存只剩最后3件了，手慢无"),
        say(40, "这是日本原装进口的面霜"),
        _ev(
            type="product",
            ts=t0 + 120_000,
            id=f"{room}-p1",
            sku="cream-50ml",
            title="保湿面霜",
            category="cosmetics",
            price=99.0,
            lowest_price_7d=99.0,
            stock=5000,
            origin="浙江义乌",
            **common,
        ),
    ]
    events += [
        _ev(type="room_stats", ts=t0 + k * 10_000, id=f"{room}-st{k}", online=300 + k, **common) for k in range(1, 90)
    ]
    events.append(_ev(type="session_end", ts=t0 + 900_000, id=f"{room}-end", **common))
    return events


def ring_orders(t0: int, span_ms: int = 2 * 3_600_000) -> list[EventBase]:
    """A dense buyer-shop ring (30 buyers over 6 shops, 80% filled, camouflaged with two popular
    shops each) amid 1,500 honest buyers of 150 shops; every order in its shop's room."""
    rng = random.Random(4)
    edges, _ = inject_ring(rng, honest_order_graph(rng, 1500, 150), 30, 6, 0.8, 2, 150)
    pairs = sorted(edges)
    rng.shuffle(pairs)
    step = span_ms // len(pairs)
    return [
        _ev(
            type="order",
            room_id=f"room-{shop}",
            shop_id=shop,
            ts=t0 + i * step,
            id=f"order-{i}",
            order_id=f"order-{i}",
            user_id=buyer,
            sku=f"{shop}-sku",
            qty=1,
            amount=59.0,
        )
        for i, (buyer, shop) in enumerate(pairs)
    ]


def demo_events(tmp_path: Path) -> list[EventBase]:
    from clearlive.demo.generate import generate
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    events: list[EventBase] = []
    for item in [i for i in generate(tmp_path / "demo") if i.path.name in DEMO_ROOMS]:
        opts = InputOptions(room_id=item.room_id, session_id=item.session_id, anchor_id=item.anchor_id)
        events.extend(read_inputs([str(item.path)], opts, RejectSink(None), ReadStats()))
    return events


def realistic_stream(tmp_path: Path) -> list[EventBase]:
    """Three demo rooms (host speech, chat with bot bursts, viewer curves, listings, orders), the
    early-claims room and the order ring, merged in time order; then the next day's first broadcast,
    as a live feed goes on (its clock closes the day's windows and idle rooms in every runtime)."""
    demo = demo_events(tmp_path)
    t0 = min(int(e.ts) for e in demo)  # type: ignore[arg-type]
    events = sorted([*demo, *early_claims_room(t0 + 600_000), *ring_orders(t0)], key=lambda e: (e.ts, e.id))
    last = int(events[-1].ts)  # type: ignore[arg-type]
    next_day = last + WINDOW_MS + SLIDE_MS
    common = {"room_id": "room-next", "session_id": "room-next-s1", "anchor_id": "host-next"}
    events.append(_ev(type="session_start", ts=next_day, id="room-next-start", title="早场", **common))
    events.append(_ev(type="session_end", ts=next_day + 600_000, id="room-next-end", **common))
    return events


def copies(events: list[EventBase]) -> list[EventBase]:
    return [e.__copy__() for e in events]  # the scanner fills in session and host: each run its own


# ---------------------------------------------------------------------------------------------
# The lifecycle in one scanner


def test_session_end_judges_the_claims_made_before_the_listing_and_drops_the_room() -> None:
    scanner = Scanner.from_config(CONFIG)
    events = early_claims_room(1_793_534_400_000)
    live = [f for e in events[:-1] for f in scanner.process(e)]
    at_end = scanner.process(events[-1])  # session_end
    assert {f.rule_id for f in at_end} >= {"facts.price.reference_above_lowest", "facts.origin.mismatch"}
    assert "room-early" not in scanner.rooms and not scanner.clock.room_last
    assert scanner.finish() == []  # nothing left to judge at the end of input
    assert {f.rule_id for f in live} == {"zh.price.reference_claim", "zh.scarcity.claim", "zh.origin.claim_to_check"}


def test_an_idle_room_ends_on_the_tenant_clock_and_a_late_event_starts_a_new_broadcast() -> None:
    t0 = 1_793_534_400_000
    scanner = Scanner.from_config(CONFIG)
    events = early_claims_room(t0)[:-1]  # no session_end: the host's feed just stops
    for e in events:
        scanner.process(e)
    assert "room-early" in scanner.rooms
    other = {"room_id": "room-other", "session_id": "o1"}
    found = scanner.process(_ev(type="room_stats", ts=t0 + 900_000 + IDLE_MS + 60_000, id="o-1", online=5, **other))
    assert "room-early" not in scanner.rooms  # the tenant's clock passed an idle hour
    assert "facts.price.reference_above_lowest" in {f.rule_id for f in found}
    # the room's own next event after an idle hour ends the room first: a new broadcast, new state
    scanner = Scanner.from_config(CONFIG)
    for e in events:
        scanner.process(e)
    late = _ev(type="room_stats", ts=t0 + 900_000 + IDLE_MS + 1, id="late", online=5, room_id="room-early")
    found = scanner.process(late)
    assert "facts.price.reference_above_lowest" in {f.rule_id for f in found}
    assert scanner.rooms["room-early"].first_ts == late.ts


def test_the_ring_is_reported_once_from_overlapping_windows(tmp_path: Path) -> None:
    orders = ring_orders(1_793_534_400_000)
    scanner = Scanner.from_config(CONFIG)
    found = [f for e in orders for f in scanner.process(e)]
    assert not [f for f in found if f.rule_id == "fraud.fraudar"]  # the windows are still open
    far = _ev(type="room_stats", ts=int(orders[-1].ts) + WINDOW_MS + SLIDE_MS, id="x", online=1, room_id="later")
    found = [f for f in scanner.process(far) if f.rule_id == "fraud.fraudar"]
    assert len(found) == 1 and set(found[0].facts["shops"]) == {f"target{t}" for t in range(6)}  # type: ignore[arg-type]
    assert not scanner.clock.windows or min(scanner.clock.windows) > int(orders[-1].ts)
    assert [f for f in scanner.finish() if f.rule_id == "fraud.fraudar"] == []


def stream_with_a_room_that_stops(tmp_path: Path) -> list[EventBase]:
    """The realistic stream plus a room whose host claims before the listing and whose feed then
    just stops (no `session_end`, no later event of its own) in the middle of the day."""
    events = realistic_stream(tmp_path)
    t0 = min(int(e.ts) for e in events)  # type: ignore[arg-type]
    stops = early_claims_room(t0 + 1_800_000, room="room-stops")[:-1]
    return sorted([*events, *stops], key=lambda e: (e.ts, e.id))


def test_rooms_and_cross_parts_together_report_what_one_scanner_reports(tmp_path: Path) -> None:
    import zlib

    events = stream_with_a_room_that_stops(tmp_path)
    whole = Scanner.from_config(CONFIG, tenant="acme")
    found = [f for e in copies(events) for f in whole.process(e)]
    expected = sorted(f.id for f in found)
    assert ("room-stops", "facts.price.reference_above_lowest") in {(f.room_id, f.rule_id) for f in found}
    buckets = [Scanner.from_config(CONFIG, "acme", "rooms") for _ in range(3)]
    cross = Scanner.from_config(CONFIG, tenant="acme", part="cross")
    got = []
    for e in events:  # rooms spread over buckets as Spark groups them, each on the tenant's clock
        own = zlib.crc32(e.room_id.encode()) % len(buckets)
        for b, part in enumerate(buckets):
            got += [f.id for f in (part.process(e.__copy__()) if b == own else part.advance(int(e.ts)))]  # type: ignore[arg-type]
        got += [f.id for f in cross.process(e.__copy__())]
    assert sorted(got) == expected
    assert len(expected) == len(set(expected))
    assert not any(b.rooms for b in buckets)  # every room ended, the stopped one included
    # without the ticks a bucket's clock is its own rooms': the stopped room never ends there
    alone = Scanner.from_config(CONFIG, "acme", "rooms")
    for e in events:
        if e.room_id == "room-stops":
            alone.process(e.__copy__())
    assert "room-stops" in alone.rooms


def test_every_room_and_rule_of_a_batch_scan_is_reported_by_the_embedded_service(tmp_path: Path) -> None:
    from clearlive.serve.embedded import EmbeddedPipeline
    from clearlive.serve.store import open_store
    from clearlive.watch.scan.scanner import scan

    events = realistic_stream(tmp_path)
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in events))
    batch = scan([str(path)], ScanConfig(tenant="acme"))
    store = open_store(None)
    pipeline = EmbeddedPipeline(store)
    try:
        for i in range(0, len(events), 500):
            pipeline.submit("acme", copies(events[i : i + 500]))
        assert pipeline.drain(timeout=300)
    finally:
        pipeline.close()
    rows = store.db.query("SELECT id, room_id, rule_id FROM findings WHERE tenant = ?", ["acme"])
    live_pairs = {(room, rule) for _, room, rule in rows}
    batch_pairs = {(f.room_id, f.rule_id) for f in batch.findings}
    assert batch_pairs <= live_pairs, sorted(batch_pairs - live_pairs)
    assert {row[0] for row in rows} == {f.id for f in batch.findings}
    early = {rule for room, rule in batch_pairs if room == "room-early"}
    assert len(early) >= 5, early  # reference price, scarcity and origin judged at the room's end
    assert {"fraud.fraudar", "fraud.templated_chat"} <= {rule for _, rule in batch_pairs}


# ---------------------------------------------------------------------------------------------
# Finding ids: unique by construction, deterministic


def _burst(rooms: int, second: int, template: str, tenant_rooms_offset: int = 0) -> list[EventBase]:
    """One bot farm posting the same line in `rooms` rooms within the same second, after two and a
    half minutes of each room's ordinary chat (the detector judges a room against its own history)."""
    t = 1_793_534_400_000 + second * 1000
    out = []
    ordinary = [
        "发什么快递",
        "有没有小码",
        "主播穿的是几号",
        "能便宜点吗",
        "什么时候发货",
        "敏感肌能用吗",
        "多少毫升",
        "保质期多久",
    ]
    for r in range(rooms):
        for k, line in enumerate(ordinary * 2):
            room = f"room{r + tenant_rooms_offset}"
            ts = t - 150_000 + 9_000 * k
            out.append(_ev(type="comment", room_id=room, ts=ts, id=f"h{r}-{k}", user_id=f"viewer{r}-{k}", text=line))
    for r in range(rooms):
        for k in range(10):
            out.append(
                _ev(
                    type="comment",
                    room_id=f"room{r + tenant_rooms_offset}",
                    ts=t + k * 50,
                    id=f"c{r}-{k}",  # ids repeat across rooms, as two feeds' own numbering would
                    user_id=f"bot{k}",
                    text=template + "!" * (k % 3),
                )
            )
    return sorted(out, key=lambda e: (e.ts, e.room_id))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rooms=st.integers(2, 6),
    second=st.integers(0, 3),
    template=st.sampled_from(["效果绝了真的好用", "主播好美好喜欢", "这个价格太划算了"]),
    shops=st.integers(3, 8),
)
def test_colliding_inputs_never_share_a_finding_id(rooms: int, second: int, template: str, shops: int) -> None:
    events = _burst(rooms, second, template)
    # the same buyers brushing several shops in the same minute, with order ids repeated per shop
    t = 1_793_534_400_000 + 600_000
    events += [
        _ev(
            type="order",
            room_id=f"shoproom{s}",
            shop_id=f"shop{s}",
            ts=t + k * 1000,
            id=f"o{k}",
            order_id=f"o{k}",
            user_id=f"buyer{k % 2}",
            sku="s",
            qty=1,
            amount=1.0,
        )
        for s in range(shops)
        for k in range(8)
    ]
    events.sort(key=lambda e: e.ts)
    runs = {}
    for tenant in ("acme", "globex"):
        runs[tenant] = [f.id for f in Scanner.from_config(CONFIG, tenant=tenant).run(copies(events))]
    ids = runs["acme"]
    chat = rooms  # one templated-chat finding per room
    assert len(ids) >= chat + shops  # every room's burst and every shop's brushing is reported
    assert len(ids) == len(set(ids))  # and no two findings share an id
    assert not set(ids) & set(runs["globex"])  # another tenant's ids are its own
    again = [f.id for f in Scanner.from_config(CONFIG, tenant="acme").run(copies(events))]
    assert again == ids  # deterministic


def test_the_bot_farm_of_issue_16_gives_one_finding_per_room_each_with_its_own_id() -> None:
    events = _burst(3, 0, "效果绝了真的好用")
    found = [f for f in Scanner.from_config(CONFIG).run(events) if f.rule_id == "fraud.templated_chat"]
    assert sorted(f.room_id for f in found) == ["room0", "room1", "room2"]
    assert len({f.id for f in found}) == 3


def test_scoped_id_names_tenant_and_room() -> None:
    assert scoped_id("a", "r1", "f_x") != scoped_id("b", "r1", "f_x") != scoped_id("a", "r2", "f_x")
    assert scoped_id("a", "r1", "f_x") == scoped_id("a", "r1", "f_x")
