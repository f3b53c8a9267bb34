"""Per-session summaries: what a broadcast contained and what was found in it."""

from __future__ import annotations

from collections import Counter

import msgspec

from clearlive.model.events import EventBase, RoomStats, SessionStart, event_type
from clearlive.model.findings import Finding


class SessionSummary(msgspec.Struct, kw_only=True):
    room_id: str
    session_id: str  # "" when the input names no session
    anchor_id: str | None = None
    shop_id: str | None = None
    title: str | None = None
    first_ts: int = 0
    last_ts: int = 0
    events: dict[str, int] = {}
    peak_online: int | None = None
    findings: int = 0
    by_category: dict[str, int] = {}
    by_severity: dict[str, int] = {}


class SessionTracker:
    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], SessionSummary] = {}
        self._events: dict[tuple[str, str], Counter[str]] = {}
        self._cats: dict[tuple[str, str], Counter[str]] = {}
        self._sevs: dict[tuple[str, str], Counter[str]] = {}

    def _get(self, room_id: str, session_id: str | None) -> tuple[tuple[str, str], SessionSummary]:
        key = (room_id, session_id or "")
        s = self._sessions.get(key)
        if s is None:
            s = self._sessions[key] = SessionSummary(room_id=room_id, session_id=key[1])
            self._events[key] = Counter()
            self._cats[key] = Counter()
            self._sevs[key] = Counter()
        return key, s

    def observe(self, ev: EventBase) -> None:
        key = (ev.room_id, ev.session_id or "")
        s = self._sessions.get(key)
        if s is None:
            key, s = self._get(ev.room_id, ev.session_id)
        ts: int = ev.ts
        if not s.first_ts or ts < s.first_ts:
            s.first_ts = ts
        if ts > s.last_ts:
            s.last_ts = ts
        kind = event_type(ev)
        self._events[key][kind] += 1
        if ev.anchor_id is not None:
            s.anchor_id = ev.anchor_id
        if ev.shop_id is not None:
            s.shop_id = ev.shop_id
        if isinstance(ev, SessionStart) and ev.title:
            s.title = ev.title
        elif isinstance(ev, RoomStats) and (s.peak_online is None or ev.online > s.peak_online):
            s.peak_online = ev.online

    def add_finding(self, f: Finding) -> None:
        key, s = self._get(f.room_id, f.session_id)
        s.findings += 1
        self._cats[key][f.category] += 1
        self._sevs[key][f.severity] += 1

    def summaries(self) -> list[SessionSummary]:
        out = []
        for key, s in sorted(self._sessions.items()):
            s.events = dict(sorted(self._events[key].items()))
            s.by_category = dict(sorted(self._cats[key].items()))
            s.by_severity = dict(sorted(self._sevs[key].items()))
            out.append(s)
        return out
