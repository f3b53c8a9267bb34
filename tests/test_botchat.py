"""Templated chat bursts: bots firing the same line together, not viewers asking the same thing."""

from __future__ import annotations

import os
import random
from pathlib import Path
from unittest.mock import patch

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlive.model.events import Event
from clearlive.watch.detectors.botchat import ChatConfig
from clearlive.watch.scan.scanner import ScanConfig, Scanner

MIN_SIMILARITY = ChatConfig().min_similarity  # the detector's default floor

T0 = 1_793_534_400_000
QUESTIONS = ["多少钱", "发什么快递", "有没有大码", "能便宜点吗", "什么时候发货", "会起球吗", "主播多高", "适合夏天穿吗"]


def comment(t_ms: int, user: str, text: str, i: int) -> dict:
    return {"type": "comment", "room_id": "r", "ts": T0 + t_ms, "id": f"c{i}", "user_id": user, "text": text}


def bursts(rows: list[dict]) -> list:
    events = [msgspec.convert(r, Event) for r in sorted(rows, key=lambda r: r["ts"])]
    return [f for f in Scanner.from_config(ScanConfig()).run(events) if f.rule_id == "fraud.templated_chat"]


def busy_honest_chat(rng: random.Random, per_second: float, minutes: int, start: int = 0) -> list[dict]:
    rows, t, i = [], 0.0, start
    while t < minutes * 60:
        t += rng.expovariate(per_second)
        rows.append(comment(int(t * 1000), f"u{rng.randrange(5000)}", rng.choice(QUESTIONS), i))
        i += 1
    return rows


def bot_burst(at_ms: int, line: str, accounts: int, start: int) -> list[dict]:
    return [comment(at_ms + k * 250, f"bot{k}", line + ["", "!", "~", "2"][k % 4], start + k) for k in range(accounts)]


def test_busy_honest_chat_is_quiet() -> None:
    # five comments a second, everyone asking the same eight questions: repeats, but spread out
    assert bursts(busy_honest_chat(random.Random(1), 5.0, 10)) == []


def test_bot_burst_is_found() -> None:
    rows = busy_honest_chat(random.Random(2), 0.5, 10) + bot_burst(300_000, "效果绝了回购第三次", 12, 100_000)
    found = bursts(rows)
    assert len(found) == 1
    f = found[0]
    assert f.category == "fake_data" and f.facts["template"] == "效果绝了回购第三次" and f.facts["n_accounts"] >= 8
    assert all(e.startswith("c1000") for e in f.event_ids)


def test_burst_in_a_busy_room_is_judged_against_its_chat_rate() -> None:
    # Eight accounts posting one new line within two seconds stand out of five comments a second
    # (since issue #16: the share is taken against the room's own chat, a quarter suffices) ...
    rows = busy_honest_chat(random.Random(3), 5.0, 10) + bot_burst(300_000, "效果绝了回购第三次", 8, 100_000)
    assert len(bursts(rows)) == 1
    # ... the same eight spread over thirty seconds are a twentieth of that chat: not a burst.
    spread = [
        {**r, "ts": T0 + 300_000 + k * 3_700} for k, r in enumerate(bot_burst(0, "效果绝了回购第三次", 8, 100_000))
    ]
    assert bursts(busy_honest_chat(random.Random(3), 5.0, 10) + spread) == []


def test_organic_cue_wave_of_short_answers_is_quiet() -> None:
    rows = [comment(60_000 + k * 100, f"v{k}", "1", k) for k in range(80)]
    rows += [comment(120_000 + k * 100, f"w{k}", "想要！", 100 + k) for k in range(80)]
    assert bursts(rows) == []


def test_same_line_from_accounts_over_minutes_is_quiet() -> None:
    rows = [comment(k * 20_000, f"v{k}", "这个颜色还有货吗", k) for k in range(20)]  # one every 20 s
    assert bursts(rows) == []


def test_line_history_stays_bounded_and_keeps_frequent_lines() -> None:
    from clearlive.watch.detectors import botchat
    from clearlive.watch.detectors.thresholds import Thresholds

    rows = [
        comment(k * 1000, f"v{k}", "多少钱呀姐妹" if k % 3 == 0 else f"独一无二的留言{chr(0x4E00 + k)}", k)
        for k in range(600)
    ]
    events = [msgspec.convert(r, Event) for r in rows]
    config = ScanConfig(claims_model=None, thresholds=Thresholds(chat=botchat.ChatConfig(max_templates=50)))
    scanner = Scanner.from_config(config)
    for ev in events:  # not run(): the end of input ends the room and drops its state
        scanner.process(ev)
    history = scanner.rooms["r"].slots[botchat.TemplatedChatDetector.id].history
    assert len(history) <= 50 and history["多少钱呀姐妹"] >= 150


