"""Faked viewer numbers seen in room statistics (taxonomy C5.1, issue #4).

Three signals, each judged against the room's own behaviour rather than fixed numbers alone:

- a step jump: the online count rises by at least 30% and 200 viewers between two samples while
  the room's enter events account for less than a tenth of the rise, in a room whose usual
  sample-to-sample change is an order of magnitude smaller (median absolute relative change);
- a frozen plateau: the online count stays at exactly the same value (>= 100) for at least 12
  samples spanning a minute or more, which organic audiences never do;
- a like burst: likes_total grows by more than 300 likes per viewer per minute (every viewer
  tapping five times a second for the whole interval) and 20 times the room's median rate;
- a ramp: over five minutes the online count grows by more than the room's enter events explain.
  A crowd cannot grow by more people than came in, but people also leave unseen, so growth minus
  entries is compared with the room's own history of it (median and median absolute deviation):
  at least 10% of the level and 100 viewers above the room's usual, and six deviations out. A feed
  that samples its enter events has a wider usual range and is judged against that; and since
  issue #16 the ramp also needs the room's engagement per viewer-minute (chat, follows, gifts,
  shares, likes) under 80% of its usual: newcomers a sampled feed did not announce still chat
  and like, bought viewers do not;
- an engagement drop, for rooms whose feed has no enter events: the online count rises by half
  or more over five minutes while interactions and likes per viewer-minute fall under a quarter of
  the room's own median;
- a surge (a change point in the room's own engagement per viewer): the online count multiplies
  (x1.4 and 30 viewers or more, the lowest count of the last two minutes against the median of the
  two minutes ending three minutes earlier) while the room's activity per minute (comments,
  follows, gifts, shares and likes, each room against its own rhythm; medians of the increments
  between samples, so one like storm or cue wave does not move them) rose by less than a third as
  much, short of keeping pace with the audience by more than four standard errors of those medians
  (taken from the room's own samples, so small rooms and batched likes need a clearer shortfall),
  and, in a feed that carries enter events, fewer people entered than half the growth.
  Honest surges (a recommendation wave, the stream's warm-up) bring chat and likes in proportion;
  bought viewers bring neither. Works with or without enter events;
- a silent audience (at the end of a scan, against the population): a room of 200+ viewers on
  average whose interactions (comments, follows, gifts, shares) per viewer-minute are under a tenth
  of the median room's, judged only when at least ten rooms of ten minutes or more were scanned.

Rooms without enter events are not judged on jumps (nothing to compare with). State per room is
bounded: the last samples' changes and the enter times of the last few minutes.
"""

from __future__ import annotations

import itertools
import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.metric import metric_finding
from clearlive.model.events import EventBase, RoomStats
from clearlive.model.findings import Finding

MIN_JUMP = 200
MIN_REL_JUMP = 0.30
MAX_ENTER_SHARE = 0.10
BASELINE_SAMPLES = 10  # changes seen before a room is judged
BASELINE_FACTOR = 8.0  # the jump must be this many times the room's median relative change
PLATEAU_SAMPLES = 12
PLATEAU_MIN_MS = 60_000
PLATEAU_MIN_ONLINE = 100
ENTER_MEMORY_MS = 600_000
LIKES_PER_VIEWER_MINUTE = 300.0
LIKE_BASELINE_FACTOR = 20.0
MIN_LIKE_BURST = 2000
RAMP_WINDOW_MS = 5 * 60_000
RAMP_MIN = 100  # unexplained viewers above the room's usual
RAMP_MIN_SHARE = 0.10  # the same as a share of the level five minutes earlier
RAMP_DEVIATIONS = 6.0
RAMP_ENGAGEMENT = 0.8  # a ramp also needs engagement per viewer under this share of the room's usual
RAMP_HISTORY = 30  # windows seen before a room is judged on ramps or engagement
WINDOW_STEP_MS = 10_000  # the five-minute window is sampled every 10 s, whatever the stats rate
STATS_REFRESH_MS = 60_000  # the room's usual is recomputed once a minute
ENGAGEMENT_MIN_GROWTH = 0.5
ENGAGEMENT_FACTOR = 0.25
POPULATION_MIN_ROOMS = 10  # rooms needed before "the median room" means something
POPULATION_MIN_MINUTES = 10
POPULATION_MIN_ONLINE = 200
POPULATION_FACTOR = 0.1  # a tenth of the median room's interactions per viewer-minute
SURGE_RATIO = 1.4  # the audience multiplies by at least this much
SURGE_MIN = 30  # and grows by at least this many viewers
SURGE_AFTER_MS = 120_000  # the raised level must hold for two minutes (its lowest sample counts)
SURGE_BEFORE_MS = (6 * 60_000, 3 * 60_000)  # the level before: samples from 6 to 3 minutes back
SURGE_ENGAGEMENT_SHARE = 1 / 3  # activity must rise by less than a third as much as the audience
SURGE_QUIET_MS = 10 * 60_000
SURGE_SIGNIFICANCE = 4.0  # the shortfall must be this many standard errors of the paces' medians
SURGE_ENTRY_SHARE = 0.5  # in a feed with enter events, entries explaining half the growth clear it


