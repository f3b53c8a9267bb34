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

from clearlive.model.events import EventBase, RoomStats
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import event_ms, metric_finding


@dataclass(frozen=True, slots=True)
class ViewerConfig:
    """The detector's thresholds, with the defaults the module docstring describes; a scan passes
    its own through `ScanConfig.thresholds`."""

    min_jump: int = 200  # a step jump adds at least this many viewers ...
    min_rel_jump: float = 0.30  # ... and this share of the count before it
    max_enter_share: float = 0.10  # with entries explaining less than this share of it
    baseline_samples: int = 10  # changes seen before a room is judged
    baseline_factor: float = 8.0  # the jump must be this many times the room's median relative change
    plateau_samples: int = 12
    plateau_min_ms: int = 60_000
    plateau_min_online: int = 100
    enter_memory_ms: int = 600_000
    likes_per_viewer_minute: float = 300.0
    like_baseline_factor: float = 20.0
    min_like_burst: int = 2000
    ramp_window_ms: int = 5 * 60_000
    ramp_min: int = 100  # unexplained viewers above the room's usual
    ramp_min_share: float = 0.10  # the same as a share of the level five minutes earlier
    ramp_deviations: float = 6.0
    ramp_engagement: float = 0.8  # a ramp also needs engagement per viewer under this share of the room's usual
    ramp_history: int = 30  # windows seen before a room is judged on ramps or engagement
    window_step_ms: int = 10_000  # the five-minute window is sampled every 10 s, whatever the stats rate
    stats_refresh_ms: int = 60_000  # the room's usual is recomputed once a minute
    engagement_min_growth: float = 0.5
    engagement_factor: float = 0.25
    population_min_rooms: int = 10  # rooms needed before "the median room" means something
    population_min_minutes: int = 10
    population_min_online: int = 200
    population_factor: float = 0.1  # a tenth of the median room's interactions per viewer-minute
    surge_ratio: float = 1.4  # the audience multiplies by at least this much
    surge_min: int = 30  # and grows by at least this many viewers
    surge_after_ms: int = 120_000  # the raised level must hold for two minutes (its lowest sample counts)
    surge_before_ms: tuple[int, int] = (6 * 60_000, 3 * 60_000)  # the level before: samples from 6 to 3 minutes back
    surge_engagement_share: float = 1 / 3  # activity must rise by less than a third as much as the audience
    surge_quiet_ms: int = 10 * 60_000
    surge_significance: float = 4.0  # the shortfall must be this many standard errors of the paces' medians
    surge_entry_share: float = 0.5  # in a feed with enter events, entries explaining half the growth clear it


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


def _viewer_rule(name: str, title: str, reads: str) -> DetectorRule:
    return DetectorRule(
        id=f"fraud.viewers.{name}",
        title=title,
        category="fake_data",
        severity="medium",
        confidence=0.7,
        legal_basis=("CN-LSM-18", "CN-ANC-14-25", "CN-OTM-14", "US-465"),
        evidence_field="online",
        reads=reads,
        suggestion="核查该时段的流量来源和观众账号；如属刷量，剔除虚假数据。 / Audit that period's traffic sources.",
    )


STEP_JUMP = _viewer_rule(
    "step_jump",
    "在线人数跳增而无对应进场 / online count jumps without entries",
    "the online count rising by 30% and 200 viewers between two samples with entries explaining under a tenth "
    "of it, in a room whose usual change is far smaller",
)
PLATEAU = _viewer_rule(
    "plateau",
    "在线人数长时间恒定 / online count frozen",
    "the online count (100 or more) exactly the same for 12 samples spanning a minute or more",
)
LIKE_BURST = _viewer_rule(
    "like_burst",
    "点赞量异常暴增 / like burst without the audience for it",
    "likes_total growing by more than 300 likes per viewer per minute and 20 times the room's usual rate",
)
RAMP = _viewer_rule(
    "ramp",
    "在线人数增长超出进场人数 / the audience grows by more than the people who came in",
    "five minutes' growth of the online count beyond the entries, far outside the room's own history, while "
    "engagement per viewer falls",
)
ENGAGEMENT_DROP = _viewer_rule(
    "engagement_drop",
    "人数上涨而互动骤降 / more viewers, far less engagement",
    "in a feed without enter events, the online count up by half over five minutes while engagement per "
    "viewer-minute falls under a quarter of the room's usual",
)
SURGE = _viewer_rule(
    "surge",
    "观众倍增而互动未变 / the audience multiplied, its activity did not",
    "the audience multiplying (x1.4 and 30 viewers) while the room's activity per minute stays where it was",
)
SILENT_AUDIENCE = _viewer_rule(
    "silent_audience",
    "观众与互动严重不符 / an audience that does nothing",
    "at the end of a scan of ten rooms or more: a room of 200+ viewers whose interactions per viewer-minute are "
    "under a tenth of the median room's",
)