def test_a_burst_arriving_out_of_time_order_is_scanned_not_crashed() -> None:
    """Identical lines whose timestamps run backwards (a disordered feed, a replay) once divided by
    zero in the share of chat; found by an orphan worker in the Redis soak."""
    rows = [
        {"type": "comment", "room_id": "r", "ts": 1_000_000 + i * 1000, "id": f"a{i}", "user_id": f"x{i}",
         "text": f"随便聊聊{i}"}
        for i in range(50)
    ] + [
        {"type": "comment", "room_id": "r", "ts": 900_000 - i * 100, "id": f"b{i}", "user_id": f"u{i}",
         "text": "主播能便宜点吗能便宜点吗"}
        for i in range(12)
    ]  # fmt: skip
    scanner = Scanner.from_config(ScanConfig(claims_model=None))
    found = list(scanner.run([msgspec.convert(r, Event) for r in rows]))
    burst = [f for f in found if f.rule_id == "fraud.templated_chat"]
    assert burst and all(f.facts["share_of_chat"] <= 1.0 for f in burst)


def _most_similar_by_counting_all(grams: frozenset[str], index: dict) -> object:  # type: ignore[type-arg]
    """The grouping as first written: count shared shingles for every group, take the 8 sharing
    most (ties: first met going through the shingles in sorted order), keep the most similar if it reaches the floor."""
    from collections import Counter
    from itertools import chain

    lists = [index[g] for g in sorted(grams) if g in index]
    best, best_sim = None, 0.0
    if lists:
        overlap = Counter(chain.from_iterable(lists))
        for candidate, shared in sorted(overlap.items(), key=lambda kv: -kv[1])[:8]:
            sim = shared / len(grams.union(candidate.grams))
            if sim > best_sim:
                best, best_sim = candidate, sim
    return best if best is not None and best_sim >= MIN_SIMILARITY else None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.frozensets(st.sampled_from("abcdefghij"), min_size=1, max_size=8), min_size=0, max_size=30),
    st.frozensets(st.sampled_from("abcdefghijk"), min_size=1, max_size=9),
)
def test_grouping_by_rarest_shingles_picks_the_group_counting_all_would(groups: list, line: frozenset) -> None:  # type: ignore[type-arg]
    """Prefix filtering (only groups that can reach the floor, gathered from the rarest shingles)
    and counting in C (short lists) must pick what counting every group picks, ties included: many
    groups, few shingles."""
    from clearlive.watch.detectors import botchat

    index: dict[str, list[botchat._Group]] = {}
    for k, grams in enumerate(groups):
        group = botchat._Group(f"g{k}", tuple(grams) if k % 2 else grams)  # as made now, and as checkpointed before
        for g in grams:
            index.setdefault(g, []).append(group)
    expected = _most_similar_by_counting_all(line, index)
    for count_all in (0, 10**9):  # gathered from the rarest shingles, then counted in C: both exact
        with patch.object(botchat, "COUNT_ALL", count_all):
            best, sim = botchat._most_similar(line, botchat._Index.from_lists(index), MIN_SIMILARITY)
        picked = best if best is not None and sim >= MIN_SIMILARITY else None
        assert picked is expected


def test_findings_do_not_depend_on_the_string_hash_seed(tmp_path: Path) -> None:
    """Python salts string hashes per process (PYTHONHASHSEED), so a set of shingles iterates in a
    different order in a CLI run, a service worker and a Spark executor: a tie between two chat
    groups must not break by that order. The demo rooms (bot bursts among real-sounding chat) and
    the fraud generator's rooms, scanned in processes with different seeds, give the same findings."""
    import subprocess
    import sys

    from clearlive.reward.simulation.live_fraud import fraud_room
    from tests.test_lifecycle import realistic_stream

    events = [msgspec.to_builtins(e) for e in realistic_stream(tmp_path)]
    rng = random.Random(5)
    for k, (kind, intensity) in enumerate((("chat_ring", 12), ("chat_ring", 30), ("audience", 3.0))):
        for room in fraud_room(rng, f"sim-{k}", kind=kind, intensity=intensity, peak=400, minutes=20):
            events += room.events
    data = tmp_path / "events.jsonl"
    data.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in events))

    def scan(seed: str) -> list[str]:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-m", "clearlive", "scan", str(data), "--format", "jsonl"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line for line in out.splitlines() if line]

    first = scan("1")
    assert any('"fraud.templated_chat"' in line for line in first)
    assert scan("2") == first
    assert scan("31337") == first


