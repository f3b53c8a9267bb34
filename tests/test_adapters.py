"""TikTok LIVE and Douyin messages, as their client libraries dump them, become ClearLive events.

The fixtures are built by tests/data/adapters/build_fixtures.py with TikTokLive 7.0.1 and
DouyinLiveWebFetcher's protobuf classes (wire bytes parsed back as each client does), in every
dump style a recorder uses; see the README there.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from clearlive.model.events import Event
from clearlive.sources.adapters import Adapter, adapt_recording, parse_count

DATA = Path(__file__).parent / "data" / "adapters"
TIKTOK_FILES = ["tiktok_wrapped.jsonl", "tiktok_method.jsonl", "tiktok_bare.jsonl", "tiktok_defaults.jsonl"]
DOUYIN_FILES = ["douyin_method.jsonl", "douyin_bare.jsonl", "douyin_defaults.jsonl"]


def adapted(lines: list[bytes] | Path, source: str, room: str = "room-x") -> tuple[list[dict], list[tuple]]:
    events, rejects = [], []
    body = lines.read_bytes().splitlines() if isinstance(lines, Path) else lines
    for line, evs in adapt_recording(body, room, source):
        if evs is None:
            rejects.append((line.n, line.field, line.error))
        else:
            events.extend(evs)
    return events, rejects


def lines_of(name: str) -> list[dict]:
    return [json.loads(x) for x in (DATA / name).read_text(encoding="utf-8").splitlines()]


def encode(records: list[dict]) -> list[bytes]:
    return [json.dumps(r, ensure_ascii=False).encode() for r in records]


@pytest.fixture(scope="module")
def tiktok() -> list[dict]:
    events, rejects = adapted(DATA / "tiktok_wrapped.jsonl", "tiktok")
    assert rejects == []
    return events


@pytest.fixture(scope="module")
def douyin() -> list[dict]:
    events, rejects = adapted(DATA / "douyin_method.jsonl", "douyin")
    assert rejects == []
    return events


@pytest.mark.parametrize(("source", "names"), [("tiktok", TIKTOK_FILES), ("douyin", DOUYIN_FILES)])
def test_every_dump_style_gives_the_same_events(source: str, names: list[str]) -> None:
    # wrapped {type, data}, {method, payload}, bare to_dict() (method only in common.method) and
    # to_dict(include_default_values=True): one recording, four spellings, one set of events
    first, rejects = adapted(DATA / names[0], source)
    assert rejects == [] and len(first) >= 14
    for name in names[1:]:
        assert adapted(DATA / name, source) == (first, []), name
    for e in first:
        msgspec.convert(e, Event)


def test_tiktok_room(tiktok: list[dict]) -> None:
    kinds = [e["type"] for e in tiktok]
    assert kinds == [
        "room_stats", "enter", "comment", "utterance", "like", "gift", "gift", "follow", "share",
        "comment", "comment", "comment", "room_stats", "session_end",
    ]  # fmt: skip
    assert tiktok[0]["online"] == 1520 and tiktok[0]["total_viewers"] == 20311
    assert tiktok[-1]["ts"] == 1_793_538_000_000  # CONTROL_ACTION_STREAM_ENDED; the pause and unpause end nothing


def test_tiktok_gift_streak_counts_once(tiktok: list[dict]) -> None:
    # three streak messages without repeatEnd (0, left out of the dump) and the end: 3 roses, not 1+2+3+3
    rose, galaxy = [e for e in tiktok if e["type"] == "gift"]
    assert (rose["gift"], rose["count"], rose["value"], rose["currency"]) == ("Rose", 3, 0.015, "USD")
    assert (galaxy["gift"], galaxy["count"], galaxy["value"]) == ("Galaxy", 1, 5.0)  # cannot streak: counted


def test_tiktok_caption_one_utterance_per_sentence(tiktok: list[dict]) -> None:
    [said] = [e for e in tiktok if e["type"] == "utterance"]
    assert said["text"] == "this serum cures eczema in one week, guaranteed"  # the final caption, from content[]
    assert said["speaker"] == "host" and said["lang"] == "en" and said["ts"] == 1_793_534_404_000


def test_tiktok_follow_and_share_once_each(tiktok: list[dict]) -> None:
    # the client emits FollowEvent + SocialEvent (ShareEvent + SocialEvent) for one message
    social = [(e["type"], e["user_id"]) for e in tiktok if e["type"] in ("follow", "share")]
    assert social == [("follow", "7102938475610200004"), ("share", "7102938475610200001")]
    ids = [e["id"] for e in tiktok]
    assert len(ids) == len(set(ids))


def test_tiktok_defaults_follow_is_not_a_share() -> None:
    # with default values every social message has shareType "0": still a follow
    lines = [r for r in lines_of("tiktok_defaults.jsonl") if r["type"] == "SocialEvent"]
    assert lines[0]["data"]["shareType"] == "0"
    lines[0]["data"]["common"]["displayText"] = None  # no display key either: decided by the fields
    events, _ = adapted(encode(lines[:1]), "tiktok")
    assert [e["type"] for e in events] == ["follow"]


def test_tiktok_user_id_is_the_stable_id(tiktok: list[dict]) -> None:
    lily = [e for e in tiktok if e.get("nickname") in ("Lily", "Lily Rose")]
    assert {e["user_id"] for e in lily} == {"7102938475610293847"}  # displayId lily_88 -> lily.rose
    assert [e["nickname"] for e in lily] == ["Lily", "Lily", "Lily Rose", "Lily Rose"]
    question = next(e for e in tiktok if e.get("text") == "is it safe for kids?")  # QuestionNewEvent
    assert question["type"] == "comment" and question["user_id"] == "7102938475610293847"


def test_like_and_follower_totals_reach_room_stats(tiktok: list[dict], douyin: list[dict]) -> None:
    later = [e for e in tiktok if e["type"] == "room_stats"][-1]
    assert (later["online"], later["likes_total"], later["followers"]) == (1611, 30210, 48213)
    later = [e for e in douyin if e["type"] == "room_stats"][-1]
    assert (later["likes_total"], later["followers"]) == (88_000, 120_345)


def test_totals_after_the_last_room_stats_are_not_lost() -> None:
    lines = [r for r in lines_of("tiktok_wrapped.jsonl") if r["type"] != "RoomUserSeqEvent"][:6]
    lines.insert(0, lines_of("tiktok_wrapped.jsonl")[0])  # one room_stats, then a like
    events, _ = adapted(encode(lines), "tiktok")
    assert events[-1]["type"] == "room_stats" and events[-1]["likes_total"] == 30210


def test_douyin_room(douyin: list[dict]) -> None:
    kinds = [e["type"] for e in douyin]
    assert kinds == [
        "room_stats", "enter", "comment", "comment", "comment", "comment", "comment", "like", "gift", "gift",
        "follow", "share", "product", "room_stats", "session_end",
    ]  # fmt: skip
    assert (douyin[0]["online"], douyin[0]["total_viewers"]) == (23012, 423_000)  # totalPvForAnchor "42.3万"
    assert douyin[-2]["total_viewers"] == 120_000_000  # "1.2亿"
    assert douyin[6]["text"] == "[比心]"  # WebcastEmojiChatMessage
    product = douyin[12]
    assert product["sku"] == "3601234567890" and "玻尿酸精华" in product["title"]


def test_douyin_gifts_in_yuan_and_combo_once(douyin: list[dict]) -> None:
    heart, carnival = [e for e in douyin if e["type"] == "gift"]
    assert (heart["gift"], heart["count"], heart["value"], heart["currency"]) == ("小心心", 3, 0.3, "CNY")
    assert (carnival["count"], carnival["value"]) == (1, 300.0)  # 3000 抖币 = 300 yuan, not $15


def test_douyin_masked_viewers_are_kept_apart(douyin: list[dict]) -> None:
    masked = [e for e in douyin if e.get("anonymous")]
    assert [e["type"] for e in masked] == ["comment", "comment", "like"]
    assert len({e["user_id"] for e in masked}) == 3  # one id per masked viewer and message, never "111111"
    assert all(e["user_id"].startswith("douyin-anonymous:") for e in masked)
    assert not any(e.get("anonymous") for e in douyin if e.get("user_id") == "70012345678")


def test_masked_viewers_are_not_accounts_to_per_user_detectors() -> None:
    from clearlive.pipeline.scan import ScanConfig, Scanner

    chat = next(r for r in lines_of("douyin_method.jsonl") if r["payload"].get("user", {}).get("id") == "111111")
    burst = []
    for k in range(12):  # the same line from twelve viewers inside three seconds
        r = json.loads(json.dumps(chat))
        r["payload"]["common"]["msgId"] = str(7_312_000_000_000_100_000 + k)
        r["payload"]["common"]["createTime"] = str(1_793_534_404_000 + 250 * k)
        r["payload"]["content"] = "效果绝了回购第三次"
        burst.append(r)

    def templated(records: list[dict]) -> list:
        events = [msgspec.convert(e, Event) for e in adapted(encode(records), "douyin")[0]]
        return [f for f in Scanner.from_config(ScanConfig()).run(events) if f.rule_id == "fraud.templated_chat"]

    assert templated(burst) == []  # masked: twelve messages, but no way to say they are twelve accounts
    for k, r in enumerate(burst):
        r["payload"]["user"]["id"] = str(80_000_000 + k)
    assert len(templated(burst)) == 1  # the same burst from twelve known accounts


def test_a_bad_optional_field_never_rejects_the_message() -> None:
    seq, like = lines_of("douyin_method.jsonl")[0], lines_of("douyin_method.jsonl")[7]
    seq["payload"]["totalPvForAnchor"] = "很多"
    like["payload"]["count"] = "lots"
    adapter = Adapter("douyin", "r")
    stats = adapter.adapt(seq)
    assert stats[0]["online"] == 23012 and stats[0]["total_viewers"] == 412_000  # fell back to totalUser
    assert [n.field for n in adapter.notes] == ["total_pv_for_anchor"]
    [liked] = adapter.adapt(like)
    assert "count" not in liked and adapter.notes[0].field == "count"


@pytest.mark.parametrize(
    ("text", "n"),
    [("1520", 1520), (1520, 1520), ("1,520", 1520), ("42.3万", 423_000), ("1.2亿", 120_000_000),
     ("12.5K", 12_500), ("3m", 3_000_000), ("10w+", 100_000), ("2.3萬", 23_000)],
)  # fmt: skip
def test_display_counts(text: str | int, n: int) -> None:
    assert parse_count(text) == n


def test_display_count_that_is_not_one() -> None:
    with pytest.raises(ValueError, match="not a count"):
        parse_count("很多")


def test_a_message_of_another_room_is_rejected_naming_the_field() -> None:
    records = lines_of("douyin_method.jsonl")[:3]
    records[2]["payload"]["common"]["roomId"] = "7399999999999999999"
    events, rejects = adapted(encode(records), "douyin")
    assert len(events) == 2 and rejects[0][:2] == (3, "common.roomId")
    assert "7399999999999999999" in rejects[0][2] and "7311000000000000001" in rejects[0][2]


def test_bad_messages_say_line_and_field() -> None:
    records = lines_of("tiktok_wrapped.jsonl")[:3]
    del records[2]["data"]["user"]  # a comment with nobody behind it
    body = [*encode(records), b"{not json"]
    events, rejects = adapted(body, "tiktok")
    assert len(events) == 2
    assert [(n, f) for n, f, _ in rejects] == [(3, "user"), (4, None)]
    with pytest.raises(ValueError, match="no time"):
        Adapter("tiktok", "r").adapt({"type": "CommentEvent", "data": {"user": {"id": "1"}, "content": "hi"}})


def test_from_is_honoured(tmp_path: Path) -> None:
    from clearlive.cli.main import main

    # the same Douyin messages read as TikTok's: diamonds at TikTok's rate, and 111111 is just an id
    as_tiktok, _ = adapted(DATA / "douyin_method.jsonl", "tiktok")
    heart = next(e for e in as_tiktok if e["type"] == "gift")
    assert heart["currency"] == "USD" and not any(e.get("anonymous") for e in as_tiktok)
    # TikTokLive's event names are not Douyin messages: nothing read, exit 2 with the reason
    out = tmp_path / "x.jsonl"
    code = main(["adapt", str(DATA / "tiktok_wrapped.jsonl"), "--from", "douyin", "--room", "r", "-o", str(out)])
    assert code == 2


def test_a_file_with_nothing_read_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clearlive.cli.main import main

    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"hello": 1}\n{"type": "RankUpdateEvent", "data": {}}\n')
    assert main(["adapt", str(junk), "--from", "tiktok", "--room", "r", "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "nothing read" in capsys.readouterr().err


def test_adapted_rooms_are_scanned_like_any_other(tmp_path: Path) -> None:
    from clearlive.cli.main import main

    out = tmp_path / "tt.jsonl"
    cmd = ["adapt", str(DATA / "tiktok_bare.jsonl"), "--from", "tiktok", "--room", "tt", "-o", str(out)]
    assert main(cmd) == 0
    findings = tmp_path / "f.jsonl"
    assert main(["scan", str(out), "--out", str(findings)]) == 0
    found = [json.loads(line) for line in findings.read_text().splitlines()]
    rules = {f["rule_id"] for f in found}
    assert any("disease" in r or "efficacy" in r for r in rules)  # the caption's medical claim
    assert any("diversion" in r for r in rules)  # "DM me on telegram"
    caption_findings = {f["evidence"]["text"] for f in found if f["event_ids"] == ["tiktok:7432000000000000005"]}
    assert caption_findings  # one sentence, quoted from its final caption
    assert not [f for f in found if f["event_ids"] == ["tiktok:7432000000000000004"]]  # the partial is not an event


def full(event: dict) -> dict:
    """The event with every field, defaults included: one spelling of it, however it was written."""
    return msgspec.structs.asdict(msgspec.convert(event, Event))


ALL_FILES = [("tiktok", n) for n in TIKTOK_FILES] + [("douyin", n) for n in DOUYIN_FILES]


@pytest.mark.parametrize(("source", "name"), ALL_FILES)
def test_service_gives_the_same_events_as_adapt(tmp_path: Path, source: str, name: str) -> None:
    from clearlive.cli.main import main
    from clearlive.service.store import open_store
    from tests.test_service import Service

    out = tmp_path / "cli.jsonl"
    assert main(["adapt", str(DATA / name), "--from", source, "--room", "live1", "-o", str(out)]) == 0
    cli = [full(json.loads(x)) for x in out.read_text().splitlines()]
    svc = Service(open_store(None))
    try:
        body = (DATA / name).read_bytes()
        r = svc.client.post(f"/api/v1/events?source={source}&room_id=live1", content=body, headers=svc.h("ingest"))
        assert r.status_code == 202 and r.json()["rejected"] == 0
        svc.pipeline.drain()
        stored = svc.store.room_events("acme", "live1", 10_000)
        served = [full(e) for e in stored]
        assert sorted(served, key=lambda e: e["id"]) == sorted(cli, key=lambda e: e["id"])
        bad = svc.client.post("/api/v1/events?source=kuaishou&room_id=x", content=body, headers=svc.h("ingest"))
        assert bad.status_code == 422
    finally:
        svc.pipeline.close()


def test_the_examples_in_the_docs_are_what_adapt_gives() -> None:
    import re

    doc = (Path(__file__).parent.parent / "docs" / "formats.md").read_text(encoding="utf-8")
    pairs = re.findall(r"```(tiktok|douyin)\n(.+)\n(.+)\n```", doc)
    assert len(pairs) >= 20
    given: dict[bytes, list[dict]] = {}  # each fixture line -> its events, read in its recording
    for source, name in ALL_FILES:
        lines = (DATA / name).read_bytes().splitlines()
        for line, events in adapt_recording(lines, "r1", source):
            if not line.closing:
                given.setdefault(lines[line.n - 1], events or [])
    for _, message, events in pairs:
        assert given[message.encode()] == json.loads(events), message


def test_a_zero_viewer_count_from_defaults_falls_back_to_the_display_count() -> None:
    seq = lines_of("douyin_defaults.jsonl")[0]
    seq["payload"]["total"] = "0"  # not sent; the display text is
    [stats] = Adapter("douyin", "r").adapt(seq)
    assert stats["online"] == 23_000  # onlineUserForAnchor "2.3万"


def test_service_lists_the_fields_it_left_out() -> None:
    from clearlive.service.store import open_store
    from tests.test_service import Service

    seq = lines_of("douyin_method.jsonl")[0]
    seq["payload"]["totalPvForAnchor"] = "很多"
    svc = Service(open_store(None))
    try:
        url = "/api/v1/events?source=douyin&room_id=dy"
        r = svc.client.post(url, content=encode([seq])[0], headers=svc.h("ingest"))
        assert r.status_code == 202 and r.json()["accepted"] == 1
        [note] = r.json()["left_out"]
        assert note == {"line": 1, "field": "total_pv_for_anchor", "error": "not a count: '很多'; left out"}
    finally:
        svc.pipeline.close()