class ViewerCurveDetector(Detector):
    id = "fraud.viewers"
    event_types = frozenset({"room_stats", "enter"})
    RULES = (STEP_JUMP, PLATEAU, LIKE_BURST, RAMP, ENGAGEMENT_DROP, SURGE, SILENT_AUDIENCE)

    def __init__(self, config: ViewerConfig | None = None) -> None:
        self.config = config or ViewerConfig()

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        c = self.config
        state: _CurveState = room.slots.setdefault(self.id, _CurveState())
        ts = event_ms(event)
        if state.first_ts is None:
            state.first_ts = ts
        if not isinstance(event, RoomStats):
            state.enters.append(ts)
            state.total_enters += 1
            while state.enters and ts - state.enters[0] > c.enter_memory_ms:
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
        c = self.config
        judged = []
        for room in rooms.values():
            state = room.slots.get(self.id)
            if state is None or state.samples < 2 or state.viewer_minutes <= 0 or state.last is None:
                continue
            minutes = (state.last[0] - (state.first_ts or state.last[0])) / 60_000
            if minutes < c.population_min_minutes:
                continue
            judged.append((room, state, room.interactions / state.viewer_minutes))
        if len(judged) < c.population_min_rooms:
            return ()  # too few rooms to know what a normal audience does
        typical = statistics.median(rate for _, _, rate in judged)
        out = []
        for room, state, rate in judged:
            average_online = state.online_sum / state.samples
            if average_online < c.population_min_online or rate >= c.population_factor * typical:
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
                    SILENT_AUDIENCE,
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
        c = self.config
        ts, likes = event_ms(ev), ev.likes_total
        assert likes is not None  # observe asks only when the sample has it
        previous, state.last_likes = state.last_likes, (ts, likes, ev.id or "")
        if previous is None or ts <= previous[0] or likes < previous[1]:
            return []
        added = likes - previous[1]
        minutes = (ts - previous[0]) / 60_000
        rate = added / max(ev.online, 1) / minutes
        enough_history = len(state.like_rates) >= c.baseline_samples
        if not enough_history or added < c.min_like_burst or rate < c.likes_per_viewer_minute:
            state.like_rates.append(rate)
            return []  # the cheap tests first: the median below sorts up to 300 numbers
        usual = statistics.median(state.like_rates)
        state.like_rates.append(rate)
        if rate < c.like_baseline_factor * max(usual, 0.01):
            return []
        summary = f"+{added} likes in {minutes * 60:g} s with {ev.online} online ({rate:.0f} per viewer per minute)"
        return [
            _finding(
                LIKE_BURST,
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
        c = self.config
        jump = ev.online - prev
        if jump < c.min_jump or jump < c.min_rel_jump * max(prev, 1) or len(state.rel_changes) < c.baseline_samples:
            return []
        ts = event_ms(ev)
        first = state.first_ts if state.first_ts is not None else ts  # set by observe before any judging
        minutes = max(1.0, (ts - first) / 60_000)
        if state.total_enters / minutes < 1:
            return []  # the input carries (almost) no enter events: nothing to compare the jump with
        usual = statistics.median(state.rel_changes)
        if jump / max(prev, 1) < c.baseline_factor * max(usual, 0.01):
            return []
        entered = sum(1 for t in state.enters if prev_ts < t <= ts)
        if entered >= c.max_enter_share * jump:
            return []
        seconds = (ts - prev_ts) / 1000
        summary = f"online {prev} -> {ev.online} (+{jump}) in {seconds:g} s with {entered} entries"
        return [
            _finding(
                STEP_JUMP,
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
        c = self.config
        ts = event_ms(ev)
        if state.window and ts - state.window[-1][0] < c.window_step_ms:
            return []  # 1 Hz statistics are judged every 10 s: bounded state and time per room
        engaged = room.interactions + (ev.likes_total or 0)
        state.window.append((ts, ev.online, state.total_enters, engaged, ev.id or ""))
        while ts - state.window[0][0] > c.ramp_window_ms:
            state.window.popleft()
        then_ts, then, enters_then, engaged_then, then_id = state.window[0]
        if ts - then_ts < c.ramp_window_ms * 0.8:
            return []  # not five minutes of samples yet
        growth = ev.online - then
        entered = state.total_enters - enters_then
        unexplained = (growth - entered) / max(then, 1)
        minutes = (ts - then_ts) / 60_000
        rate = (engaged - engaged_then) / max(1.0, (ev.online + then) / 2 * minutes)
        # The room's usual is taken from windows that ended at least one window ago, so a slow ramp
        # does not become its own baseline.
        state.recent.append((ts, unexplained, rate))
        while state.recent and state.recent[0][0] <= ts - c.ramp_window_ms:
            _, u, r = state.recent.popleft()
            state.settled.append((u, r))
        history = len(state.settled) >= c.ramp_history
        if history and (state.usual is None or ts - state.usual_at >= c.stats_refresh_ms):
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
        first = state.first_ts if state.first_ts is not None else ts  # set by observe before any judging
        feed_has_enters = state.total_enters / max(1.0, (ts - first) / 60_000) >= 1
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
            if (
                excess < c.ramp_min_share
                or excess * then < c.ramp_min
                or excess < c.ramp_deviations * max(spread, 0.01)
            ):
                return []
            if typical_rate > 0 and rate >= c.ramp_engagement * typical_rate:
                return []  # engagement per viewer held up: the newcomers are people (the feed samples enters)
            state.quiet_until = ts + c.ramp_window_ms
            facts |= {
                "unexplained_share": round(unexplained, 3),
                "usual_unexplained_share": round(typical_unexplained, 4),
            }
            return [
                _finding(
                    RAMP,
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
            growth < c.engagement_min_growth * max(then, 1)
            or typical_rate <= 0
            or rate >= c.engagement_factor * typical_rate
        ):
            return []
        state.quiet_until = ts + c.ramp_window_ms
        facts |= {"engagement_per_viewer_minute": round(rate, 4), "usual_engagement": round(typical_rate, 4)}
        return [
            _finding(
                ENGAGEMENT_DROP,
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
        c = self.config
        ts = event_ms(ev)
        if state.surge and ts - state.surge[-1][0] < c.window_step_ms:
            return []
        activity = room.interactions + (ev.likes_total or 0)
        state.surge.append((ts, ev.online, activity, state.total_enters, ev.id or ""))
        while ts - state.surge[0][0] > c.surge_before_ms[0]:
            state.surge.popleft()
        if ts < state.surge_quiet_until or ts - state.surge[0][0] < c.surge_before_ms[0] - c.window_step_ms:
            return []
        samples = list(state.surge)
        before = [s for s in samples if ts - s[0] >= c.surge_before_ms[1]]
        after = [s for s in samples if ts - s[0] <= c.surge_after_ms]
        if len(before) < 3 or len(after) < 3:
            return []
        level_before = statistics.median(s[1] for s in before)
        level_after = min(s[1] for s in after)
        growth = level_after - level_before
        if growth < c.surge_min or level_after < c.surge_ratio * max(level_before, 1):
            return []
        paces_before, paces_after = _paces(before), _paces(after)
        if not paces_before or not paces_after:
            return []
        pace_before, pace_after = statistics.median(paces_before), statistics.median(paces_after)
        audience_rise = level_after / max(level_before, 1) - 1
        if pace_before <= 0 or pace_after - pace_before > c.surge_engagement_share * audience_rise * pace_before:
            return []  # activity rose with the audience: real people came
        # ... and it fell short of keeping pace with the audience by more than the room's own noise
        # (small rooms, likes sent in batches): the median's spread, from the room's own samples.
        spread = 1.4826 * statistics.median(abs(p - pace_before) for p in paces_before)
        noise = 1.25 * spread * (1 / len(paces_before) + 1 / len(paces_after)) ** 0.5 * (1 + audience_rise) ** 0.5
        if pace_before * (1 + audience_rise) - pace_after < c.surge_significance * noise:
            return []
        entered = state.total_enters - before[-1][3]
        if _feed_has_enters(state, ts) and entered >= c.surge_entry_share * growth:
            return []  # people came in (they may just be quiet)
        state.surge_quiet_until = ts + c.surge_quiet_ms
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
                SURGE,
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
        c = self.config
        if state.last is not None and state.last[1] == ev.online:
            state.run.append((event_ms(ev), ev.id or ""))
        else:
            state.run = [(event_ms(ev), ev.id or "")]
            state.run_reported = False
        span = state.run[-1][0] - state.run[0][0]
        if (
            state.run_reported
            or len(state.run) < c.plateau_samples
            or span < c.plateau_min_ms
            or ev.online < c.plateau_min_online
        ):
            return []
        state.run_reported = True
        summary = f"online frozen at {ev.online} for {len(state.run)} samples over {span // 1000} s"
        return [
            _finding(
                PLATEAU,
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
    rule: DetectorRule,
    ev: RoomStats,
    room: RoomState,
    summary: str,
    event_ids: list[str],
    message: str,
    facts: dict[str, object],
) -> Finding:
    return metric_finding(
        rule,
        ev=ev,
        room=room,
        ts_ms=event_ms(ev),
        fingerprint=ev.id or "",
        summary=summary,
        event_ids=event_ids,
        message=message,
        facts=facts,
    )