@dataclass
class _CurveState:
    last: tuple[int, int, str] | None = None  # (ts, online, event id)
    rel_changes: deque[float] = field(default_factory=lambda: deque(maxlen=300))
    enters: deque[int] = field(default_factory=deque)
    total_enters: int = 0
    first_ts: int | None = None
    run: list[tuple[int, str]] = field(default_factory=list)  # samples of the current equal-value run
    run_reported: bool = False
    last_likes: tuple[int, int, str] | None = None  # (ts, likes_total, event id)
    viewer_minutes: float = 0.0  # online x minutes, summed between samples
    samples: int = 0
    online_sum: int = 0
    last_stats_id: str = ""
    like_rates: deque[float] = field(default_factory=lambda: deque(maxlen=300))
    # (ts, online, enters so far, interactions + likes so far, event id) of the last five minutes
    window: deque[tuple[int, int, int, int, str]] = field(default_factory=deque)
    # (ts, unexplained growth share, engagement per viewer-minute) of each five-minute window, every
    # 10 s: the last five minutes' worth waits in `recent` until it may count towards the usual
    recent: deque[tuple[int, float, float]] = field(default_factory=deque)
    settled: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=180))
    usual: tuple[float, float, float] | None = None  # (median unexplained, its MAD, median engagement)
    usual_at: int = 0
    quiet_until: int = 0  # a window already reported is not reported again
    # (ts, online, activity so far, enters so far, event id) every 10 s over the last six minutes, for surges
    surge: deque[tuple[int, int, int, int, str]] = field(default_factory=deque)
    surge_quiet_until: int = 0


