"""Fan raids (拉踩引战 seen from the victim's side, taxonomy C4.2, issue #4 item 4).

When a host calls viewers to go after another room (a rule tagged `raid_call` fires in host
speech), this detector watches where that room's recent viewers turn up next. If, within ten
minutes of the call, at least five of them post hostile comments (abuse or provocation rules, or
the accusations of `hostility.yaml`), or the same line spammed by three or more of them, in one
other room, both rooms get a finding:
`provocation` in the caller's room, and in the target's `abuse` (or `fake_data` when the raid was
only templated spam), each naming the other room, the call and the raiders.

Hosts rarely say "raid": they send fans to "show" another room ("去他直播间给他们show一下", "go
show them who we are"). So besides the tagged rules, any host line that sends the audience
somewhere (`_SEND`: 去/到/冲 + 直播间/那边/评论区, show/秀一下, go/head over to, @room) opens a
call too. Such a line alone is never a finding: friendly cross-promotion says the same; what
makes it a raid is the movement of the audience (five or more of the caller's recent viewers
acting together in one other room, with hostile words or the same lines, grouped by shingle
similarity (stricter than botchat's) so that varied copies count as one line, unless the target room's own
viewers say much the same: most of the line's character shingles are common in its chat).

It is the one detector that needs to see more than one room: it keeps who was active where in the
last 30 minutes (bounded by MAX_USERS). In-process that is the detector's own memory; a sharded
service must route these events to one place or keep this state in the shared store.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.checkpointing import LayeredMap
from clearlive.model.events import Comment, EventBase, Utterance, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.botchat import MIN_TEMPLATE_CHARS, gram_id, shingles, template
from clearlive.watch.detectors.declared import Case, DetectorRule
from clearlive.watch.detectors.hostility import hostility
from clearlive.watch.detectors.metric import event_ms, metric_finding
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView

HOSTILE = frozenset({"abuse", "provocation"})


def _as_id(gram: int | str) -> int:
    return gram_id(gram) if isinstance(gram, str) else gram


class RoomGrams:
    """A room's shingles (`botchat.gram_id`) and in how many of its lines each was, counted up to 2
    (all `_usual_line` asks). Recent lines' shingles wait in a small Counter; every PENDING of them
    they are merged into two sorted numpy arrays (8 bytes and 1 byte a shingle), where a Counter of
    every shingle a room ever said took an int object and a dict entry each: a third of a scan's
    memory on rooms of distinct chat. `len` is the number of distinct shingles, as the Counter's was."""

    PENDING = 2048

    def __init__(self) -> None:
        import numpy as np

        self.keys = np.empty(0, dtype=np.uint64)
        self.counts = np.empty(0, dtype=np.uint8)
        self.pending: Counter[int] = Counter()

    def __getstate__(self) -> tuple[bytes, bytes, dict[int, int]]:
        # byte strings and a plain dict: thousands of rooms' numpy arrays pickled as objects cost
        # more than the Counters did on short chat (the cross lane's checkpoint, docs/performance.md)
        return self.keys.tobytes(), self.counts.tobytes(), dict(self.pending)

    def __setstate__(self, state: tuple[bytes, bytes, dict[int, int]]) -> None:
        import numpy as np

        self.keys = np.frombuffer(state[0], dtype=np.uint64).copy()
        self.counts = np.frombuffer(state[1], dtype=np.uint8).copy()
        self.pending = Counter(state[2])

    def most(self) -> int:
        """At least `len`, without merging."""
        return len(self.keys) + len(self.pending)

    def __len__(self) -> int:
        self.merge()
        return len(self.keys)

    def clear(self) -> None:
        self.keys = self.keys[:0]
        self.counts = self.counts[:0]
        self.pending.clear()

    def add(self, grams: Iterable[int]) -> None:
        """One line's shingles, each once."""
        self.pending.update(grams)
        if len(self.pending) > self.PENDING:
            self.merge()

    def merge(self) -> None:
        if not self.pending:
            return
        import numpy as np

        new = np.fromiter(self.pending.keys(), dtype=np.uint64, count=len(self.pending))
        add = np.fromiter(self.pending.values(), dtype=np.int64, count=len(self.pending))
        self.pending.clear()
        order = np.argsort(new)
        new, add = new[order], add[order]
        at = np.searchsorted(self.keys, new)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == new[found]
        counts = self.counts.astype(np.int64)
        np.add.at(counts, at[found], add[found])
        counts = np.minimum(counts, 2).astype(np.uint8)
        fresh = ~found
        self.keys = np.insert(self.keys, at[fresh], new[fresh])
        self.counts = np.insert(counts, at[fresh], np.minimum(add[fresh], 2).astype(np.uint8))

    def common(self, grams: frozenset[int]) -> int:
        """How many of `grams` were in two or more lines."""
        import numpy as np

        ids = np.fromiter(grams, dtype=np.uint64, count=len(grams))
        at = np.searchsorted(self.keys, ids)
        counts = np.zeros(len(ids), dtype=np.int64)
        inside = at < len(self.keys)
        hit = inside.copy()
        hit[inside] = self.keys[at[inside]] == ids[inside]
        counts[hit] = self.counts[at[hit]]
        pending = self.pending
        if pending:
            counts += np.fromiter((pending[g] for g in grams), dtype=np.int64, count=len(grams))
        return int((counts >= 2).sum())

    @classmethod
    def from_counter(cls, counts: Counter[int] | Counter[str]) -> RoomGrams:
        """From a Counter of a checkpoint made before (maybe of string shingles)."""
        grams = cls()
        grams.pending = Counter({_as_id(g): n for g, n in counts.items()})
        grams.merge()
        return grams