def test_a_tie_between_chat_groups_breaks_the_same_way_in_every_process() -> None:
    """A line as close to one group as to another joins the same one whatever the process's string
    hash seed (a service worker and a Spark executor each have their own)."""
    import subprocess
    import sys

    probe = (
        "from clearlive.watch.detectors import botchat\n"
        "a = botchat._Group('first', frozenset({'主播', '播好', 'x1'}))\n"
        "b = botchat._Group('second', frozenset({'好看', '看的', 'x2'}))\n"
        "index = {}\n"
        "for g in (a, b):\n"
        "    for s in g.grams:\n"
        "        index.setdefault(s, []).append(g)\n"
        "line = frozenset({'主播', '播好', '好看', '看的'})\n"
        "best, sim = botchat._most_similar(line, botchat._Index.from_lists(index), 0.4)\n"
        "print(best.key, sim)\n"
    )
    picked = {
        subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(12)
    }
    assert len(picked) == 1, picked


def _string_shingles(key: str) -> list[str]:
    """The shingles as first written: bigrams of a line with CJK text, else trigrams; a key shorter
    than its shingles is its own only shingle."""
    import re

    n = 2 if re.search(r"[\u3400-\u9fff\uf900-\ufaff]", key) else 3
    return [key[i : i + n] for i in range(max(1, len(key) - n + 1))]


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("主播好看的家人们已经回购三次了abcxyzé"),
            st.characters(codec="utf-8", exclude_categories=("Cs",)),
        ),
        max_size=60,
    )
)
def test_shingles_are_the_string_shingles_as_ints_in_the_same_order(key: str) -> None:
    """Shingles are packed into ints in C: the same shingles as slicing the string (one int per
    distinct string), and sorted the same way (a tie between groups breaks by that order)."""
    from clearlive.watch.detectors import botchat

    strings = sorted(set(_string_shingles(key)))
    ids = [botchat.gram_id(s) for s in strings]
    assert botchat.shingles.__wrapped__(key) == frozenset(ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_strings_of_up_to_three_characters_never_share_an_int() -> None:
    from clearlive.watch.detectors import botchat

    top = "\U0010ffff"
    grams = ["", "a", "ab", "abc", top, top * 2, top * 3, "\x00", "\x00" * 2, "\x00" * 3]
    assert len({botchat.gram_id(g) for g in grams}) == len(grams)


def test_a_checkpoint_with_string_shingles_restores_to_the_same_groups() -> None:
    """A room checkpointed before shingles were ints (a list of groups per string shingle, the
    groups' shingles as strings) goes on grouping lines as the fresh index does."""
    from clearlive.watch.detectors import botchat

    lines = ["家人们已经回购三次了", "已经回购三次了真的"] * 6
    rows = [comment(i * 700, f"u{i % 9}", text, i) for i, text in enumerate(lines)]
    events = [msgspec.convert(r, Event) for r in rows]
    scanner = Scanner.from_config(ScanConfig(claims_model=None))
    for ev in events[:6]:
        scanner.process(ev)
    window = scanner.rooms["r"].slots[botchat.TemplatedChatDetector.id]
    old = dict(window.__getstate__())
    lists = {}
    for gram_int in [*window.index.solo, *window.index.multi]:
        text = next(s for g in window.groups for s in _string_shingles(g.key) if botchat.gram_id(s) == gram_int)
        lists[text] = window.index.groups_of(gram_int)
    old["index"] = lists
    for g in window.groups:
        g.__setstate__({**g.__getstate__(), "grams": tuple(s for s in _string_shingles(g.key))})
    assert all(isinstance(x, int) for g in window.groups for x in g.grams)
    restored = botchat._ChatWindow.__new__(botchat._ChatWindow)
    restored.__setstate__(old)
    assert restored.index == window.index
# Lockstep accounts (issue #16): a ring found by its accounts meeting again, not by its share of chat.
LONG_QUESTIONS = [
    p + q + s
    for p in ("请问主播", "想问下主播", "宝宝")
    for q in ("什么时候发货", "有没有别的颜色", "敏感肌能用吗")
    for s in ("呀", "呢", "")
]
RING_LINES = [
    "主播太实在了这个价格闭眼入",
    "已经回购三次了质量真的好",
    "刚收到货比实体店便宜一半",
    "物流很快第二天就到了",
]


def busy_room(seed: int, minutes: int = 20) -> list[dict]:
    """Five comments a second from 20,000 viewers, a third of them long questions: a big room."""
    rng = random.Random(seed)
    rows, t, i = [], 0.0, 0
    while t < minutes * 60:
        t += rng.expovariate(5.0)
        text = rng.choice(LONG_QUESTIONS) if rng.random() < 0.3 else rng.choice(QUESTIONS)
        rows.append(comment(int(t * 1000), f"u{rng.randrange(20_000)}", text, i))
        i += 1
    return rows


def waves(seed: int, accounts: list[list[str]], lines: list[str], at_s: list[int], start: int) -> list[dict]:
    """Each wave: its accounts post one of `lines` each (with filler and an ending) within 40 s."""
    rng = random.Random(seed)
    rows = []
    for w, (at, who) in enumerate(zip(at_s, accounts, strict=True)):
        for k, user in enumerate(who):
            text = rng.choice(["", "家人们", "真的"]) + rng.choice(lines) + rng.choice(["", "!", "～", "👍"])
            rows.append(comment(at * 1000 + rng.randrange(40_000), user, text, start + 100 * w + k))
    return rows


def test_a_ring_meeting_again_in_a_big_room_is_found_by_lockstep() -> None:
    # Twelve accounts, four lines, three bursts of 40 s four minutes apart: each burst is a twentieth
    # of the room's chat, far under the quarter a single burst needs, but the same accounts return.
    ring = [f"ring{k}" for k in range(12)]
    rng = random.Random(7)
    who = [rng.sample(ring, 10) for _ in range(3)]
    rows = busy_room(1) + waves(2, who, RING_LINES, [300, 540, 780], 100_000)
    found = bursts(rows)
    assert len(found) == 1
    f = found[0]
    assert f.facts["lockstep"] is True and f.facts["n_accounts"] >= 5
    assert set(f.facts["accounts"]) <= set(ring)
    assert all(e.startswith("c1") and len(e) == 7 for e in f.event_ids)  # the ring's comments only
    assert f.facts["share_of_chat"] < 0.25
    # the room alone (its long questions asked all along, by viewers who come back) is quiet ...
    assert bursts(busy_room(1)) == []
    # ... and one burst of the ring alone is not a ring that met again
    assert bursts(busy_room(1) + waves(2, who[:1], RING_LINES, [300], 100_000)) == []


def test_different_viewers_saying_the_same_new_things_twice_is_quiet() -> None:
    # A new product: two waves of twelve viewers each reacting with the same three new lines; the
    # waves are different people, as honest waves are.
    who = [[f"u{k}" for k in range(1000, 1012)], [f"u{k}" for k in range(2000, 2012)]]
    assert bursts(busy_room(3) + waves(4, who, RING_LINES[:3], [300, 540], 100_000)) == []


def test_fans_asking_their_question_again_is_quiet() -> None:
    # The same twelve fans ask about sizes, and ask again four minutes later: one line, not a script.
    fans = [f"u{k}" for k in range(1000, 1012)]
    rows = busy_room(5) + waves(6, [fans, fans], ["主播这件衣服有没有大码的呀"], [300, 540], 100_000)
    assert bursts(rows) == []


def test_fans_answering_the_hosts_cues_twice_is_quiet() -> None:
    # The host asks twice for a slogan; the same fans type it each time (cued, not a ring).
    fans = [f"u{k}" for k in range(1000, 1012)]
    cues = ["主播辛苦了今天的福利太给力了", "感谢主播今天的宠粉福利真好"]
    rows = busy_room(8) + waves(9, [fans], cues[:1], [300], 100_000) + waves(9, [fans], cues[1:], [540], 200_000)
    rows += [
        {"type": "utterance", "room_id": "r", "ts": T0 + at * 1000 - 5_000, "id": f"h{k}", "speaker": "host",
         "text": f"喜欢主播的扣一个“{cue}”"}
        for k, (at, cue) in enumerate(zip((300, 540), cues, strict=True))
    ]  # fmt: skip
    assert bursts(rows) == []


def test_a_checkpoint_from_before_lockstep_loads() -> None:
    import pickle

    from clearlive.watch.detectors import botchat

    w = botchat._ChatWindow()
    state = w.__getstate__()
    del state["lock"]
    restored = pickle.loads(pickle.dumps(w))
    restored.__setstate__(state)
    assert isinstance(restored.lock, botchat._Lockstep) and not restored.lock.posts
