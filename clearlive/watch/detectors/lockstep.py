"""Lockstep accounts across rooms: CopyCatch (Beutel et al., WWW 2013), approximated with MinHash.

A bot farm's accounts act together: they enter, like, follow or gift in the same rooms at the
same times. Each account's activity becomes a set of (room, time bucket) tokens, on two grids offset by
half a bucket so that two actions a minute apart always share a token. Accounts active in at least
MIN_ROOMS rooms are MinHashed (datasketch) and paired through LSH; pairs whose token sets really
overlap (Jaccard >= MIN_JACCARD) are joined into groups. A group of at least MIN_USERS accounts
sharing at least MIN_ROOMS rooms at the same times is reported once, in the first shared room.

Needs every room, so it runs once at the end of a scan (finish_all); state is bounded per account.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clearlive.model.events import EventBase, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import event_ms, metric_finding

if TYPE_CHECKING:
    from datasketch import MinHash


@dataclass(frozen=True, slots=True)
class LockstepConfig:
    """The detector's thresholds, with the defaults the module docstring describes (in capitals);
    a scan passes its own through `ScanConfig.thresholds`."""

    bucket_ms: int = 10 * 60_000
    min_rooms: int = 3
    min_users: int = 5
    min_jaccard: float = 0.6
    max_tokens_per_user: int = 500
    max_users: int = 1_000_000
    num_perm: int = 64


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


class LockstepDetector(Detector):
    id = "fraud.lockstep"
    # Presence and endorsement actions, as in CopyCatch (page likes); comments are judged by the
    # templated-chat and fan-raid detectors, and leaving them out keeps this off the chat hot path.
    event_types = frozenset({"enter", "like", "gift", "follow", "share"})
    RULES = (
        DetectorRule(
            id="fraud.lockstep",
            title="同步行动的账号群（CopyCatch） / accounts acting in lockstep",
            category="fake_data",
            severity="low",
            confidence=0.7,
            legal_basis=("CN-LSM-18", "CN-ANC-14-25", "US-465"),
            evidence_field="accounts",
            reads="a group of accounts entering, liking, following or gifting in the same rooms at the same times "
            "(CopyCatch), over all rooms",
            suggestion="核查这些账号的设备和注册信息；剔除其带来的虚假人气。 / Check the accounts' devices.",
        ),
    )
    state_attrs = ("tokens", "first_seen", "rooms", "first_event", "last_ts")

    def __init__(self, config: LockstepConfig | None = None) -> None:
        self.config = config or LockstepConfig()
        self.tokens: dict[str, set[tuple[str, int, int]]] = {}  # accounts seen in two rooms or more
        self.first_seen: dict[str, tuple[str, int]] = {}  # every account's first (room, time)
        self.rooms: dict[str, set[str]] = defaultdict(set)
        self.first_event: dict[str, EventBase] = {}
        self.last_ts = 0

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        cfg = self.config
        user = getattr(event, "user_id", None)
        if not user or getattr(event, "anonymous", False):  # a masked viewer is nobody to follow across rooms
            return ()
        ts = event_ms(event)
        self.last_ts = max(self.last_ts, ts)
        self.first_event.setdefault(event.room_id, event)
        tokens = self.tokens.get(user)
        if tokens is None:
            # Most accounts are seen in one room only: remember just their first action, and build
            # a token set once they show up in a second room.
            first = self.first_seen.get(user)
            if first is None:
                if len(self.first_seen) < cfg.max_users:
                    self.first_seen[user] = (event.room_id, ts)
                return ()
            if first[0] == event.room_id or len(self.tokens) >= cfg.max_users:
                return ()
            tokens = self.tokens[user] = set()
            self._add(user, tokens, *first)
        if len(tokens) < cfg.max_tokens_per_user:
            self._add(user, tokens, event.room_id, ts)
        return ()

    def _add(self, user: str, tokens: set[tuple[str, int, int]], room_id: str, ts: int) -> None:
        cfg = self.config
        tokens.add((room_id, 0, ts // cfg.bucket_ms))
        tokens.add((room_id, 1, (ts + cfg.bucket_ms // 2) // cfg.bucket_ms))
        self.rooms[user].add(room_id)

    def finish_all(self, rooms: dict[str, RoomState]) -> Iterable[Finding]:
        cfg = self.config
        candidates = [u for u, r in self.rooms.items() if len(r) >= cfg.min_rooms]
        if len(candidates) < cfg.min_users:
            return ()
        # datasketch (and the SciPy it loads) only when there is something to pair: a scan's start-up
        # does not pay for it.
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=cfg.min_jaccard, num_perm=cfg.num_perm)
        sketches: dict[str, MinHash] = {}
        for u in candidates:
            m = MinHash(num_perm=cfg.num_perm, seed=1)
            m.update_batch([f"{room_id}|{grid}|{bucket}".encode() for room_id, grid, bucket in self.tokens[u]])
            sketches[u] = m
            lsh.insert(u, m)
        groups = _Union()
        for u in candidates:
            for v in lsh.query(sketches[u]):
                # Verify a candidate pair only if it would join two groups: a large group costs
                # one check per member, not one per pair.
                if (
                    v != u
                    and groups.find(u) != groups.find(v)
                    and _jaccard(self.tokens[u], self.tokens[v]) >= cfg.min_jaccard
                ):
                    groups.join(u, v)
        members: dict[str, list[str]] = defaultdict(list)
        for u in candidates:
            if u in groups.parent:
                members[groups.find(u)].append(u)
        out: list[Finding] = []
        for group in members.values():
            if len(group) < cfg.min_users:
                continue
            shared = Counter(t for u in group for t in self.tokens[u])
            together = {t for t, n in shared.items() if n >= 0.8 * len(group)}
            shared_rooms = sorted({room_id for room_id, _, _ in together})
            if len(shared_rooms) < cfg.min_rooms:
                continue
            out.append(self._finding(sorted(group), shared_rooms, rooms))
        return out

    def _finding(self, group: list[str], shared_rooms: list[str], rooms: dict[str, RoomState]) -> Finding:
        cfg = self.config
        ev = self.first_event[shared_rooms[0]]
        room = rooms.get(ev.room_id) or RoomState(ev.room_id)
        summary = f"{len(group)} accounts acting together in {len(shared_rooms)} rooms at the same times"
        return metric_finding(
            self.RULES[0],
            ev=ev,
            room=room,
            ts_ms=self.last_ts,
            fingerprint=",".join(group) + "|" + ",".join(shared_rooms),  # the accounts' shared actions
            summary=summary,
            event_ids=[],
            message=(
                f"{len(group)} 个账号在 {len(shared_rooms)} 个直播间的相同时段同步进场、点赞或评论，疑似同一控号团伙。"
                f" / {len(group)} accounts acted in the same {len(shared_rooms)} rooms at the same times."
            ),
            facts={
                "accounts": group[:100],
                "n_accounts": len(group),
                "rooms": shared_rooms,
                "bucket_minutes": cfg.bucket_ms // 60_000,
                "as_of": format_ts(self.last_ts),
            },
        )


def _jaccard(a: set[tuple[str, int, int]], b: set[tuple[str, int, int]]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
