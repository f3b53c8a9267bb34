"""Templated chat from many accounts at once (taxonomy C5.1 and IN2: 水军, scripted 弹幕).

A comment's template is its normalised text with digits, punctuation, symbols, emoji and spaces
removed ('效果绝了！！3' and '效果绝了~' share '效果绝了'). A ring varies its copies ('家人们已经回购
三次了' / '已经回购三次了真的'), so templates are grouped by similarity, not equality: each template's
character shingles (bigrams of CJK text, trigrams of other letters) are compared with the lines
the room posted in the last minute, and one whose Jaccard similarity to a line is at least
MIN_SIMILARITY joins that line's group. Lines shorter than MIN_TEMPLATE_WEIGHT (a CJK character
weighs 1, another letter a third) are cheers and cue answers ('1', '666', '想要', '已拍') and
never count.

A group is bursting when at least MIN_GROUP_ACCOUNTS accounts posted it within BURST_MS (for
lines under LONG_LINE_WEIGHT, which viewers say alike by chance, MIN_SHORT_GROUP_ACCOUNTS) and
that is at least HISTORY_FACTOR times what the room's own history of the line predicts: its usual
count per BURST_MS, or its usual share of the room's chat times the chat of the span, whichever
is more (viewers who ask the same thing ask it all stream long, and more of it as chat grows).
A ring posts a handful of lines at once, so the
bursting groups of the last BURST_MS are taken together: a finding needs MIN_ACCOUNTS accounts in
them, making up at least MIN_SHARE of all the room's comments of that span, and the span must
hold more chat than the room's own rate predicts by at least EXTRA_SHARE of the burst: a ring's
lines come on top of the room's chat, while honest viewers who happen to say the same things in
a quiet room do not make it chat more than it usually does. Lines the host just
asked viewers to type (a cue in the host's speech of the last CUE_MS) are not bursts, and a room
is judged on similarity and history once its chat spans MIN_HISTORY_MS; before that only the
unmistakable burst counts (one line from MIN_ACCOUNTS accounts within 10 s, 60% of that chat). One finding
per room every REPORT_GAP_MS.

A ring is also found by its accounts meeting again (lockstep, after CopyCatch), with no share of
the room's chat asked: a ring of twenty is a sliver of a busy room's chat, but the same accounts
post its lines burst after burst. Each long line (LONG_LINE_WEIGHT or more) is remembered for
LOCK_MS while it is new to the room: its run of lines (none ACTIVE_MS apart) began within the
last ACTIVE_MS, so a line viewers keep saying never is, and it is HISTORY_FACTOR times what its
history predicts, the lines already remembered as new left out of that history (a ring's own
earlier bursts are not the room's usual chat). A finding needs MIN_LOCK_ACCOUNTS accounts that
each posted such a line within the last ACTIVE_MS and another BURST_MS or more before, each of
those lines similar to one another of them posted, over MIN_LOCK_LINES or more lines (a script;
fans asking their one question again say one line). Viewers who say the same new things at the
same moment are different viewers the next time, and cue answers (lines most of whose shingles
are in a host line of the last CUE_MS) are not remembered.
"""

from __future__ import annotations

import math
import re
import sys
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress

from clearlive.model.events import EventBase, Utterance, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import metric_finding
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView

MIN_TEMPLATE_CHARS = 4  # the fan-raid detector's floor on exact templates


@dataclass(frozen=True, slots=True)
class ChatConfig:
    """The detector's thresholds, with the defaults the module docstring describes (in capitals);
    a scan passes its own through `ScanConfig.thresholds`."""

    burst_ms: int = 30_000
    active_ms: int = 60_000  # a group takes new members while it was posted within this time
    min_accounts: int = 8
    min_group_accounts: int = 3
    min_short_group_accounts: int = 5  # lines under LONG_LINE_WEIGHT are said alike by chance more often
    long_line_weight: float = 8.0
    min_share: float = 0.25
    extra_share: float = 0.5  # at least half the burst's comments must be chat beyond the room's usual rate
    min_similarity: float = 0.5
    min_template_weight: float = 5.0
    min_history_ms: int = 90_000
    young_burst_ms: int = 10_000  # before that: one line, MIN_ACCOUNTS accounts within 10 s ...
    young_share: float = 0.6  # ... and 60% of the chat of those seconds (the pre-#16 rule)
    cue_ms: int = 120_000
    report_gap_ms: int = 600_000
    max_window: int = 5000
    history_factor: float = 6.0  # the burst must be this many times the line's usual count in a window
    max_templates: int = 20_000  # per room; the rarest are forgotten beyond this
    # Lockstep accounts (CopyCatch): accounts that post the room's new lines together in two or more
    # bursts, judged without any share of the room's chat.
    lock_ms: int = 900_000  # the memory of new lines: bursts this far apart can be one ring's
    min_lock_accounts: int = 5
    min_lock_lines: int = 2  # a ring works through a script; viewers repeating their own question say one line
    max_lock_posts: int = 4096  # per room; the oldest are forgotten beyond this


