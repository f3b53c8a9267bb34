"""Fan raids: a host's call, then the caller's viewers attacking another room."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlive.model.events import Event
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000


def ev(kind: str, room: str, t_s: float, i: int, **fields: object) -> object:
    return msgspec.convert(
        {"type": kind, "room_id": room, "ts": T0 + int(t_s * 1000), "id": f"{room}-{i}", **fields}, Event
    )


def scenario(call: bool, hostile: bool, from_caller: bool) -> list:
    events = [
        ev("session_start", "A", 0, 0, anchor_id="host-a", session_id="sa"),
        ev("session_start", "B", 0, 0, anchor_id="host-b", session_id="sb"),
    ]
    fans = [f"fan{k}" for k in range(8)]
    for k, fan in enumerate(fans):  # the caller's viewers chat in room A
        events.append(ev("comment", "A", 10 + k, 100 + k, user_id=fan, text="主播说得对"))
    text = "兄弟们去他直播间刷屏，他卖的全是假货" if call else "今天的面霜大家觉得怎么样"
    events.append(ev("utterance", "A", 60, 200, text=text, speaker="host"))
    for k, fan in enumerate(fans):
        user = fan if from_caller else f"stranger{k}"
        friendly = [
            "主播这个怎么卖",
            "有没有大码",
            "从A直播间过来的",
            "发什么快递",
            "好看",
            "能便宜点吗",
            "支持一下",
            "什么时候开播",
        ]
        line = "主播是骗子，卖假货的垃圾东西" if hostile else friendly[k]
        events.append(ev("comment", "B", 120 + 20 * k, 300 + k, user_id=user, text=line))
    return events


def raid_findings(events: list) -> list:
    return [f for f in Scanner.from_config(ScanConfig()).run(events) if f.rule_id.startswith("fraud.fan_raid")]


def test_raid_is_linked_across_both_rooms() -> None:
    found = raid_findings(scenario(call=True, hostile=True, from_caller=True))
    by_rule = {f.rule_id: f for f in found}
    assert set(by_rule) == {"fraud.fan_raid.caller", "fraud.fan_raid.target"}
    caller, target = by_rule["fraud.fan_raid.caller"], by_rule["fraud.fan_raid.target"]
    assert caller.room_id == "A" and caller.category == "provocation" and caller.anchor_id == "host-a"
    assert target.room_id == "B" and target.category == "abuse" and target.anchor_id == "host-b"
    assert caller.facts["target_room"] == "B" and target.facts["caller_room"] == "A"
    assert caller.facts["n_raiders"] == 5 and caller.event_ids[0] == "A-200"
    assert "去他直播间刷屏" in caller.facts["call"]


def test_no_call_no_raid() -> None:
    assert raid_findings(scenario(call=False, hostile=True, from_caller=True)) == []


def test_friendly_visitors_are_not_raiders() -> None:
    assert raid_findings(scenario(call=True, hostile=False, from_caller=True)) == []


def test_hostility_from_strangers_is_not_a_raid() -> None:
    assert raid_findings(scenario(call=True, hostile=True, from_caller=False)) == []


def test_templated_spam_from_the_callers_viewers_is_a_raid_too() -> None:
    events = scenario(call=True, hostile=False, from_caller=True)
    events = [e for e in events if not (e.room_id == "B" and e.__struct_config__.tag == "comment")]
    for k in range(8):
        events.append(ev("comment", "B", 120 + 10 * k, 400 + k, user_id=f"fan{k}", text="退钱！退钱！退钱！"))
    found = {f.rule_id: f for f in raid_findings(events)}
    assert set(found) == {"fraud.fan_raid.caller", "fraud.fan_raid.target"}
    assert found["fraud.fan_raid.target"].category == "fake_data"


def test_accusations_alone_count_as_hostile_for_raiders() -> None:
    """Raiders accuse rather than swear; none of these lines is in the abuse lexicon."""
    accusations = ["主播是骗子", "假货害人", "黑心商家", "智商税别买", "骗子滚出直播间", "大家避雷", "卖假的", "坑人"]
    events = scenario(call=True, hostile=False, from_caller=True)
    events = [e for e in events if not (e.room_id == "B" and e.__struct_config__.tag == "comment")]
    for k, line in enumerate(accusations):
        events.append(ev("comment", "B", 120 + 20 * k, 500 + k, user_id=f"fan{k}", text=line))
    found = {f.rule_id: f for f in raid_findings(events)}
    assert set(found) == {"fraud.fan_raid.caller", "fraud.fan_raid.target"}
    assert found["fraud.fan_raid.target"].category == "abuse"


def test_hostility_examples() -> None:
    from clearlive.watch.detectors.hostility import DATA, hostility
    from clearlive.watch.normalize import normalize
    from clearlive.yamlsafe import load_yaml

    examples = load_yaml(DATA.read_text(encoding="utf-8"))["examples"]
    for text in examples["hostile"]:
        assert hostility().terms_in(normalize(text).text), text
    for text in examples["not_hostile"]:
        assert not hostility().terms_in(normalize(text).text), text


def show_call_scenario(lines: list[str]) -> list:
    """Issue #16: the host never says 'raid'; fans enter the other room before they post there."""
    events = [
        ev("session_start", "A", 0, 0, anchor_id="host-a", session_id="sa"),
        ev("session_start", "B", 0, 0, anchor_id="host-b", session_id="sb"),
    ]
    for k in range(30):  # room B's own viewers ask about the product
        events.append(
            ev("comment", "B", 5 * k, 400 + k, user_id=f"b{k}", text=["什么时候发货", "有没有大码", "多少钱"][k % 3])
        )
    fans = [f"fan{k}" for k in range(8)]
    for k, fan in enumerate(fans):
        events.append(ev("like", "A", 10 + k, 100 + k, user_id=fan, count=3))
    events.append(ev("utterance", "A", 60, 200, text="家人们都去B直播间给他们show一下我们的实力", speaker="host"))
    for k, fan in enumerate(fans):
        events.append(ev("enter", "B", 70 + 5 * k, 300 + k, user_id=fan))
        events.append(ev("comment", "B", 120 + 10 * k, 320 + k, user_id=fan, text=lines[k % len(lines)]))
    return sorted(events, key=lambda e: e.ts)


