"""Like farms seen account by account (taxonomy C5.1: 刷赞, fake like data).

A real client reports a viewer's taps in like events of a few to a dozen or so likes (the taps
of a moment), and a person taps a few times a second at most. A like farm sends hundreds per
event from a handful of accounts. Each room keeps, per account, its likes of the last minute and
the room's own usual rate per liker (the median over likers of likes per liker-minute); an
account is over the cap when its last minute holds more than ACCOUNT_CAP likes (five taps a
second, sustained for a whole minute), or one of its events carries EVENT_CAP likes or more
(hundreds of taps in one event: no hand, no client), and at least ROOM_FACTOR times the room's
usual. A finding
needs MIN_ACCOUNTS such accounts within FARM_WINDOW_MS, or one account at three times the cap:
one keen fan with fast thumbs is not a farm. One finding per room per FARM_WINDOW_MS.
State is bounded: the last minute of like events per account, and at most MAX_LIKERS accounts.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.model.events import EventBase, Like, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import event_ms, metric_finding

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class LikeConfig:
    """The detector's thresholds, with the defaults the module docstring describes (in capitals);
    a scan passes its own through `ScanConfig.thresholds`."""

    account_cap: int = 300  # likes in one minute from one account: five taps a second for the whole minute
    event_cap: int = 100  # likes in one event: clients report the taps of a moment, a dozen or so
    room_factor: float = 20.0  # and this many times the room's usual likes per liker-minute
    min_accounts: int = 2
    solo_factor: float = 3.0  # a single account needs three times the cap
    farm_window_ms: int = 5 * MINUTE_MS
    max_likers: int = 200_000
    usual_refresh: int = 500  # like events between recomputations of the room's usual rate


@dataclass
class _Likers:
    recent: dict[str, deque[tuple[int, int, str]]] = field(default_factory=dict)  # user -> (ts, count, event id)
    totals: dict[str, int] = field(default_factory=dict)  # user -> likes so far (for the usual rate)
    first: dict[str, int] = field(default_factory=dict)  # user -> first like ts
    over: dict[str, tuple[int, int, list[str]]] = field(default_factory=dict)  # user -> (ts, likes/min, ids)
    usual: float | None = None
    events: int = 0
    last_report: int | None = None


class LikeFarmDetector(Detector):
    id = "fraud.like_farm"
    event_types = frozenset({"like"})
    RULES = (
        DetectorRule(
            id=id,
            title="少数账号刷赞 / a handful of accounts sending machine-sized likes",
            category="fake_data",
            severity="medium",
            confidence=0.75,
            legal_basis=("CN-LSM-18", "CN-ANC-14-25", "CN-OTM-14", "US-465"),
            evidence_field="likes",
            reads="several accounts each sending more likes a minute than a hand can tap (or hundreds in one event), "
            "far above the room's usual per liker",
            suggestion="核查这些账号的设备与点赞来源，剔除虚假点赞数据。 / Audit these accounts' likes.",
        ),
    )

    def __init__(self, config: LikeConfig | None = None) -> None:
        self.config = config or LikeConfig()

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        cfg = self.config
        assert isinstance(event, Like)
        state: _Likers = room.slots.setdefault(self.id, _Likers())
        ts = event_ms(event)
        if event.anonymous:  # a masked viewer is nobody to count likes per account for
            return ()
        user, count = event.user_id, max(0, event.count)
        state.events += 1
        if user not in state.recent and len(state.recent) >= cfg.max_likers:
            return ()
        q = state.recent.setdefault(user, deque())
        q.append((ts, count, event.id or ""))
        while q and ts - q[0][0] >= MINUTE_MS:
            q.popleft()
        state.totals[user] = state.totals.get(user, 0) + count
        state.first.setdefault(user, ts)
        if state.usual is None or state.events % cfg.usual_refresh == 0:
            state.usual = self._usual(state, ts)
        in_minute = sum(c for _, c, _ in q)
        machine_sized = count >= cfg.event_cap  # no client batches that many taps into one event
        if (in_minute <= cfg.account_cap and not machine_sized) or in_minute < cfg.room_factor * state.usual:
            return ()
        state.over[user] = (ts, in_minute, [eid for _, _, eid in q])
        state.over = {u: v for u, v in state.over.items() if ts - v[0] <= cfg.farm_window_ms}
        if state.last_report is not None and ts - state.last_report < cfg.farm_window_ms:
            return ()
        farm = sorted(state.over)
        if len(farm) < cfg.min_accounts and max(v[1] for v in state.over.values()) < cfg.solo_factor * cfg.account_cap:
            return ()
        state.last_report = ts
        return [self._finding(event, room, state, farm)]

    @staticmethod
    def _usual(state: _Likers, ts: int) -> float:
        """Median likes per liker-minute over the room's likers (each seen for at least a minute)."""
        rates = [total / max(1.0, (ts - state.first[u]) / MINUTE_MS) for u, total in state.totals.items()]
        return statistics.median(rates) if rates else 0.0

    def _finding(self, ev: Like, room: RoomState, state: _Likers, farm: list[str]) -> Finding:
        cfg = self.config
        ts = event_ms(ev)
        per_account = {u: state.over[u][1] for u in farm}
        likes = sum(per_account.values())
        start = min(state.over[u][0] for u in farm)
        ids = [eid for u in farm for eid in state.over[u][2]][:50]
        usual = state.usual or 0.0
        summary = (
            f"{likes} likes in a minute each from {len(farm)} accounts (room's usual {usual:.1f} per liker-minute)"
        )
        return metric_finding(
            self.RULES[0],
            ev=ev,
            room=room,
            ts_ms=ts,
            fingerprint=f"{','.join(farm[:20])}@{start}:{ids[0] if ids else ''}",  # the accounts and first event
            summary=summary,
            event_ids=ids,
            message=(
                f"{len(farm)} 个账号在一分钟内各点赞 {min(per_account.values())} 次以上"
                f"（该直播间每位点赞用户平时每分钟 "
                f"{usual:.1f} 次），超出人手点击的极限，疑似刷赞。 / {len(farm)} accounts each sent over "
                f"{min(per_account.values())} likes within a minute, beyond what a hand can tap; the room's usual is "
                f"{usual:.1f} per liker-minute."
            ),
            facts={
                "accounts": farm[:50],
                "n_accounts": len(farm),
                "likes_per_minute": dict(sorted(per_account.items())[:50]),
                "usual_per_liker_minute": round(usual, 2),
                "cap_per_minute": cfg.account_cap,
                "window_start": format_ts(start),
                "window_end": format_ts(ts),
            },
        )