TOP_GROUPS = 8  # a line is compared with the groups sharing the most shingles with it, this many
# Up to this many group entries per shingle of the line, the groups are counted in C rather than
# gathered from the line's rarest shingles (both exact; see `_most_similar`).
COUNT_ALL = 8
MAX_FOUND = 4096  # per room: templates whose group is remembered between changes of the index


_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)  # everything but letters and CJK characters
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8_192)  # bot chat and fan raids both ask for each comment's template
def template(normalised: str) -> str:
    return _NOISE.sub("", normalised)


@lru_cache(maxsize=65_536)  # chat repeats its lines: most templates were weighed a moment ago
def weight(key: str) -> float:
    cjk = len(_CJK.findall(key))
    return cjk + (len(key) - cjk) / 3


# A shingle is an int, not a string: the code points of its characters packed so that ints compare as
# the strings do (shingles of one line all have the same length) and distinct strings of up to three
# characters never share an int. Packed in C (a line's UTF-32 bytes read as 64-bit words), a line
# costs a seventh of slicing and interning its bigrams as strings, a group keeps its shingles in an
# array of 8 bytes each, and an int hashes the same in every process (no PYTHONHASHSEED).
_TRIGRAM = 1 << 63  # 'abc' -> a << 42 | b << 21 | c with this bit; 'ab' -> a << 32 | b (below 2**53)
_ONE = 1 << 62  # 'a' -> a with this bit (a key shorter than its shingles is its only shingle)
_EMPTY = 1 << 61
_SWAP = sys.byteorder == "little"


def gram_id(gram: str) -> int:
    """The int of one shingle (a string of up to three characters)."""
    c = [ord(x) for x in gram]
    if len(c) == 2:
        return c[0] << 32 | c[1]
    if len(c) == 3:
        return _TRIGRAM | c[0] << 42 | c[1] << 21 | c[2]
    return _ONE | c[0] if c else _EMPTY