def test_a_show_call_followed_by_fans_posting_the_same_lines_is_a_raid() -> None:
    found = raid_findings(
        show_call_scenario(["我们家主播才是最好的！", "我们家主播才是最好的哈哈", "就这也敢卖这个价~"])
    )
    assert {f.rule_id for f in found} == {"fraud.fan_raid.caller", "fraud.fan_raid.target"}
    caller = next(f for f in found if f.rule_id == "fraud.fan_raid.caller")
    assert caller.room_id == "A" and "show一下" in caller.facts["call"] and caller.facts["n_raiders"] >= 5


def test_fans_asking_the_rooms_usual_questions_after_a_show_call_are_visitors() -> None:
    lines = ["请问什么时候发货", "宝宝什么时候发货呀", "这个有没有大码", "有没有大码呢", "多少钱呀"]
    assert raid_findings(show_call_scenario(lines)) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.frozensets(st.integers(0, 40), max_size=12).map(lambda g: ("add", g)),
            st.frozensets(st.integers(0, 40), min_size=1, max_size=12).map(lambda g: ("ask", g)),
            st.just(("clear", frozenset())),
        ),
        max_size=80,
    ),
    st.integers(1, 16),
)
def test_room_grams_answer_what_a_counter_of_every_shingle_answers(steps: list, pending: int) -> None:  # type: ignore[type-arg]
    """The room's shingle counts in sorted arrays (merged every few lines) give the distinct count
    and the shingles said in two or more lines exactly as the Counter they replace."""
    from collections import Counter
    from unittest.mock import patch

    from clearlive.watch.detectors.raids import RoomGrams

    with patch.object(RoomGrams, "PENDING", pending):
        grams, counter = RoomGrams(), Counter()  # type: ignore[var-annotated]
        for op, g in steps:
            if op == "add":
                grams.add(g)
                counter.update(g)
            elif op == "clear":
                grams.clear()
                counter.clear()
            else:
                assert grams.common(g) == sum(1 for x in g if counter[x] >= 2)
            assert grams.most() >= len(counter)
        assert len(grams) == len(counter)
        restored = RoomGrams.from_counter(counter)
        assert len(restored) == len(counter)
        assert all(restored.common(frozenset({x})) == (counter[x] >= 2) for x in range(41))