@dataclass(frozen=True, slots=True)
class RaidConfig:
    """The detector's thresholds, with the defaults the module docstring describes; a scan passes
    its own through `ScanConfig.thresholds`."""

    active_ms: int = 30 * 60_000  # a viewer "belongs" to a room they were active in within this time
    raid_window_ms: int = 10 * 60_000  # how long after the call raiders are counted
    min_raiders: int = 5
    min_templated: int = 3  # the same line from this many of the caller's viewers counts as raiding
    max_users: int = 1_000_000
    max_room_grams: int = 200_000
    # Stricter than botchat's grouping: visitors asking the usual questions in their own words
    # ('请问什么时候发货' / '宝宝什么时候发货呀') are not one line.
    same_line_similarity: float = 0.7
    usual_line_share: float = 0.5


# A host line sending the audience somewhere: the call is weak evidence until the audience moves.
_SEND = re.compile(
    r"(?:去|到|冲|过去|杀到|进)[^，。！？,.!?]{0,12}(?:直播间|那边|那里|评论区|主页|家)"
    r"|(?:show|秀)一下|show\s*(?:them|him|her|some)"
    r"|(?<![a-z])(?:go|head|hop|swing)\s+(?:over\s+)?(?:to|into)\s+\S+"
    r"|@\w+",
    re.IGNORECASE,
)


@dataclass
class _Call:
    room_id: str
    ts: int
    event_id: str
    quote: str
    room: RoomState
    raiders: dict[str, dict[str, str]] = field(default_factory=dict)  # target room -> user -> comment id
    templates: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (room, template) -> users
    templated: set[str] = field(default_factory=set)  # target rooms where raiders posted the same line
    reported: set[str] = field(default_factory=set)