class ViewerCurveDetector(Detector):
    id = "fraud.viewers"
    event_types = frozenset({"room_stats", "enter"})

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        state: _CurveState = room.slots.setdefault(self.id, _CurveState())
        ts: int = event.ts
        if state.first_ts is None:
            state.first_ts = ts
        if not isinstance(event, RoomStats):
            state.enters.append(ts)
            state.total_enters += 1
            while state.enters and ts - state.enters[0] > ENTER_MEMORY_MS:
                state.enters.popleft()
            return ()
        out: list[Finding] = []
        online = event.online
        state.samples += 1
        state.online_sum += online
        state.last_stats_id = event.id or ""
        if state.last is not None:
            prev_ts, prev, prev_id = state.last
            state.viewer_minutes += prev * min(ts - prev_ts, 60_000) / 60_000
            out.extend(self._jump(event, room, state, prev_ts, prev, prev_id))
            state.rel_changes.append(abs(online - prev) / max(prev, 1))
        out.extend(self._plateau(event, room, state))
        if event.likes_total is not None:
            out.extend(self._likes(event, room, state))
        if not out:
            out.extend(self._window(event, room, state))
        if not out:
            out.extend(self._surge(event, room, state))
        state.last = (ts, online, event.id or "")
        return out

    def finish_all(self, rooms: dict[str, RoomState]) -> Iterable[Finding]:
        """Rooms whose audience does next to nothing, against the population of rooms scanned."""
        judged = []
        for room in rooms.values():
            state = room.slots.get(self.id)
            if state is None or state.samples < 2 or state.viewer_minutes <= 0 or state.last is None:
                continue
            minutes = (state.last[0] - (state.first_ts or state.last[0])) / 60_000
            if minutes < POPULATION_MIN_MINUTES:
                continue
            judged.append((room, state, room.interactions / state.viewer_minutes))
        if len(judged) < POPULATION_MIN_ROOMS:
            return ()  # too few rooms to know what a normal audience does
        typical = statistics.median(rate for _, _, rate in judged)
        out = []
        for room, state, rate in judged:
            average_online = state.online_sum / state.samples
            if average_online < POPULATION_MIN_ONLINE or rate >= POPULATION_FACTOR * typical:
                continue
            ev = RoomStats(
                room_id=room.room_id,
                ts=state.last[0],
                online=state.last[1],
                id=state.last_stats_id,
                session_id=room.session_id,
                anchor_id=room.anchor_id,
            )
            summary = (
                f"{room.interactions} interactions from {average_online:.0f} viewers on average: "
                f"{rate * 1000:.2f} per 1,000 viewer-minutes against {typical * 1000:.2f} in the median room"
            )
            out.append(
                _finding(
                    self.id + ".silent_audience",
                    "观众与互动严重不符 / an audience that does nothing",
                    ev,
                    room,
                    summary,
                    [state.last_stats_id],
                    f"该直播间平均在线 {average_online:.0f} 人，但每千人分钟互动 {rate * 1000:.2f} 次，"
                    f"不到同批直播间中位数（{typical * 1000:.2f}）的十分之一；疑似虚假观众。"
                    f" / {average_online:.0f} viewers on average but {rate * 1000:.2f} interactions per 1,000"
                    f" viewer-minutes, under a tenth of the median room ({typical * 1000:.2f}).",
                    {
                        "average_online": round(average_online),
                        "interactions": room.interactions,
                        "per_1000_viewer_minutes": round(rate * 1000, 3),
                        "population_median": round(typical * 1000, 3),
                        "rooms_compared": len(judged),
                    },
                )
            )
        return out

    def _likes(self, ev: RoomStats, room: RoomState, state: _CurveState) -> list[Finding]:
        ts: int = ev.ts
        likes: int = ev.likes_total  # type: ignore[assignment]
        previous, state.last_likes = state.last_likes, (ts, likes, ev.id or "")
        if previous is None or ts <= previous[0] or likes < previous[1]:
            return []
        added = likes - previous[1]
        minutes = (ts - previous[0]) / 60_000
        rate = added / max(ev.online, 1) / minutes
        enough_history = len(state.like_rates) >= BASELINE_SAMPLES
        if not enough_history or added < MIN_LIKE_BURST or rate < LIKES_PER_VIEWER_MINUTE:
            state.like_rates.append(rate)
            return []  # the cheap tests first: the median below sorts up to 300 numbers
        usual = statistics.median(state.like_rates)
        state.like_rates.append(rate)
        if rate < LIKE_BASELINE_FACTOR * max(usual, 0.01):
            return []
        summary = f"+{added} likes in {minutes * 60:g} s with {ev.online} online ({rate:.0f} per viewer per minute)"
        return [
            _finding(
                self.id + ".like_burst",
                "点赞量异常暴增 / like burst without the audience for it",
                ev,
                room,
                summary,
                [previous[2], ev.id or ""],
                f"{minutes * 60:g} 秒内点赞增加 {added}，在线 {ev.online} 人，相当于每人每分钟点赞 {rate:.0f} 次"
                f"（该直播间平时为 {usual:.1f} 次）。疑似刷赞。"
                f" / {added} likes in {minutes * 60:g} s from {ev.online} viewers: {rate:.0f} per viewer per minute"
                f" (the room's usual rate is {usual:.1f}).",
                {
                    "likes_added": added,
                    "seconds": minutes * 60,
                    "online": ev.online,
                    "likes_per_viewer_minute": round(rate, 1),
                    "usual_rate": round(usual, 2),
                },
            )
        ]

    def _jump(
        self, ev: RoomStats, room: RoomState, state: _CurveState, prev_ts: int, prev: int, prev_id: str
    ) -> list[Finding]:
        jump = ev.online - prev
        if jump < MIN_JUMP or jump < MIN_REL_JUMP * max(prev, 1) or len(state.rel_changes) < BASELINE_SAMPLES:
            return []
        minutes = max(1.0, (ev.ts - state.first_ts) / 60_000)  # type: ignore[operator]
        if state.total_enters / minutes < 1:
            return []  # the input carries (almost) no enter events: nothing to compare the jump with
        usual = statistics.median(state.rel_changes)
        if jump / max(prev, 1) < BASELINE_FACTOR * max(usual, 0.01):
            return []
        entered = sum(1 for t in state.enters if prev_ts < t <= ev.ts)
        if entered >= MAX_ENTER_SHARE * jump:
            return []
        seconds = (ev.ts - prev_ts) / 1000
        summary = f"online {prev} -> {ev.online} (+{jump}) in {seconds:g} s with {entered} entries"
        return [
            _finding(
                self.id + ".step_jump",
                "在线人数跳增而无对应进场 / online count jumps without entries",
                ev,
                room,
                summary,
                [prev_id, ev.id or ""],
                f"在线人数 {seconds:g} 秒内从 {prev} 增至 {ev.online}（+{jump}），同期只有 {entered} 人次进场；"
                f"该直播间平时相邻两次统计的变化中位数为 {usual:.1%}。疑似注入虚假观看人数。"
                f" / The online count rose by {jump} in {seconds:g} s with {entered} entries; the room usually moves "
                f"{usual:.1%} between samples.",
                {
                    "online_before": prev,
                    "online_after": ev.online,
                    "jump": jump,
                    "seconds": seconds,
                    "entries": entered,
                    "usual_relative_change": round(usual, 4),
                },
            )
        ]

    def _window(self, ev: RoomStats, room: RoomState, state: _CurveState) -> list[Finding]:
        """Growth over the last five minutes against the entries and the engagement that came with it."""
        ts: int = ev.ts
        if state.window and ts - state.window[-1][0] < WINDOW_STEP_MS:
            return []  # 1 Hz statistics are judged every 10 s: bounded state and time per room
        engaged = room.interactions + (ev.likes_total or 0)
        state.window.append((ts, ev.online, state.total_enters, engaged, ev.id or ""))
        while ts - state.window[0][0] > RAMP_WINDOW_MS:
            state.window.popleft()
        then_ts, then, enters_then, engaged_then, then_id = state.window[0]
        if ts - then_ts < RAMP_WINDOW_MS * 0.8:
            return []  # not five minutes of samples yet
        growth = ev.online - then
        entered = state.total_enters - enters_then
        unexplained = (growth - entered) / max(then, 1)
        minutes = (ts - then_ts) / 60_000
        rate = (engaged - engaged_then) / max(1.0, (ev.online + then) / 2 * minutes)
        # The room's usual is taken from windows that ended at least one window ago, so a slow ramp
        # does not become its own baseline.
        state.recent.append((ts, unexplained, rate))
        while state.recent and state.recent[0][0] <= ts - RAMP_WINDOW_MS:
            _, u, r = state.recent.popleft()
            state.settled.append((u, r))
        history = len(state.settled) >= RAMP_HISTORY
        if history and (state.usual is None or ts - state.usual_at >= STATS_REFRESH_MS):
            median_u = statistics.median(u for u, _ in state.settled)
            state.usual = (
                median_u,
                statistics.median(abs(u - median_u) for u, _ in state.settled),
                statistics.median(r for _, r in state.settled),
            )
            state.usual_at = ts
        typical_unexplained, spread, typical_rate = state.usual if history and state.usual else (0.0, 0.0, 0.0)
        if not history or ts < state.quiet_until:
            return []
        feed_has_enters = state.total_enters / max(1.0, (ts - state.first_ts) / 60_000) >= 1  # type: ignore[operator]
        ids = [then_id, ev.id or ""]
        facts: dict[str, object] = {
            "online_before": then,
            "online_after": ev.online,
            "growth": growth,
            "minutes": round(minutes, 1),
            "entries": entered,
        }
        if feed_has_enters:
            excess = unexplained - typical_unexplained
            if excess < RAMP_MIN_SHARE or excess * then < RAMP_MIN or excess < RAMP_DEVIATIONS * max(spread, 0.01):
                return []
            if typical_rate > 0 and rate >= RAMP_ENGAGEMENT * typical_rate:
                return []  # engagement per viewer held up: the newcomers are people (the feed samples enters)
            state.quiet_until = ts + RAMP_WINDOW_MS
            facts |= {
                "unexplained_share": round(unexplained, 3),
                "usual_unexplained_share": round(typical_unexplained, 4),
            }
            return [
                _finding(
                    self.id + ".ramp",
                    "在线人数增长超出进场人数 / the audience grows by more than the people who came in",
                    ev,
                    room,
                    f"online {then} -> {ev.online} in {minutes:.1f} min with {entered} entries: "
                    f"~{excess * then:.0f} unexplained viewers",
                    ids,
                    f"在线人数 {minutes:.1f} 分钟内从 {then} 变为 {ev.online}（{growth:+d}），同期 {entered} 人次进场；"
                    f"扣除该直播间平时的流失后，约 {excess * then:.0f} 人（在线人数的 {excess:.0%}）无从解释。"
                    "疑似逐步注入虚假观看人数。"
                    f" / The online count went from {then} to {ev.online} in {minutes:.1f} min with {entered} entries;"
                    f" after the room's usual departures about {excess * then:.0f} viewers ({excess:.0%})"
                    " are unexplained.",
                    facts,
                )
            ]
        if (
            growth < ENGAGEMENT_MIN_GROWTH * max(then, 1)
            or typical_rate <= 0
            or rate >= ENGAGEMENT_FACTOR * typical_rate
        ):
            return []
        state.quiet_until = ts + RAMP_WINDOW_MS
        facts |= {"engagement_per_viewer_minute": round(rate, 4), "usual_engagement": round(typical_rate, 4)}
        return [
            _finding(
                self.id + ".engagement_drop",
                "人数上涨而互动骤降 / more viewers, far less engagement",
                ev,
                room,
                f"online {then} -> {ev.online} in {minutes:.1f} min while engagement per viewer fell to "
                f"{rate / typical_rate:.0%} of the room's usual",
                ids,
                f"在线人数 {minutes:.1f} 分钟内从 {then} 增至 {ev.online}，"
                f"人均互动（评论、点赞、关注、礼物）却降到该直播间平时的 {rate / typical_rate:.0%}；"
                "新增的观众几乎不互动，疑似虚假观看人数。"
                f" / The online count rose from {then} to {ev.online} while interactions per viewer-minute fell to "
                f"{rate / typical_rate:.0%} of the room's usual.",
                facts,
            )
        ]

    def _surge(self, ev: RoomStats, room: RoomState, state: _CurveState) -> list[Finding]:
        """The audience multiplies while the room's activity per 10 seconds stays where it was."""
        ts: int = ev.ts
        if state.surge and ts - state.surge[-1][0] < WINDOW_STEP_MS:
            return []
        activity = room.interactions + (ev.likes_total or 0)
        state.surge.append((ts, ev.online, activity, state.total_enters, ev.id or ""))
        while ts - state.surge[0][0] > SURGE_BEFORE_MS[0]:
            state.surge.popleft()
        if ts < state.surge_quiet_until or ts - state.surge[0][0] < SURGE_BEFORE_MS[0] - WINDOW_STEP_MS:
            return []
        samples = list(state.surge)
        before = [s for s in samples if ts - s[0] >= SURGE_BEFORE_MS[1]]
        after = [s for s in samples if ts - s[0] <= SURGE_AFTER_MS]
        if len(before) < 3 or len(after) < 3:
            return []
        level_before = statistics.median(s[1] for s in before)
        level_after = min(s[1] for s in after)
        growth = level_after - level_before
        if growth < SURGE_MIN or level_after < SURGE_RATIO * max(level_before, 1):
            return []
        paces_before, paces_after = _paces(before), _paces(after)
        if not paces_before or not paces_after:
            return []
        pace_before, pace_after = statistics.median(paces_before), statistics.median(paces_after)
        audience_rise = level_after / max(level_before, 1) - 1
        if pace_before <= 0 or pace_after - pace_before > SURGE_ENGAGEMENT_SHARE * audience_rise * pace_before:
            return []  # activity rose with the audience: real people came
        # ... and it fell short of keeping pace with the audience by more than the room's own noise
        # (small rooms, likes sent in batches): the median's spread, from the room's own samples.
        spread = 1.4826 * statistics.median(abs(p - pace_before) for p in paces_before)
        noise = 1.25 * spread * (1 / len(paces_before) + 1 / len(paces_after)) ** 0.5 * (1 + audience_rise) ** 0.5
        if pace_before * (1 + audience_rise) - pace_after < SURGE_SIGNIFICANCE * noise:
            return []
        entered = state.total_enters - before[-1][3]
        if _feed_has_enters(state, ts) and entered >= SURGE_ENTRY_SHARE * growth:
            return []  # people came in (they may just be quiet)
        state.surge_quiet_until = ts + SURGE_QUIET_MS
        first = after[0]
        facts: dict[str, object] = {
            "online_before": round(level_before),
            "online_after": level_after,
            "audience_factor": round(level_after / max(level_before, 1), 2),
            "activity_per_minute_before": round(pace_before, 1),
            "activity_per_minute_after": round(pace_after, 1),
            "entries": entered,
        }
        return [
            _finding(
                self.id + ".surge",
                "观众倍增而互动未变 / the audience multiplied, its activity did not",
                ev,
                room,
                f"online {level_before:.0f} -> {level_after} (x{level_after / max(level_before, 1):.1f})"
                f" while activity went {pace_before:.0f} -> {pace_after:.0f} per minute",
                [before[-1][4], first[4], ev.id or ""],
                f"在线人数从约 {level_before:.0f} 增至 {level_after}（{level_after / max(level_before, 1):.1f} 倍），"
                f"而进场、评论、点赞等互动每分钟只从 {pace_before:.0f} 变为 {pace_after:.0f}；"
                "新增观众没有任何对应的行为，疑似购买的虚假观众。"
                f" / The online count went from about {level_before:.0f} to {level_after} while entries, chat and likes"
                f" per minute went from {pace_before:.0f} to {pace_after:.0f}.",
                facts,
            )
        ]

    def _plateau(self, ev: RoomStats, room: RoomState, state: _CurveState) -> list[Finding]:
        if state.last is not None and state.last[1] == ev.online:
            state.run.append((ev.ts, ev.id or ""))
        else:
            state.run = [(ev.ts, ev.id or "")]
            state.run_reported = False
        span = state.run[-1][0] - state.run[0][0]
        if (
            state.run_reported
            or len(state.run) < PLATEAU_SAMPLES
            or span < PLATEAU_MIN_MS
            or ev.online < PLATEAU_MIN_ONLINE
        ):
            return []
        state.run_reported = True
        summary = f"online frozen at {ev.online} for {len(state.run)} samples over {span // 1000} s"
        return [
            _finding(
                self.id + ".plateau",
                "在线人数长时间恒定 / online count frozen",
                ev,
                room,
                summary,
                [eid for _, eid in state.run][:50],
                f"在线人数连续 {len(state.run)} 次统计（{span // 1000} 秒）恒为 {ev.online}，"
                "真实观众不会如此；疑似虚假人数。"
                f" / The online count stayed at exactly {ev.online} for {span // 1000} s.",
                {"online": ev.online, "samples": len(state.run), "seconds": span // 1000},
            )
        ]


def _feed_has_enters(state: _CurveState, ts: int) -> bool:
    return state.total_enters / max(1.0, (ts - (state.first_ts or ts)) / 60_000) >= 1


def _paces(samples: list[tuple[int, int, int, int, str]]) -> list[float]:
    """Activity per minute between consecutive samples (their median is robust to one storm or wave)."""
    return [(b[2] - a[2]) * 60_000 / (b[0] - a[0]) for a, b in itertools.pairwise(samples) if b[0] > a[0]]


def _finding(
    rule_id: str,
    title: str,
    ev: RoomStats,
    room: RoomState,
    summary: str,
    event_ids: list[str],
    message: str,
    facts: dict[str, object],
) -> Finding:
    return metric_finding(
        rule_id=rule_id,
        title=title,
        severity="medium",
        confidence=0.7,
        ev=ev,
        room=room,
        ts_ms=ev.ts,
        fingerprint=ev.id or "",
        summary=summary,
        field="online",
        event_ids=event_ids,
        basis_ids=["CN-LSM-18", "CN-ANC-14-25", "CN-OTM-14", "US-465"],
        message=message,
        suggestion="核查该时段的流量来源和观众账号；如属刷量，剔除虚假数据。 / Audit that period's traffic sources.",
        facts=facts,
    )