def _bigrams(key: str) -> array[int]:
    """Every bigram of `key` (two or more characters) as `gram_id` gives it, in C: the key's UTF-32
    words read as 64-bit words from offset 0 and from offset 4 (big-endian, so a << 32 | b)."""
    raw = key.encode("utf-32-be")
    even, odd = array("Q"), array("Q")
    even.frombytes(raw[: len(raw) // 8 * 8])
    odd.frombytes(raw[4 : 4 + (len(raw) - 4) // 8 * 8])
    if _SWAP:
        even.byteswap()
        odd.byteswap()
    even.extend(odd)
    return even


# Frozensets of long lines weigh kilobytes: a large cache of distinct chat costs tens of MB. Bot chat and
# fan raids ask for the same comment's shingles one after the other; repeated lines are mostly recent.
@lru_cache(maxsize=2_048)
def shingles(key: str) -> frozenset[int]:
    """The line's character shingles (bigrams of CJK text, trigrams of other letters) as ints (`gram_id`)."""
    if len(key) >= 2 and _CJK.search(key):
        ids: Iterable[int] = _bigrams(key)
    elif len(key) >= 3:
        c = [ord(x) for x in key]
        ids = [_TRIGRAM | a << 42 | b << 21 | d for a, b, d in zip(c, c[1:], c[2:], strict=False)]
    else:
        ids = (gram_id(key),)
    return frozenset(ids)


@dataclass(eq=False, slots=True)  # compared and hashed by identity: groups are counted in a Counter
class _Group:
    key: str  # the template of its first line
    # its shingles (`gram_id`), each once: an array of 8 bytes a shingle, not the line's frozenset (a
    # set's table of a long line weighs kilobytes, and rooms of distinct chat keep thousands of
    # groups); a frozenset serves the same
    grams: array[int] | frozenset[int]
    members: deque[tuple[int, str, str]] = field(default_factory=deque)  # (ts, user, event id)
    born: int = 0
    count: int = 0  # lines the group took so far
    usual: float = 0.0  # the line's usual count per BURST_MS before this group began
    seen_at_birth: int = 0  # the room's comments when the group began
    share_at_birth: float = 0.0  # the line's share of the room's chat before the group began
    # The start of the group's current run of lines (none ACTIVE_MS apart) and its latest line:
    # a ring's line is silent between its bursts, a line viewers keep saying is not.
    run_start: int = 0
    last_line: int = 0

    def usual_before(self, start: int, recent: int, seen: int, in_span: int, burst_ms: int) -> float:
        """What the room's history predicts for this line over the recent span: the line's usual
        count per BURST_MS, or its usual share of chat times the span's chat (a room whose chat is
        growing repeats its usual lines more), whichever is more."""
        elapsed = max(burst_ms, start - self.born)
        per_window = max(self.usual, (self.count - recent) * burst_ms / elapsed)
        earlier = seen - in_span - self.seen_at_birth
        share = max(self.share_at_birth, (self.count - recent) / earlier if earlier > 0 else 0.0)
        return max(per_window, share * in_span)

    # Pickled as a dict of fields, as before the slots (checkpoints from either read the same).
    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        grams = state["grams"]
        if any(isinstance(g, str) for g in grams):  # type: ignore[attr-defined]  # checkpointed with string shingles
            state["grams"] = array("Q", map(gram_id, grams))  # type: ignore[call-overload]
        for name, value in state.items():
            setattr(self, name, value)


@dataclass
class _Lockstep:
    """The room's new long lines of the last LOCK_MS (`TemplatedChatDetector._log`), per account."""

    posts: deque[tuple[int, str, str, str]] = field(default_factory=deque)  # (ts, user, template, event id)
    logged: set[str] = field(default_factory=set)  # event ids in `posts`
    by_user: dict[str, list[int]] = field(default_factory=dict)  # user -> times of their posts
    repeaters: deque[tuple[int, str]] = field(default_factory=deque)  # (ts, user) of the last ACTIVE_MS
    own: dict[str, int] = field(default_factory=dict)  # group key -> its lines in `posts`
    last_check: int | None = None


@dataclass
class _ChatWindow:
    times: deque[int] = field(default_factory=deque)  # every comment of the last BURST_MS
    groups: list[_Group] = field(default_factory=list)  # groups posted within ACTIVE_MS
    index: _Index = field(default_factory=lambda: _Index())  # shingle -> active groups
    cues: deque[tuple[int, str]] = field(default_factory=deque)  # (ts, template of host speech)
    last_report: int | None = None
    seen: int = 0
    first_ts: int | None = None  # the earliest and latest comment times: the span of the room's history
    last_ts: int = 0
    history: dict[str, int] = field(default_factory=dict)  # template -> comments so far in the room
    # template -> the group `_group_of` found for it. That answer depends only on the template and the
    # index, so it holds until the index changes (a new group, or groups forgotten); not checkpointed.
    found: dict[str, _Group] = field(default_factory=dict)
    lock: _Lockstep = field(default_factory=_Lockstep)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["found"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state.setdefault("found", {})  # checkpoints from before the memo have none
        if isinstance(state["index"], dict):  # checkpoints from before: a list per shingle, maybe strings
            lists: dict[object, list[_Group]] = state["index"]
            state["index"] = _Index.from_lists({gram_id(g) if isinstance(g, str) else g: v for g, v in lists.items()})
        state.setdefault("lock", _Lockstep())  # nor those from before the lockstep rule
        self.__dict__.update(state)


@dataclass
class _Index:
    """Shingle -> the active groups having it, in the order they began. Most shingles of a room of
    distinct lines belong to one group: those map to the group itself (`solo`), the others to a list
    of two or more (`multi`); a shingle is in one of the two or in neither. One list per shingle was
    most of the detector's memory on rooms of distinct chat (a list weighs 72 bytes), and new
    shingles go in with one C call."""

    solo: dict[int, _Group] = field(default_factory=dict)
    multi: dict[int, list[_Group]] = field(default_factory=dict)

    @classmethod
    def from_lists(cls, lists: dict[object, list[_Group]]) -> _Index:
        """From shingle -> list of groups (checkpoints from before, tests)."""
        index = cls()
        for g, groups in lists.items():
            if len(groups) == 1:
                index.solo[g] = groups[0]  # type: ignore[index]
            elif groups:
                index.multi[g] = list(groups)  # type: ignore[index]
        return index

    def groups_of(self, gram: int) -> list[_Group]:
        one = self.solo.get(gram)
        return [one] if one is not None else self.multi.get(gram, [])

    def present(self, grams: frozenset[int]) -> tuple[set[int], set[int]]:
        """The shingles of `grams` some group has: those of one group, and those of several."""
        return self.solo.keys() & grams, self.multi.keys() & grams

    def add(self, group: _Group, grams: frozenset[int], present: tuple[set[int], set[int]] | None = None) -> None:
        """A new group; `present` is what `present(grams)` gave if the index has not changed since."""
        solo, multi = self.solo, self.multi
        shared, more = present or self.present(grams)
        for g in shared:
            multi[g] = [solo.pop(g), group]
        for g in more:
            multi[g].append(group)
        if shared or more:
            solo.update(dict.fromkeys(grams.difference(shared, more), group))
        else:
            solo.update(dict.fromkeys(grams, group))

    def drop(self, dead: list[_Group], live: set[_Group]) -> None:
        """Take the `dead` groups out; `live` is every group that stays."""
        solo, multi = self.solo, self.multi
        grams = set(chain.from_iterable(g.grams for g in dead))
        gone = set(dead)
        # shingles owned by one dead group, found and removed in C
        deque(map(solo.__delitem__, list(compress(grams, map(gone.__contains__, map(solo.get, grams))))), maxlen=0)
        for gram in multi.keys() & grams:
            kept = [g for g in multi[gram] if g in live]
            if len(kept) > 1:
                multi[gram] = kept
            else:
                del multi[gram]
                if kept:
                    solo[gram] = kept[0]


def _most_similar(
    grams: frozenset[int], index: _Index, min_similarity: float, present: tuple[set[int], set[int]] | None = None
) -> tuple[_Group | None, float]:
    """Of the TOP_GROUPS active groups sharing the most shingles with a line (ties: the group met
    first going through the line's shingles in sorted order and each shingle's groups in creation order), the one
    most similar (Jaccard; the first on a tie), and its similarity.

    Only a group sharing at least `min_similarity` (MIN_SIMILARITY) of the line's shingles can reach it,
    and those rank above all others, so only they are counted; each shares at least one of any
    len(grams) - need + 1 of the line's shingles, so they are gathered from the shingles with the
    fewest groups (prefix filtering): the common shingles of a long line, which every group has,
    are never walked. A winner below it is returned only when no group could reach it:
    the caller starts a new group either way."""
    n = len(grams)
    need = max(1, math.ceil(min_similarity * n) - 1)  # one below, against rounding: a wider net changes nothing
    solo, multi = index.solo, index.multi
    ones, many = present or index.present(grams)  # the line's shingles some group has: one group each, or several
    if len(ones) + len(many) < need:
        return None, 0.0  # no group can share `need` shingles (most distinct lines end here)
    lists = list(map(multi.__getitem__, many))
    if len(ones) + sum(map(len, lists)) <= COUNT_ALL * n:
        # Short lists: counting every group's shared shingles in C costs less than sorting the
        # line's shingles by list length; the groups that can reach `need` are the same either way.
        counts = Counter(map(solo.__getitem__, ones))
        counts.update(chain.from_iterable(lists))
        eligible = [(shared, c) for c, shared in counts.items() if shared >= need]
    else:
        sized = sorted((len(multi[g]) if g in many else 1 if g in ones else 0, g) for g in grams)
        seen: set[_Group] = set()
        for _, g in sized[: n - need + 1]:
            if g in many:
                seen.update(multi[g])
            elif g in ones:
                seen.add(solo[g])
        eligible = [(len(grams.intersection(c.grams)), c) for c in seen]
        eligible = [(shared, c) for shared, c in eligible if shared >= need]
    if not eligible:
        return None, 0.0
    order = _gram_order(grams)

    def met(item: tuple[int, _Group]) -> tuple[int, int, int]:
        shared, c = item
        first = min(grams.intersection(c.grams), key=order.__getitem__)
        return (-shared, order[first], multi[first].index(c) if first in many else 0)

    best, best_sim = None, 0.0
    for shared, c in sorted(eligible, key=met)[:TOP_GROUPS]:
        sim = shared / (n + len(c.grams) - shared)  # Jaccard: the union's size without building it
        if sim > best_sim:
            best, best_sim = c, sim
    return best, best_sim


def _gram_order(grams: frozenset[int]) -> dict[int, int]:
    """Each shingle's rank in sorted order: the order the groups are met in. Sorted, not the set's
    iteration order: a set of strings iterates by their hashes, which differ from one process to
    the next (PYTHONHASHSEED), and a tie must break the same way in the CLI, a service worker and a
    Spark executor."""
    return {g: i for i, g in enumerate(sorted(grams))}


class TemplatedChatDetector(TextDetector):
    id = "fraud.templated_chat"
    event_types = frozenset({"comment", "utterance"})
    RULES = (
        DetectorRule(
            id=id,
            title="模板化刷屏（水军） / templated chat from many accounts",
            category="fake_data",
            severity="low",
            confidence=0.7,
            legal_basis=("CN-LSM-18", "CN-ANC-14-25", "CN-AUCL-9", "US-465"),
            reads="the same templated lines (similar, not only equal) from many accounts within seconds, far above "
            "what the room's own chat history predicts and not answering a cue of the host's; or the same accounts "
            "posting the room's new lines together in two or more bursts (lockstep)",
            suggestion="核查这些账号的注册时间和行为；删除刷屏评论，不以水军营造抢购氛围。 / Check those accounts.",
        ),
    )

    def __init__(self, analyzer: TextAnalyzer | None = None, config: ChatConfig | None = None) -> None:
        self.analyzer = analyzer  # reads only the normalised text of the event's view
        self.config = config or ChatConfig()

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        cfg = self.config
        w: _ChatWindow | None = room.slots.get(self.id)
        if w is None:
            w = room.slots[self.id] = _ChatWindow()
        ts: int = event.ts
        if isinstance(event, Utterance):
            if event.speaker == "host":
                w.cues.append((ts, template(view.normalised)))
                while w.cues and ts - w.cues[0][0] > cfg.cue_ms:
                    w.cues.popleft()
            return ()
        text: str = event.text  # type: ignore[attr-defined]
        w.times.append(ts)  # every comment counts for the share
        while w.times and (ts - w.times[0] > cfg.burst_ms or len(w.times) > cfg.max_window):
            w.times.popleft()
        w.seen += 1
        w.first_ts = ts if w.first_ts is None else min(w.first_ts, ts)
        w.last_ts = max(w.last_ts, ts)
        if w.seen % 200 == 0:
            self._forget(w, ts)
        # A masked viewer (event.anonymous) cannot be told from any other: counted in the chat, not
        # as an account.
        key = template(view.normalised) if len(text) >= 2 and not event.anonymous else ""  # type: ignore[attr-defined]
        if weight(key) < cfg.min_template_weight:
            return ()
        before = w.history.get(key, 0)
        w.history[key] = before + 1
        if len(w.history) > cfg.max_templates:  # keep the most frequent half: the lines the room keeps repeating
            kept = sorted(w.history.items(), key=lambda kv: kv[1], reverse=True)[: cfg.max_templates // 2]
            w.history = dict(kept)
        group = self._group_of(w, key, ts, before)
        group.members.append((ts, event.user_id, event.id or ""))  # type: ignore[attr-defined]
        if group.count == 0 or ts - group.last_line > cfg.active_ms:
            group.run_start = ts
        group.last_line = max(group.last_line, ts)
        group.count += 1
        while group.members and ts - group.members[0][0] > cfg.burst_ms:
            group.members.popleft()
        found: list[Finding] = []
        if weight(key) >= cfg.long_line_weight and self._log(w, group, ts):
            found = self._judge_lockstep(event, room, w, ts)
        if found or len({u for _, u, _ in group.members}) < cfg.min_group_accounts:
            return found  # a finding begins when a line crosses its floor: only then are all groups judged
        return self._judge(event, room, w, ts)

    def _log(self, w: _ChatWindow, group: _Group, ts: int) -> bool:
        """Remember a long line while its group is new to the room: its current run of lines
        (no two ACTIVE_MS apart) began within the last ACTIVE_MS, it is at least HISTORY_FACTOR
        times what the room's history of it predicts (`_usual_apart`), and not what the host asked
        for; True when its account had posted such a line BURST_MS or more
        before: a candidate for lockstep."""
        cfg, lock = self.config, w.lock
        while lock.posts and (ts - lock.posts[0][0] > cfg.lock_ms or len(lock.posts) > cfg.max_lock_posts):
            t, u, k, eid = lock.posts.popleft()
            lock.logged.discard(eid)
            if lock.own.get(k, 0) > 1:
                lock.own[k] -= 1
            else:
                lock.own.pop(k, None)
            times = lock.by_user.get(u)
            if times is not None:
                if t in times:
                    times.remove(t)
                if not times:
                    del lock.by_user[u]
        members = group.members
        if ts - group.run_start > cfg.active_ms:
            return False  # the line has been said without a pause for longer than a burst lasts
        if len(members) < cfg.history_factor * self._usual_apart(w, group, ts):
            return False
        if _cued(group.key, [cue for _, cue in w.cues], cfg.min_similarity):
            return False
        repeater = False
        for t, u, eid in members:  # the group's earlier lines too, once it is new enough
            if not eid or eid in lock.logged:
                continue
            times = lock.by_user.setdefault(u, [])
            if any(abs(t - t0) >= cfg.burst_ms for t0 in times):
                lock.repeaters.append((t, u))
                repeater = True
            times.append(t)
            lock.posts.append((t, u, group.key, eid))
            lock.logged.add(eid)
            lock.own[group.key] = lock.own.get(group.key, 0) + 1
        while lock.repeaters and ts - lock.repeaters[0][0] > cfg.active_ms:
            lock.repeaters.popleft()
        return repeater

    def _usual_apart(self, w: _ChatWindow, group: _Group, ts: int) -> float:
        """What the room predicts for the group over BURST_MS, its bursts apart: the line's history
        without the lines already remembered as new (a ring's own earlier bursts would otherwise
        make its lines the room's usual ones), per BURST_MS or as a share of the chat of the last
        BURST_MS, or the group's own rate since it began (older than its last BURST_MS, over at least
        ACTIVE_MS), whichever is more. A line the room keeps saying is predicted by the group's own
        rate or by its history; a ring's line, silent between bursts, by neither."""
        cfg = self.config
        own = w.lock.own.get(group.key, 0)
        before = max(0, w.history.get(group.key, 0) - own - 1)
        elapsed = max(cfg.burst_ms, ts - (w.first_ts or ts))
        usual = max(before * cfg.burst_ms / elapsed, before / max(1, w.seen) * len(w.times))
        older = max(0, group.count - own - len(group.members))  # (a group is forgotten only now and then)
        life = older * cfg.burst_ms / max(cfg.active_ms, ts - group.born)
        return max(usual, life)

    def _judge_lockstep(self, event: EventBase, room: RoomState, w: _ChatWindow, ts: int) -> list[Finding]:
        """Accounts in lockstep (CopyCatch): MIN_LOCK_ACCOUNTS accounts that each posted a new line
        within the last ACTIVE_MS and another BURST_MS or more before it, every one of those lines
        similar to a line another of these accounts posted, over MIN_LOCK_LINES or more such lines.
        A ring posts its handful of lines again and again with the same accounts; viewers who say
        the same new thing at the same moment are different viewers the next time, and fans who ask
        their question again ask one question. No share of the room's chat is asked: a ring of
        twenty is a sliver of a large room's chat, but its accounts meet again."""
        cfg, lock = self.config, w.lock
        if w.last_report is not None and ts - w.last_report <= cfg.report_gap_ms:
            return []
        current = sorted({u for _, u in lock.repeaters})
        if len(current) < cfg.min_lock_accounts:
            return []
        members = set(current)
        posts = [p for p in lock.posts if p[1] in members]
        keys = sorted({p[2] for p in posts})
        family = _families(keys, cfg.min_similarity)
        while True:
            now: dict[str, list[tuple[int, str, str, str]]] = {}
            for p in posts:
                if p[1] in members:
                    now.setdefault(p[1], []).append(p)
            accounts_of: dict[int, set[str]] = {}
            for u, ps in now.items():
                for p in ps:
                    accounts_of.setdefault(family[p[2]], set()).add(u)
            kept = set()
            for u, ps in now.items():
                shared = [p for p in ps if len(accounts_of[family[p[2]]]) >= 2]
                latest = [p for p in shared if ts - p[0] <= cfg.active_ms]
                if latest and any(min(t for t, _, _, _ in latest) - p[0] >= cfg.burst_ms for p in shared):
                    kept.add(u)
            if kept == members:
                break
            members = kept
        sharers = Counter(f for f, _ in {(family[k], u) for _, u, k, _ in posts if u in members})
        script = {f for f, n in sharers.items() if n >= 2}  # the lines the ring's accounts share
        if len(members) < cfg.min_lock_accounts or len(script) < cfg.min_lock_lines:
            return []
        ring = sorted(p for p in posts if p[1] in members and family[p[2]] in script)
        lines = Counter(family[k] for _, _, k, _ in ring)
        first_key: dict[int, str] = {}
        for _, _, k, _ in ring:
            first_key.setdefault(family[k], k)
        templates = [first_key[f] for f, _ in sorted(lines.items(), key=lambda kv: (-kv[1], first_key[kv[0]]))]
        comments = [(t, u, eid) for t, u, _, eid in ring]
        start = comments[0][0]
        # the room's chat over the span, at its usual rate (the window of every comment is BURST_MS)
        history_ms = max(cfg.burst_ms, w.last_ts - (w.first_ts or w.last_ts))
        in_span = max(len(comments), round(w.seen * max(ts - start, 1_000) / history_ms))
        return self._report(event, room, w, ts, templates, sorted(members), comments, start, in_span, lockstep=True)

    def _group_of(self, w: _ChatWindow, key: str, ts: int, before: int) -> _Group:
        cfg = self.config
        known = w.found.get(key)
        if known is not None:
            return known
        grams = shingles(key)
        present = w.index.present(grams)
        best, best_sim = _most_similar(grams, w.index, cfg.min_similarity, present)
        if best is not None and best_sim >= cfg.min_similarity:
            if len(w.found) >= MAX_FOUND:
                w.found.clear()
            w.found[key] = best
            return best
        w.found.clear()  # the index changes: every remembered answer may too
        elapsed = max(cfg.burst_ms, ts - (w.first_ts or ts))  # the room's history before this group
        group = _Group(
            key,
            array("Q", grams),
            born=ts,
            usual=before * cfg.burst_ms / elapsed,
            seen_at_birth=w.seen,
            share_at_birth=before / w.seen if w.seen else 0.0,
        )
        w.groups.append(group)
        w.index.add(group, grams, present)
        return group

    def _forget(self, w: _ChatWindow, ts: int) -> None:
        """Drop groups nobody posted within ACTIVE_MS (bounded state in long, busy rooms)."""
        groups = [g for g in w.groups if g.members and ts - g.members[-1][0] <= self.config.active_ms]
        if len(groups) == len(w.groups):
            return  # nothing to forget: the index stays as it is
        live = set(groups)
        dead = [g for g in w.groups if g not in live]
        w.groups = groups
        w.index.drop(dead, live)  # only the shingles of forgotten groups change
        w.found.clear()

    def _judge(self, event: EventBase, room: RoomState, w: _ChatWindow, ts: int) -> list[Finding]:
        cfg = self.config
        if w.last_report is not None and ts - w.last_report <= cfg.report_gap_ms:
            return []
        young = w.last_ts - (w.first_ts or ts) < cfg.min_history_ms
        cued = [k for _, k in w.cues]
        bursting = []
        for g in w.groups:
            recent = [m for m in g.members if ts - m[0] <= cfg.burst_ms]
            users = {u for _, u, _ in recent}
            need = cfg.min_group_accounts if weight(g.key) >= cfg.long_line_weight else cfg.min_short_group_accounts
            if len(users) < need:
                continue
            span_chat = sum(1 for t in w.times if t >= recent[0][0])
            if len(recent) < cfg.history_factor * g.usual_before(
                recent[0][0], len(recent), w.seen, span_chat, cfg.burst_ms
            ):
                continue
            if any(g.key in cue or (len(cue) >= 2 and cue in g.key) for cue in cued):
                continue  # the host asked for this line
            bursting.append((g, recent))
        if young:
            # No history to compare with yet: only the unmistakable burst counts, one line from
            # MIN_ACCOUNTS accounts within YOUNG_BURST_MS making up YOUNG_SHARE of the chat.
            bursting = [
                (g, [m for m in recent if ts - m[0] <= cfg.young_burst_ms])
                for g, recent in bursting
                if len({u for t, u, _ in recent if ts - t <= cfg.young_burst_ms}) >= cfg.min_accounts
            ]
            bursting = sorted(bursting, key=lambda b: -len(b[1]))[:1]  # one line
        accounts = sorted({u for _, recent in bursting for _, u, _ in recent})
        if len(accounts) < cfg.min_accounts:
            return []
        comments = [m for _, recent in bursting for m in recent]
        start = min(t for t, _, _ in comments)
        in_span = sum(1 for t in w.times if t >= start)
        # Events out of time order (a replay, a disordered feed) can leave the burst's own lines
        # outside that count; they are comments of the span all the same (and never divide by 0).
        in_span = max(in_span, len(comments))
        if len(comments) < (cfg.young_share if young else cfg.min_share) * in_span:
            return []
        lines = [g.key for g, _ in sorted(bursting, key=lambda b: -len(b[1]))]
        lead, _ = max(bursting, key=lambda b: len(b[1]))
        usual = lead.usual_before(start, len(lead.members), w.seen, in_span, cfg.burst_ms)
        if young:
            return self._report(event, room, w, ts, lines, accounts, comments, start, in_span, usual)
        # A ring adds its lines on top of the room's chat; honest viewers who happen to say the same
        # things do not make the room chat more than it usually does.
        history_ms = max(cfg.min_history_ms, start - (w.first_ts or start))
        usual_in_span = (w.seen - in_span) / history_ms * max(ts - start, 1_000)
        if in_span - usual_in_span < cfg.extra_share * len(comments):
            return []
        return self._report(event, room, w, ts, lines, accounts, comments, start, in_span, usual)

    def _report(
        self,
        event: EventBase,
        room: RoomState,
        w: _ChatWindow,
        ts: int,
        lines: list[str],
        accounts: list[str],
        comments: list[tuple[int, str, str]],
        start: int,
        in_span: int,
        usual: float | None = None,
        lockstep: bool = False,
    ) -> list[Finding]:
        w.last_report = ts
        lead = lines[0]
        seconds = (ts - start) / 1000
        summary = (
            f"{len(comments)} comments of {len(lines)} templated line(s) from {len(accounts)} accounts in {seconds:g} s"
        )
        if lockstep:
            summary += " (the same accounts in two or more bursts)"
        facts: dict[str, object] = {
            "template": lead,
            "templates": lines[:10],
            "accounts": accounts[:50],
            "n_accounts": len(accounts),
            "comments": len(comments),
            "share_of_chat": round(len(comments) / in_span, 2),
        }
        if usual is not None:
            facts["usual_in_window"] = round(usual, 2)
        facts |= {"lockstep": lockstep, "window_start": format_ts(start), "window_end": format_ts(ts)}
        return [
            metric_finding(
                self.RULES[0],
                ev=event,
                room=room,
                ts_ms=ts,
                fingerprint=f"{lead}@{start}:{min(comments)[2]}",  # the burst's first comment
                summary=summary,
                event_ids=[eid for _, _, eid in sorted(comments)][:50],
                message=(
                    f"{len(accounts)} 个账号在 {seconds:g} 秒内发送 {len(lines)} 条相似模板的评论（如“{lead}”），"
                    f"疑似职业水军刷屏营造热度。 / {len(accounts)} accounts posted {len(lines)} templated line(s) "
                    f"within {seconds:g} s."
                ),
                facts=facts,
            )
        ]


def _cued(key: str, cues: list[str], min_similarity: float) -> bool:
    """Whether a line answers one of the host's recent lines: contained in it, containing it, or
    most of its shingles (`min_similarity` of them) in it (a fan's '家人们' before the slogan)."""
    grams = shingles(key)
    return any(
        key in cue or (len(cue) >= 2 and cue in key) or len(grams & shingles(cue)) >= min_similarity * len(grams)
        for cue in cues
    )


def _families(keys: list[str], min_similarity: float) -> dict[str, int]:
    """Each template's family: templates joined when their shingles' Jaccard similarity is at least
    `min_similarity`, transitively; a family is named by its first template in sorted order."""
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    grams = [shingles(k) for k in keys]
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            shared = len(grams[i] & grams[j])
            if shared and shared / (len(grams[i]) + len(grams[j]) - shared) >= min_similarity:
                a, b = root(i), root(j)
                parent[max(a, b)] = min(a, b)
    return {k: root(i) for i, k in enumerate(keys)}