class FanRaidDetector(TextDetector):
    id = "fraud.fan_raid"
    event_types = frozenset({"utterance", "comment", "enter", "like", "gift", "follow", "share"})
    RULES = (
        CALLER := DetectorRule(
            id=id + ".caller",
            title="号召粉丝冲击他人直播间（已发生） / a fan raid the host called",
            category="provocation",
            severity="high",
            confidence=0.8,
            legal_basis=("CN-ANC-14-24", "CN-CAC-2024", "CN-LSM-18"),
            reads="a host sending viewers to another room, after which five or more of them post hostile comments "
            "(or the same lines) there within ten minutes: the caller's room",
            suggestion="停止号召粉丝针对他人；平台可限制该直播间的互动功能。 / Stop directing viewers at others.",
        ),
        TARGET := DetectorRule(
            id=id + ".target",
            title="遭遇粉丝冲击（引战） / a fan raid from another room",
            category="abuse",
            severity="medium",
            confidence=0.8,
            legal_basis=("CN-ANC-14-24", "CN-CAC-2024", "CN-LSM-18"),
            cases={"spam": Case(category="fake_data")},  # the raiders only spammed the same lines
            reads="the same raid seen from the room it targeted",
            suggestion="批量处置这些账号的评论，保全证据。 / Moderate these accounts' comments together.",
        ),
    )
    state_attrs = ("seen", "calls", "room_grams")

    def __init__(self, analyzer: TextAnalyzer | None = None, config: RaidConfig | None = None) -> None:
        self.analyzer = analyzer  # the view's rule matches name hostile lines and raid calls
        self.config = config or RaidConfig()
        # user -> (room, last active, came from, left at); layered, so that a checkpoint pickles the
        # viewers seen since the last merge, not all of them (a checkpoint from before holds a dict,
        # which answers the same calls)
        self.seen: LayeredMap[str, tuple[str, int, str, int]] = LayeredMap()
        self.calls: list[_Call] = []
        # per room, the character shingles (`botchat.gram_id`) of its own viewers' chat: what the room usually says
        self.room_grams = {}
        self._callers_of: list[_Call] | None = None  # the calls list the set below was made from
        self._callers: set[str] = set()
        self._callers_n = 0

    @property
    def room_grams(self) -> dict[str, RoomGrams]:
        return self._room_grams

    @room_grams.setter
    def room_grams(self, value: dict[str, RoomGrams]) -> None:
        # a checkpoint from before holds a Counter per room (maybe of string shingles)
        self._room_grams = {r: c if isinstance(c, RoomGrams) else RoomGrams.from_counter(c) for r, c in value.items()}

    def _calling_rooms(self) -> set[str]:
        """Rooms with an open call. `calls` only grows by appending or is replaced by a new list,
        so the same list at the same length holds the same calls."""
        calls = self.calls
        if self._callers_of is not calls or self._callers_n != len(calls):
            self._callers_of, self._callers_n = calls, len(calls)
            self._callers = {c.room_id for c in calls}
        return self._callers

    def _remember(self, ev: Comment, normalised: str) -> None:
        grams = self.room_grams.get(ev.room_id)
        if grams is None:
            grams = self.room_grams[ev.room_id] = RoomGrams()
        if grams.most() > self.config.max_room_grams and len(grams) > self.config.max_room_grams:
            grams.clear()  # rare: a room with that much varied chat starts its memory again
        grams.add(shingles(template(normalised)))

    def _usual_line(self, room_id: str, key: str) -> bool:
        """Most of the line's shingles are common in the room's own chat: its viewers say it too."""
        grams = shingles(key)
        common = self.room_grams.get(room_id)
        shared = common.common(grams) if common is not None else 0
        return shared >= self.config.usual_line_share * len(grams)

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        ts: int = event.ts
        if self.calls and ts - self.calls[0].ts > self.config.raid_window_ms:
            self.calls = [c for c in self.calls if ts - c.ts <= self.config.raid_window_ms]
        if isinstance(event, Utterance):
            quotes = [event.text[m.start : m.end] for m in view.matches if "raid_call" in m.rule.spec.tags]
            if not quotes and event.speaker == "host" and _SEND.search(event.text):
                quotes = [event.text[:200]]  # the whole line: its words are the evidence of the call
            for quote in sorted(quotes, key=len, reverse=True)[:1]:  # one call per line: the fullest quote
                self.calls.append(_Call(event.room_id, ts, event.id or "", quote, room))
            return ()
        user = getattr(event, "user_id", None)
        if not user or getattr(event, "anonymous", False):  # a masked viewer is nobody to follow across rooms
            return ()
        out: list[Finding] = []
        # Where the user is now and the room they came from: raiders enter the target before they
        # post there, so the room a comment is judged against is the one they were in before.
        here = event.room_id
        previous = self.seen.get(user)
        if previous is None:
            entry = (here, ts, "", 0)
        elif previous[0] == here:
            entry = (here, ts, *previous[2:]) if len(previous) == 4 else (here, ts, "", 0)
        else:
            entry = (here, ts, previous[0], previous[1])
        if isinstance(event, Comment):
            if entry[2] and entry[2] in self._calling_rooms():
                out.extend(self._maybe_raider(event, room, user, (entry[2], entry[3]), ts, view))
            else:
                self._remember(event, view.normalised)
        self.seen[user] = entry
        if len(self.seen) > self.config.max_users:  # rare: forget everyone not active within the window
            self.seen = LayeredMap({u: v for u, v in self.seen.items() if ts - v[1] <= self.config.active_ms})
        return out

    def _maybe_raider(
        self, ev: Comment, room: RoomState, user: str, previous: tuple[str, int], ts: int, view: TextView
    ) -> list[Finding]:
        from_room, last_active = previous
        if ts - last_active > self.config.active_ms:
            return []
        calls = [c for c in self.calls if c.room_id == from_room and c.ts <= ts]
        if not calls:
            return []
        normalised = view.normalised
        hostile = any(m.rule.spec.category in HOSTILE for m in view.matches) or bool(hostility().terms_in(normalised))
        key = "" if hostile else template(normalised)
        if not hostile and len(key) < MIN_TEMPLATE_CHARS:
            return []
        out: list[Finding] = []
        for call in calls:
            raiders = call.raiders.setdefault(ev.room_id, {})
            if hostile:
                raiders[user] = ev.id or ""
            elif not self._usual_line(ev.room_id, key):
                # The same line from several of the caller's viewers is spam, even when polite;
                # varied copies ('我们家主播最好' / '我们家主播最好哈哈') are the same line. Lines
                # the room's own viewers say too (questions about the product) are not.
                grams = shingles(key)
                similar = self.config.same_line_similarity
                for room_id, known in call.templates:
                    other = shingles(known)
                    if room_id == ev.room_id and len(grams & other) >= similar * len(grams | other):
                        key = known
                        break
                same = call.templates.setdefault((ev.room_id, key), {})
                same[user] = ev.id or ""
                if len(same) >= self.config.min_templated:
                    raiders.update(same)
                    call.templated.add(ev.room_id)
            if len(raiders) >= self.config.min_raiders and ev.room_id not in call.reported:
                call.reported.add(ev.room_id)
                out.extend(self._findings(call, ev, room, raiders))
        return out

    def _findings(self, call: _Call, ev: Comment, target_room: RoomState, raiders: dict[str, str]) -> list[Finding]:
        target = ev.room_id
        templated_users = {u for (room_id, _), users in call.templates.items() if room_id == target for u in users}
        hostile_any = any(u not in templated_users for u in raiders)
        minutes = (ev.ts - call.ts) / 60_000
        users = sorted(raiders)
        facts: dict[str, object] = {
            "caller_room": call.room_id,
            "target_room": target,
            "call": call.quote,
            "call_ts": format_ts(call.ts),
            "raiders": users[:50],
            "n_raiders": len(users),
            "minutes_after_call": round(minutes, 1),
        }
        summary = (
            f"{len(users)} viewers of {call.room_id} posted hostile comments in {target} "
            f"{minutes:.0f} min after the call"
        )
        caller_room = call.room
        caller_event = Utterance(
            room_id=call.room_id,
            ts=call.ts,
            id=call.event_id,
            text=call.quote,
            session_id=caller_room.session_id,
            anchor_id=caller_room.anchor_id,
        )
        return [
            metric_finding(
                self.CALLER,
                ev=caller_event,
                room=caller_room,
                ts_ms=event_ms(ev),
                fingerprint=f"{call.event_id}->{target}",
                summary=summary,
                event_ids=[call.event_id, *list(raiders.values())[:49]],
                message=f"主播号召后 {minutes:.0f} 分钟内，本直播间的 {len(users)} 名观众"
                f"在直播间 {target} 发布攻击性评论。"
                f" / After the host's call, {len(users)} viewers of this room attacked room {target}.",
                facts=facts,
            ),
            metric_finding(
                self.TARGET,
                case="spam" if target in call.templated and not hostile_any else None,
                ev=ev,
                room=target_room,
                ts_ms=event_ms(ev),
                fingerprint=f"{call.event_id}->{target}",
                summary=summary,
                event_ids=list(raiders.values())[:50],
                message=f"{len(users)} 名来自直播间 {call.room_id} 的观众在其主播号召后集中发布攻击性评论。"
                f" / {len(users)} viewers from room {call.room_id} arrived after their host's call and attacked.",
                facts=facts,
            ),
        ]
